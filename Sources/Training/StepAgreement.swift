import Cluster

/// What the ranks agree on each step: the loss summed over the step's micro-batches
/// (in `ReductionTree` order over all of them), how many ranks saw a non-finite loss
/// or logit gradient, how many were asked to stop.
///
/// One sum of three values, posted before the last backward pass of the step and
/// advanced with the gradient buckets, so it adds no blocking collective to the step.
/// (A non-finite parameter gradient shows in the summed gradient, which is the same
/// on every rank, so it needs no agreement.)
final class StepAgreement {
    private let values: UnsafeMutableBufferPointer<Double>
    private let scratch: UnsafeMutableBufferPointer<Double>
    /// The sum in flight; read the values once it is complete.
    private(set) var pending: PendingSum!

    /// The tag block of the agreement's sum.
    static let tagBlock = 1

    init(lossSum: Double, nonFinite: Bool, stopRequested: Bool, world: Communicator, method: ReductionMethod) throws {
        let algorithm = method.algorithm(ranks: world.size)
        values = .allocate(capacity: 3)
        _ = values.initialize(from: [lossSum, nonFinite ? 1 : 0, stopRequested ? 1 : 0])
        scratch = .allocate(capacity: max(algorithm.scratchCount(for: 3, ranks: world.size), 1))
        pending = try world.startSum(values, scratch: scratch, tag: Self.tagBlock * SumAlgorithm.tagsPerSum,
                                     algorithm: algorithm)
    }

    deinit {
        values.deallocate()
        scratch.deallocate()
    }

    /// The loss summed over every micro-batch of every rank.
    var lossSum: Double { values[0] }
    /// Ranks that saw a non-finite loss or logit gradient.
    var nonFiniteRanks: Int { Int(values[1]) }
    /// Whether any rank was asked to stop (a signal).
    var stopRequested: Bool { values[2] > 0 }
}
