/// The rank-ordered sum for a power-of-two number of ranks R, point to point:
///
/// - reduce-scatter by recursive vector halving with distance doubling: in round k
///   rank r and its partner r ^ 2^k split the segment they share in two; r keeps the
///   half chosen by bit k of r, sends the other, and adds the partner's copy of its
///   half, lower rank's copy + higher rank's copy. After round k a rank's segment
///   holds the sum over its aligned group of 2^(k+1) ranks, which is exactly node
///   `r >> (k+1)` of level k+1 of `ReductionTree` over ranks;
/// - allgather by recursive doubling in reverse (round k last): partners swap their
///   segments until every rank holds the whole sum.
///
/// log2(R) rounds each way; each rank sends and receives P(R−1)/R values each way
/// (P the buffer's length), whatever R. Received halves land in a scratch buffer of
/// P values at the same offsets.
final class HalvingDoublingSum<T: ReducibleScalar>: PendingSum {
    private let buffer: UnsafeMutableBufferPointer<T>
    private let scratch: UnsafeMutableBufferPointer<T>
    private let communicator: Communicator
    private let tag: Int
    private let rounds: Int
    /// 0 ..< rounds: reduce-scatter round `step`; rounds ..< 2·rounds: allgather.
    private var step = 0
    /// `segments[k]`: this rank's segment before reduce-scatter round k (`segments[0]`
    /// the whole buffer); `segments[rounds]` the slice it owns at the end.
    private var segments: [Range<Int>]
    /// The current round's receive; the next round needs only it (and its sum).
    private var receiving = RequestList()
    /// Sends still in flight: a reduce-scatter send's half is written again only by the
    /// allgather, so sends are waited for before the allgather and at the end, not each
    /// round (which would add the partner's acknowledgement to every round's latency).
    private var sending = RequestList()

    init(_ buffer: UnsafeMutableBufferPointer<T>, scratch: UnsafeMutableBufferPointer<T>, communicator: Communicator,
         tag: Int) throws {
        precondition(communicator.size & (communicator.size - 1) == 0, "halving-doubling needs a power-of-two world")
        self.buffer = buffer
        self.scratch = scratch
        self.communicator = communicator
        self.tag = tag
        rounds = communicator.size.trailingZeroBitCount
        segments = [0..<buffer.count]
        if rounds > 0 { try post() }
    }

    /// Whether the current step's messages are posted.
    private var posted = false

    var stage: String {
        step < rounds ? "reduce-scatter round \(step + 1) of \(rounds)"
            : step < 2 * rounds ? "allgather round \(step - rounds + 1) of \(rounds)" : "done"
    }

    var awaitedRanks: [Int]? { receiving.awaitedRanks }

    func progress() throws -> Bool {
        while true {
            if posted {
                guard try receiving.test() else { return false }
                if step < rounds { combine() }
                step += 1
                posted = false
            }
            if step == 2 * rounds { return try sending.test() }
            // The allgather receives into the halves the reduce-scatter sent from.
            if step == rounds, try !sending.test() { return false }
            try post()
        }
    }

    /// Reduce-scatter round k splits `segments[k]`; returns (kept, given) halves and the partner.
    private func split(round k: Int) -> (kept: Range<Int>, given: Range<Int>, partner: Int) {
        let segment = segments[k]
        let middle = segment.lowerBound + segment.count / 2
        let lower = segment.lowerBound..<middle, upper = middle..<segment.upperBound
        let rank = communicator.rank
        let keepsLower = rank & (1 << k) == 0
        return keepsLower ? (lower, upper, rank ^ (1 << k)) : (upper, lower, rank ^ (1 << k))
    }

    private func post() throws {
        if step < rounds {
            let (kept, given, partner) = split(round: step)
            segments.append(kept)
            try communicator.postReceive(subrange(scratch, kept), from: partner, tag: tag + step, into: &receiving)
            try communicator.postSend(UnsafeBufferPointer(subrange(buffer, given)), to: partner, tag: tag + step,
                                      into: &sending)
        } else {
            // Undo reduce-scatter round k: receive the half given away then, send the half kept.
            let k = 2 * rounds - 1 - step
            let (kept, given, partner) = split(round: k)
            try communicator.postReceive(subrange(buffer, given), from: partner, tag: tag + step, into: &receiving)
            try communicator.postSend(UnsafeBufferPointer(subrange(buffer, kept)), to: partner, tag: tag + step,
                                      into: &sending)
        }
        posted = true
    }

    /// Adds the partner's copy (in scratch) into this rank's kept half: lower rank + higher rank.
    private func combine() {
        let (kept, _, partner) = split(round: step)
        guard !kept.isEmpty else { return }
        let mine = buffer.baseAddress! + kept.lowerBound, theirs = scratch.baseAddress! + kept.lowerBound
        if communicator.rank < partner {
            T.add(mine, theirs, into: mine, count: kept.count)
        } else {
            T.add(theirs, mine, into: mine, count: kept.count)
        }
    }
}
