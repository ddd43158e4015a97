import Cluster

/// Every setting of a training run; recorded in `OUT/config.json`. A config.json
/// written before a setting existed reads with that setting's default.
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
    /// How gradients are summed over ranks: in `ReductionTree` order (the same bits for
    /// any rank count) or by `MPI_Allreduce`.
    public var reduce = ReductionMethod.ordered
    /// Size of a gradient bucket, MiB (as PyTorch DDP's `bucket_cap_mb`): buckets go out
    /// during backward as soon as their gradients are final.
    public var bucketSizeMB = TrainingSettings.defaultBucketSizeMB
    /// Seconds a rank may wait for the others in one phase before the job ends (0: never).
    /// The limit is at least `StallWatchdog.stepTimeMultiple` median steps.
    public var stallTimeout = 300.0

    /// Measured on this machine (docs/exchange.md, "Bucket size"): of 0.125 to 64 MiB,
    /// no size was faster at 2 ranks and the largest were at 4 oversubscribed ranks, so
    /// the ENet's 1.83 MB gradient is one bucket; larger models get several.
    public static let defaultBucketSizeMB = 2.0
    /// Bucket sizes accepted, MiB.
    public static let bucketSizeRange = 0.01...1024.0

    public init(store: String, out: String) {
        self.store = store
        self.out = out
    }

    /// Checks the values that do not depend on the data.
    public func validate() throws {
        func fail(_ message: String) -> TrainingError { .invalidSetting(message) }
        guard epochs >= 1 else { throw fail("--epochs must be at least 1, got \(epochs)") }
        guard batch >= 1 else { throw fail("--batch must be at least 1, got \(batch)") }
        guard accumulate >= 1 else { throw fail("--accumulate must be at least 1, got \(accumulate)") }
        guard learningRate > 0, learningRate.isFinite else { throw fail("--lr must be positive, got \(learningRate)") }
        guard eps >= 0 else { throw fail("--eps must be >= 0, got \(eps)") }
        guard ["skip", "abort"].contains(nonfinite) else {
            throw fail("--nonfinite must be skip or abort, got '\(nonfinite)'")
        }
        guard mimeA.count == mimeB.count else {
            throw fail("--mime-a has \(mimeA.count) values and --mime-b \(mimeB.count): give one per class for both")
        }
        guard threads >= 1 else { throw fail("--threads must be at least 1, got \(threads)") }
        guard Self.bucketSizeRange.contains(bucketSizeMB) else {
            throw fail("--bucket-size must be between \(Self.bucketSizeRange.lowerBound) and "
                       + "\(Self.bucketSizeRange.upperBound) MiB, got \(bucketSizeMB)")
        }
        guard stallTimeout >= 0, stallTimeout.isFinite else {
            throw fail("--stall-timeout must be a number of seconds >= 0 (0: no limit), got \(stallTimeout)")
        }
    }

    /// Gradient values per bucket.
    public var bucketFloats: Int { max(1, Int(bucketSizeMB * 1_048_576) / MemoryLayout<Float>.stride) }

    /// Reads every key that is present; a missing key keeps its default.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(store: try c.decode(String.self, forKey: .store), out: try c.decode(String.self, forKey: .out))
        func read<T: Decodable>(_ key: CodingKeys, _ value: inout T) throws {
            value = try c.decodeIfPresent(T.self, forKey: key) ?? value
        }
        try read(.loss, &loss); try read(.epochs, &epochs); try read(.batch, &batch)
        try read(.accumulate, &accumulate); try read(.learningRate, &learningRate)
        try read(.weightDecay, &weightDecay); try read(.seed, &seed); try read(.eps, &eps)
        try read(.diceScope, &diceScope); try read(.excludeBackground, &excludeBackground)
        try read(.nonfinite, &nonfinite); try read(.checksumEvery, &checksumEvery); try read(.threads, &threads)
        try read(.maxStepsPerEpoch, &maxStepsPerEpoch); try read(.maxValidationVolumes, &maxValidationVolumes)
        try read(.mimeA, &mimeA); try read(.mimeB, &mimeB); try read(.resume, &resume); try read(.reduce, &reduce)
        try read(.bucketSizeMB, &bucketSizeMB); try read(.stallTimeout, &stallTimeout)
    }
}
