import Foundation

/// One line of `OUT/metrics.jsonl`.
public struct EpochMetrics: Codable, Equatable {
    public var epoch: Int
    public var step: Int
    public var trainLoss: Double
    /// Validation 3D Dice per class (background first), mean over validation volumes.
    public var valDice: [Double]
    /// Mean of `valDice` over the foreground classes.
    public var valDiceForeground: Double
    /// Training images per second over all ranks.
    public var imagesPerSecond: Double
    /// Fraction of the training time spent in communication the step could not hide
    /// behind backward: posting, testing and adding the exchange's messages, and waiting
    /// for them after backward (averaged over ranks). Called `allreduce_fraction` in
    /// files written before the exchange overlapped backward; read from either name.
    public var exposedCommFraction: Double
    /// The same as seconds per step (averaged over ranks); nil in older files.
    public var exposedCommSecondsPerStep: Double?
    /// Per step the least exposed time over ranks, averaged over steps: the rank that
    /// finished backward last waited for no other, so this is the exchange's own cost and
    /// `exposedCommSecondsPerStep` minus it is time spent waiting for slower ranks. nil in
    /// older files.
    public var exposedCommMinSecondsPerStep: Double?
    /// Bytes each rank sent per step in the exchange, counted by the program (averaged
    /// over ranks); nil in older files or with `--reduce mpi` (inside MPI).
    public var commBytesPerStep: Double?
    /// Fraction of the training time spent waiting for data.
    public var dataWaitFraction: Double
    /// Steps skipped because a loss or gradient was not finite (this epoch).
    public var skippedNonFinite: Int
    public var learningRate: Double
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case epoch, step
        case trainLoss = "train_loss"
        case valDice = "val_dice"
        case valDiceForeground = "val_dice_fg"
        case imagesPerSecond = "images_per_s"
        case exposedCommFraction = "exposed_comm_fraction"
        case exposedCommSecondsPerStep = "exposed_comm_s_per_step"
        case exposedCommMinSecondsPerStep = "exposed_comm_min_s_per_step"
        case commBytesPerStep = "comm_bytes_per_step"
        case dataWaitFraction = "data_wait_fraction"
        case skippedNonFinite = "skipped_nonfinite"
        case learningRate = "lr"
        case seconds
    }

    /// The name `exposedCommFraction` had before the exchange overlapped backward.
    private enum LegacyKeys: String, CodingKey { case allreduceFraction = "allreduce_fraction" }

    public init(epoch: Int, step: Int, trainLoss: Double, valDice: [Double], valDiceForeground: Double,
                imagesPerSecond: Double, exposedCommFraction: Double, exposedCommSecondsPerStep: Double?,
                exposedCommMinSecondsPerStep: Double? = nil, commBytesPerStep: Double?, dataWaitFraction: Double, skippedNonFinite: Int, learningRate: Double,
                seconds: Double) {
        self.epoch = epoch
        self.step = step
        self.trainLoss = trainLoss
        self.valDice = valDice
        self.valDiceForeground = valDiceForeground
        self.imagesPerSecond = imagesPerSecond
        self.exposedCommFraction = exposedCommFraction
        self.exposedCommSecondsPerStep = exposedCommSecondsPerStep
        self.exposedCommMinSecondsPerStep = exposedCommMinSecondsPerStep
        self.commBytesPerStep = commBytesPerStep
        self.dataWaitFraction = dataWaitFraction
        self.skippedNonFinite = skippedNonFinite
        self.learningRate = learningRate
        self.seconds = seconds
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epoch = try c.decode(Int.self, forKey: .epoch)
        step = try c.decode(Int.self, forKey: .step)
        trainLoss = try c.decode(Double.self, forKey: .trainLoss)
        valDice = try c.decode([Double].self, forKey: .valDice)
        valDiceForeground = try c.decode(Double.self, forKey: .valDiceForeground)
        imagesPerSecond = try c.decode(Double.self, forKey: .imagesPerSecond)
        exposedCommFraction = try c.decodeIfPresent(Double.self, forKey: .exposedCommFraction)
            ?? decoder.container(keyedBy: LegacyKeys.self).decode(Double.self, forKey: .allreduceFraction)
        exposedCommSecondsPerStep = try c.decodeIfPresent(Double.self, forKey: .exposedCommSecondsPerStep)
        exposedCommMinSecondsPerStep = try c.decodeIfPresent(Double.self, forKey: .exposedCommMinSecondsPerStep)
        commBytesPerStep = try c.decodeIfPresent(Double.self, forKey: .commBytesPerStep)
        dataWaitFraction = try c.decode(Double.self, forKey: .dataWaitFraction)
        skippedNonFinite = try c.decode(Int.self, forKey: .skippedNonFinite)
        learningRate = try c.decode(Double.self, forKey: .learningRate)
        seconds = try c.decode(Double.self, forKey: .seconds)
    }

    /// The plain line printed per epoch, PyTorch-log style.
    public func summaryLine(epochs: Int) -> String {
        let dice = valDice.map { String(format: "%.3f", $0) }.joined(separator: " ")
        return String(format: "epoch %d/%d  step %d  loss %.4g  val dice [%@] fg %.3f  %.1f img/s  exposed comm %.1f%%  data wait %.1f%%",
                      epoch, epochs, step, trainLoss, dice, valDiceForeground, imagesPerSecond,
                      100 * exposedCommFraction, 100 * dataWaitFraction)
            + (skippedNonFinite > 0 ? "  skipped \(skippedNonFinite) non-finite" : "")
    }

    /// The JSON line (sorted keys, no trailing newline).
    public func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
