/// Which training patches each rank reads, epoch by epoch, like PyTorch's
/// `DistributedSampler`: one seeded global permutation per epoch, rank `r`
/// takes every `R`-th item starting at `r`.
///
/// Every rank must run the same number of steps (a collective per step), so
/// the tail of the permutation that does not fill a whole global batch is
/// dropped: each epoch uses `stepsPerEpoch * batch * worldSize` patches.
public struct ShardSampler {
    public let count: Int
    public let rank: Int
    public let worldSize: Int
    public let batch: Int
    public let seed: UInt64

    /// - Throws: `TrainingError.tooFewPatches` when one global batch does not fit.
    public init(count: Int, rank: Int, worldSize: Int, batch: Int, seed: UInt64) throws {
        guard batch > 0 else { throw TrainingError.invalidSetting("batch must be at least 1, got \(batch)") }
        guard count >= batch * worldSize else {
            throw TrainingError.tooFewPatches(count: count, needed: batch * worldSize)
        }
        self.count = count
        self.rank = rank
        self.worldSize = worldSize
        self.batch = batch
        self.seed = seed
    }

    /// Steps per epoch, the same on every rank.
    public var stepsPerEpoch: Int { count / (batch * worldSize) }

    /// The global permutation of patch indices for `epoch` (identical on every rank).
    public func permutation(epoch: Int) -> [Int] {
        var generator = SplitMix64(seed: seed &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15)
        var order = Array(0..<count)
        // Fisher-Yates with our own generator: the order must not depend on the platform.
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(generator.next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
        return order
    }

    /// This rank's patch indices for `epoch`, in step order (`stepsPerEpoch * batch` of them).
    public func indices(epoch: Int) -> [Int] {
        let order = permutation(epoch: epoch)
        let used = stepsPerEpoch * batch * worldSize
        return stride(from: rank, to: used, by: worldSize).map { order[$0] }
    }

    /// This rank's batches for `epoch`.
    public func batches(epoch: Int) -> [[Int]] {
        let mine = indices(epoch: epoch)
        return stride(from: 0, to: mine.count, by: batch).map { Array(mine[$0..<($0 + batch)]) }
    }
}
