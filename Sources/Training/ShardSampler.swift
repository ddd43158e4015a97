import Common

/// Which training patches each rank reads, epoch by epoch, like PyTorch's
/// `DistributedSampler`: one seeded global permutation per epoch, dealt out to the
/// step's *workers*.
///
/// A step has `G = worldSize x accumulate` workers: micro-batch `m` of rank `r` is
/// worker `r * accumulate + m`, and worker `w` takes every `G`-th item starting at
/// `w`. So every split of the same G into ranks x micro-batches (8 x 1, 4 x 2, 2 x 4,
/// 1 x 8) reads the same patches in the same groups, worker for worker, and a rank's
/// workers are a contiguous block: the block that is one subtree of the step's
/// gradient sum (`ReductionTree`).
///
/// Every rank must run the same number of steps (a collective per step), so
/// the tail of the permutation that does not fill a whole global batch is
/// dropped: each epoch uses `stepsPerEpoch * batch * accumulate * worldSize` patches.
public struct ShardSampler {
    public let count: Int
    public let rank: Int
    public let worldSize: Int
    public let batch: Int
    public let accumulate: Int
    public let seed: UInt64

    /// - Throws: `TrainingError.tooFewPatches` when one global batch does not fit.
    public init(count: Int, rank: Int, worldSize: Int, batch: Int, accumulate: Int = 1, seed: UInt64) throws {
        guard batch > 0 else { throw TrainingError.invalidSetting("--batch must be at least 1, got \(batch)") }
        guard accumulate > 0 else {
            throw TrainingError.invalidSetting("--accumulate must be at least 1, got \(accumulate)")
        }
        guard count >= batch * accumulate * worldSize else {
            throw TrainingError.tooFewPatches(count: count, needed: batch * accumulate * worldSize)
        }
        self.count = count
        self.rank = rank
        self.worldSize = worldSize
        self.batch = batch
        self.accumulate = accumulate
        self.seed = seed
    }

    /// Workers per step: ranks x micro-batches.
    private var workers: Int { worldSize * accumulate }

    /// Steps per epoch, the same on every rank.
    public var stepsPerEpoch: Int { count / (batch * workers) }

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

    /// This rank's patch indices for `epoch`, in step order.
    public func indices(epoch: Int) -> [Int] {
        batches(epoch: epoch).joined().joined().map { $0 }
    }

    /// This rank's micro-batches for `epoch`: `[step][micro-batch][item]`.
    public func batches(epoch: Int) -> [[[Int]]] {
        let order = permutation(epoch: epoch)
        let global = batch * workers
        return (0..<stepsPerEpoch).map { step in
            (0..<accumulate).map { micro in
                let worker = self.worker(micro: micro)
                return (0..<batch).map { item in order[step * global + worker + item * workers] }
            }
        }
    }

    /// The worker id of this rank's micro-batch `micro` (seeds its dropout masks).
    public func worker(micro: Int) -> Int { rank * accumulate + micro }
}
