import Cluster
import Common

/// How the loop runs: epochs, batches, seeds, what a non-finite step does, and how
/// gradients are exchanged. A run's other settings (data, model, loss) belong to whoever
/// builds the trainer; all of them are recorded together in `OUT/config.json`. A
/// config.json written before a setting existed reads with that setting's default.
public struct TrainingSettings: Codable, Equatable {
    public var epochs = 10
    /// Patches per rank per micro-batch.
    public var batch = 8
    /// Micro-batches accumulated per optimizer step.
    public var accumulate = 1
    /// Seed of the data order and the dropout masks (and of the initial weights).
    public var seed: UInt64 = 0
    /// What a non-finite loss or gradient does.
    public var nonfinite = NonfinitePolicy.skip
    /// Compare a parameter checksum across ranks every this many steps (0: never).
    public var checksumEvery = 50
    /// Cap on steps per epoch (0: the whole split); for quick runs and tests.
    public var maxStepsPerEpoch = 0
    /// How gradients are summed over ranks: in `ReductionTree` order (the same bits for
    /// any rank count) or by `MPI_Allreduce`.
    public var reduce = ReductionMethod.ordered
    /// Size of a gradient bucket, MiB (as PyTorch DDP's `bucket_cap_mb`): buckets go out
    /// during backward as soon as their gradients are final.
    public var bucketSizeMB = TrainingSettings.defaultBucketSizeMB
    /// Seconds a rank may wait for the others in one phase before the job ends (0: never).
    /// The limit is at least `StallWatchdog.stepTimeMultiple` median steps.
    public var stallTimeout = 300.0
    /// The learning rate's shape after warm-up (`--lr-schedule`), set per step.
    public var lrSchedule = LearningRateSchedule.Kind.constant
    /// Epochs of linear learning-rate warm-up (`--warmup-epochs`).
    public var warmupEpochs = 0
    /// Stop after this many validations in a row without improvement (`--patience`; 0: never).
    public var patience = 0
    /// How much the validation foreground Dice must exceed the best so far to count as an
    /// improvement for `patience` (`--min-delta`).
    public var minDelta = 0.0

    /// Measured on this machine (docs/exchange.md, "Bucket size"): of 0.125 to 64 MiB,
    /// no size was faster at 2 ranks and the largest were at 4 oversubscribed ranks, so
    /// the ENet's 1.83 MB gradient is one bucket; larger models get several.
    public static let defaultBucketSizeMB = 2.0
    /// Bucket sizes accepted, MiB.
    public static let bucketSizeRange = 0.01...1024.0

    public init() {}

    /// Checks the values that do not depend on the data; each failure names its flag (exit 64).
    public func validate() throws {
        try Check.range(epochs, Limits.epochs, flag: "--epochs")
        try Check.range(batch, Limits.batch, flag: "--batch")
        try Check.range(accumulate, Limits.accumulate, flag: "--accumulate")
        try Check.range(checksumEvery, 0...Int.max, flag: "--checksum-every")
        try Check.range(maxStepsPerEpoch, 0...Int.max, flag: "--max-steps")
        guard Self.bucketSizeRange.contains(bucketSizeMB) else {
            throw ProgramError.invalidValue("--bucket-size must be between \(Self.bucketSizeRange.lowerBound) and "
                                            + "\(Self.bucketSizeRange.upperBound) MiB, got \(bucketSizeMB)")
        }
        guard stallTimeout >= 0, stallTimeout.isFinite else {
            throw ProgramError.invalidValue("--stall-timeout must be a number of seconds >= 0 (0: no limit), got \(stallTimeout)")
        }
        try Check.range(warmupEpochs, 0...(epochs - 1), flag: "--warmup-epochs")  // below --epochs: some steps after warm-up
        try Check.range(patience, 0...Limits.epochs.upperBound, flag: "--patience")
        guard (0...1).contains(minDelta) else {
            throw ProgramError.invalidValue("--min-delta must be in 0...1 (a Dice difference), got \(minDelta)")
        }
    }

    /// Gradient values per bucket.
    public var bucketFloats: Int { max(1, Int(bucketSizeMB * 1_048_576) / MemoryLayout<Float>.stride) }

    private enum CodingKeys: String, CodingKey {
        case epochs, batch, accumulate, seed, nonfinite, checksumEvery, maxStepsPerEpoch, reduce, bucketSizeMB
        case stallTimeout, lrSchedule, warmupEpochs, patience, minDelta
    }

    /// Reads every key that is present; a missing key keeps its default.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func read<T: Decodable>(_ key: CodingKeys, _ value: inout T) throws {
            value = try c.decodeIfPresent(T.self, forKey: key) ?? value
        }
        try read(.epochs, &epochs); try read(.batch, &batch); try read(.accumulate, &accumulate)
        try read(.seed, &seed); try read(.nonfinite, &nonfinite); try read(.checksumEvery, &checksumEvery)
        try read(.maxStepsPerEpoch, &maxStepsPerEpoch); try read(.reduce, &reduce)
        try read(.bucketSizeMB, &bucketSizeMB); try read(.stallTimeout, &stallTimeout)
        try read(.lrSchedule, &lrSchedule); try read(.warmupEpochs, &warmupEpochs)
        try read(.patience, &patience); try read(.minDelta, &minDelta)
    }
}

/// What a step with a non-finite loss or gradient on any rank does.
public enum NonfinitePolicy: String, Codable, CaseIterable, Sendable {
    /// Skip the step on every rank (counted in the metrics).
    case skip
    /// Stop the job.
    case abort
}
