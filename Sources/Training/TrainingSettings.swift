import Common
import Losses

/// Every setting of a training run; recorded in `OUT/config.json`.
public struct TrainingSettings: Codable, Equatable {
    /// The patch store to train on.
    public var store: String
    /// The output directory (metrics, config, checkpoints).
    public var out: String
    /// Loss name: ce, dice, vnet, gdl, mime, dice+ce, gdl+ce.
    public var loss: String = "mime"
    public var epochs: Int = 10
    /// Patches per rank per micro-batch.
    public var batch: Int = 8
    /// Micro-batches accumulated per optimizer step.
    public var accumulate: Int = 1
    public var learningRate: Double = 5e-4
    public var weightDecay: Double = 0
    public var seed: UInt64 = 0
    /// Smoothing of the Dice family.
    public var eps: Double = 1e-10
    public var diceScope: String = "patch"
    public var excludeBackground = false
    /// What a non-finite loss or gradient does: "skip" the step on every rank, or "abort".
    public var nonfinite: String = "skip"
    /// Compare a parameter checksum across ranks every this many steps (0: never).
    public var checksumEvery: Int = 50
    /// OpenMP threads per rank.
    public var threads: Int = 1
    /// Cap on steps per epoch (0: the whole split); for quick runs and tests.
    public var maxStepsPerEpoch: Int = 0
    /// Cap on validation volumes (0: all).
    public var maxValidationVolumes: Int = 0
    /// Explicit Mime weights per class (default: from the store's training statistics).
    public var mimeA: [Double] = []
    public var mimeB: [Double] = []
    /// Continue from `OUT/last.h5`.
    public var resume = false

    public init(store: String, out: String) {
        self.store = store
        self.out = out
    }

    /// Checks the values that do not depend on the data; each failure names its flag (exit 64).
    public func validate() throws {
        func fail(_ message: String) -> ProgramError { .invalidValue(message) }
        try Check.outputDirectory(out)
        try Check.range(epochs, Limits.epochs, flag: "--epochs")
        try Check.range(batch, Limits.batch, flag: "--batch")
        try Check.range(accumulate, Limits.accumulate, flag: "--accumulate")
        try Check.range(threads, Limits.threads, flag: "--threads")
        try Check.float(learningRate, flag: "--lr", strictly: true)
        try Check.float(weightDecay, flag: "--weight-decay")
        try Check.float(eps, flag: "--eps")
        for (flag, values) in [("--mime-a", mimeA), ("--mime-b", mimeB)] {
            for value in values { try Check.float(value, flag: flag, strictly: true) }
        }
        try Check.range(checksumEvery, 0...Int.max, flag: "--checksum-every")
        try Check.range(maxStepsPerEpoch, 0...Int.max, flag: "--max-steps")
        try Check.range(maxValidationVolumes, 0...Int.max, flag: "--max-val-volumes")
        _ = try LossKind(parsing: loss)
        _ = try DiceScope(parsing: diceScope)
        guard ["skip", "abort"].contains(nonfinite) else {
            throw fail("--nonfinite must be skip or abort, got '\(nonfinite)'")
        }
        guard mimeA.count == mimeB.count else {
            throw fail("--mime-a has \(mimeA.count) values and --mime-b \(mimeB.count): give one per class for both")
        }
    }
}
