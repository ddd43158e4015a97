/// An element-wise sum over all ranks in flight: posted non-blocking, advanced by
/// `progress()` (between layers of the backward pass, or in a wait), complete once
/// every rank holds the sum in its buffer.
public protocol PendingSum: AnyObject {
    /// Tests the messages in flight and posts the next ones; true once the sum is in
    /// the buffer. Never blocks.
    func progress() throws -> Bool
    /// What it waits for now, for a stall report (e.g. "reduce-scatter round 2 of 3").
    var stage: String { get }
    /// The ranks whose messages it still waits for; nil when MPI does not say (a collective).
    var awaitedRanks: [Int]? { get }
}

/// How the ranks' copies are added.
public enum SumAlgorithm: String, CaseIterable, Sendable {
    /// Power-of-two rank counts: reduce-scatter by recursive vector halving (partner
    /// `r ^ 1` first, then `r ^ 2`, ...), then allgather by recursive doubling.
    case halvingDoubling = "halving-doubling"
    /// Any rank count: every rank receives every rank's copy of the slice it owns,
    /// adds them in `ReductionTree` order and sends the sum to every rank.
    case directSlices = "direct-slices"
    /// `MPI_Iallreduce`: MPI's algorithm and order (not reproducible across rank counts).
    case mpiAllreduce = "mpi-allreduce"

    /// Values of scratch memory a sum of `count` values over `ranks` ranks needs.
    /// At most `count` unless a buffer has fewer than `ranks²` values.
    public func scratchCount(for count: Int, ranks: Int) -> Int {
        switch self {
        case .halvingDoubling: return count
        case .directSlices: return max(count, (ranks - 1) * ((count + ranks - 1) / ranks))
        case .mpiAllreduce: return 0
        }
    }

    /// Tags one sum uses: `tag ..< tag + tagsPerSum`.
    public static let tagsPerSum = 64
}

/// What the user chooses (`--reduce`): the rank-ordered sum or MPI's allreduce.
public enum ReductionMethod: String, Codable, CaseIterable, Sendable {
    /// The `ReductionTree` order over ranks: the same bits whatever MPI does (the default).
    case ordered
    /// `MPI_Iallreduce`: MPI's algorithm; equal to `ordered` within float rounding.
    case mpi

    /// The algorithm for `ranks` ranks.
    public func algorithm(ranks: Int) -> SumAlgorithm {
        switch self {
        case .mpi: return .mpiAllreduce
        case .ordered: return ranks & (ranks - 1) == 0 ? .halvingDoubling : .directSlices
        }
    }
}

extension Communicator {
    /// Starts summing `buffer` element-wise over all ranks (in place). `scratch` needs
    /// `algorithm.scratchCount(for: buffer.count, ranks: size)` values; neither buffer may be
    /// touched until the sum completes. Sums in flight at the same time need tags
    /// `tag ..< tag + SumAlgorithm.tagsPerSum` of their own.
    public func startSum<T: ReducibleScalar>(_ buffer: UnsafeMutableBufferPointer<T>,
                                             scratch: UnsafeMutableBufferPointer<T>, tag: Int,
                                             algorithm: SumAlgorithm) throws -> PendingSum {
        guard tag >= 0, tag + SumAlgorithm.tagsPerSum - 1 <= largestTag else {
            throw MPIError.refused("startSum", "tags \(tag)... exceed MPI_TAG_UB \(largestTag)")
        }
        precondition(scratch.count >= algorithm.scratchCount(for: buffer.count, ranks: size), "scratch too small")
        switch algorithm {
        case .halvingDoubling:
            return try HalvingDoublingSum(buffer, scratch: scratch, communicator: self, tag: tag)
        case .directSlices:
            return try DirectSliceSum(buffer, scratch: scratch, communicator: self, tag: tag)
        case .mpiAllreduce:
            return try MPIAllreduceSum(buffer, communicator: self)
        }
    }

    /// Sums `buffer` over all ranks in place and waits for it under the watchdog
    /// (`phase` names it in a stall report). Allocates its own scratch.
    public func sum<T: ReducibleScalar>(_ buffer: UnsafeMutableBufferPointer<T>, method: ReductionMethod,
                                        phase: String, tag: Int = 0) throws {
        let algorithm = method.algorithm(ranks: size)
        let scratch = UnsafeMutableBufferPointer<T>.allocate(capacity: algorithm.scratchCount(for: buffer.count,
                                                                                             ranks: size))
        defer { scratch.deallocate() }
        let pending = try startSum(buffer, scratch: scratch, tag: tag, algorithm: algorithm)
        try wait(for: pending, phase: phase)
    }

    /// Sums `values` over all ranks in place (see `sum(_:method:phase:tag:)`).
    public func sum<T: ReducibleScalar>(_ values: inout [T], method: ReductionMethod, phase: String) throws {
        try values.withUnsafeMutableBufferPointer { try sum($0, method: method, phase: phase) }
    }

    /// Polls `pending` to completion under the watchdog.
    public func wait(for pending: PendingSum, phase: String) throws {
        try watchdog.wait(in: "\(phase) (\(pending.stage))", awaitedRanks: { pending.awaitedRanks }) {
            try pending.progress()
        }
    }
}

/// `buffer[range]` as a buffer of its own.
func subrange<T>(_ buffer: UnsafeMutableBufferPointer<T>, _ range: Range<Int>) -> UnsafeMutableBufferPointer<T> {
    UnsafeMutableBufferPointer(rebasing: buffer[range])
}
