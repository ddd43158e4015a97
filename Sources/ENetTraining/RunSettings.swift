import Common
import Losses
import Training

/// Every setting of a training run (the flags of `train`): the loop's, and the data, model
/// and loss that `TrainingRun` binds to it. Recorded in `OUT/config.json` and in every
/// checkpoint as one JSON object, the loop's keys beside the others, as since version 0.1.0.
public struct RunSettings: Equatable {
    /// The patch store to train on.
    public var store: String
    /// The output directory (metrics, config, checkpoints).
    public var out: String
    /// Epochs, batches, seed, accumulation, what a non-finite step does.
    public var loop = TrainingSettings()
    public var loss = LossKind.mime
    public var learningRate = 5e-4
    public var weightDecay = 0.0
    /// Smoothing of the Dice family.
    public var eps = 1e-10
    public var diceScope = DiceScope.patch
    public var excludeBackground = false
    /// Explicit Mime weights per class (default: from the store's training statistics).
    public var mimeA: [Double] = []
    public var mimeB: [Double] = []
    /// OpenMP threads per rank.
    public var threads = 1
    /// Cap on validation volumes (0: all).
    public var maxValidationVolumes = 0
    /// Continue from `OUT/last.h5`.
    public var resume = false

    public init(store: String, out: String) {
        self.store = store
        self.out = out
    }

    /// Checks the values that do not depend on the data, the loop's included; each failure
    /// names its flag (exit 64). The real settings are used as 32-bit floats: each must be
    /// finite as one (`--lr 1e39` is a finite Double but an infinite Float).
    public func validate() throws {
        try Check.outputDirectory(out)
        try loop.validate()
        try Check.range(threads, Limits.threads, flag: "--threads")
        try Check.float(learningRate, flag: "--lr", strictly: true)
        try Check.float(weightDecay, flag: "--weight-decay")
        try Check.float(eps, flag: "--eps")
        for (flag, values) in [("--mime-a", mimeA), ("--mime-b", mimeB)] {
            for value in values { try Check.float(value, flag: flag, strictly: true) }
        }
        guard mimeA.count == mimeB.count else {
            throw ProgramError.invalidValue("--mime-a has \(mimeA.count) values and --mime-b \(mimeB.count): "
                                            + "give one per class for both")
        }
        try Check.range(maxValidationVolumes, 0...Int.max, flag: "--max-val-volumes")
    }
}

extension RunSettings: Codable {
    private enum CodingKeys: String, CodingKey {
        case store, out, loss, learningRate, weightDecay, eps, diceScope, excludeBackground, mimeA, mimeB, threads
        case maxValidationVolumes, resume
    }

    public init(from decoder: Decoder) throws {
        let keys = try decoder.container(keyedBy: CodingKeys.self)
        store = try keys.decode(String.self, forKey: .store)
        out = try keys.decode(String.self, forKey: .out)
        loop = try TrainingSettings(from: decoder)
        loss = try keys.decode(LossKind.self, forKey: .loss)
        learningRate = try keys.decode(Double.self, forKey: .learningRate)
        weightDecay = try keys.decode(Double.self, forKey: .weightDecay)
        eps = try keys.decode(Double.self, forKey: .eps)
        diceScope = try keys.decode(DiceScope.self, forKey: .diceScope)
        excludeBackground = try keys.decode(Bool.self, forKey: .excludeBackground)
        mimeA = try keys.decode([Double].self, forKey: .mimeA)
        mimeB = try keys.decode([Double].self, forKey: .mimeB)
        threads = try keys.decode(Int.self, forKey: .threads)
        maxValidationVolumes = try keys.decode(Int.self, forKey: .maxValidationVolumes)
        resume = try keys.decode(Bool.self, forKey: .resume)
    }

    public func encode(to encoder: Encoder) throws {
        var keys = encoder.container(keyedBy: CodingKeys.self)
        try keys.encode(store, forKey: .store)
        try keys.encode(out, forKey: .out)
        try loop.encode(to: encoder)
        try keys.encode(loss, forKey: .loss)
        try keys.encode(learningRate, forKey: .learningRate)
        try keys.encode(weightDecay, forKey: .weightDecay)
        try keys.encode(eps, forKey: .eps)
        try keys.encode(diceScope, forKey: .diceScope)
        try keys.encode(excludeBackground, forKey: .excludeBackground)
        try keys.encode(mimeA, forKey: .mimeA)
        try keys.encode(mimeB, forKey: .mimeB)
        try keys.encode(threads, forKey: .threads)
        try keys.encode(maxValidationVolumes, forKey: .maxValidationVolumes)
        try keys.encode(resume, forKey: .resume)
    }
}
