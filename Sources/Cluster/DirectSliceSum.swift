/// The rank-ordered sum for any number of ranks R, point to point: the buffer is cut
/// into R contiguous slices, rank s owns slice s; every rank sends each owner its
/// copy of that owner's slice, the owner adds the R copies in `ReductionTree` order
/// over ranks, then sends its summed slice to every rank.
///
/// Two rounds; each rank sends and receives P(R−1)/R values each way (P the buffer's
/// length), but in R−1 messages per round, so latency grows with R: power-of-two rank
/// counts use `HalvingDoublingSum` instead. The copies of the owned slice land in
/// scratch ((R−1)·⌈P/R⌉ values, at most P once P ≥ R²).
final class DirectSliceSum<T: ReducibleScalar>: PendingSum {
    private let buffer: UnsafeMutableBufferPointer<T>
    private let scratch: UnsafeMutableBufferPointer<T>
    private let communicator: Communicator
    private let tag: Int
    /// 0: copies travel to owners; 1: sums travel back; 2: done.
    private var round = 0
    private var requests = RequestList()

    init(_ buffer: UnsafeMutableBufferPointer<T>, scratch: UnsafeMutableBufferPointer<T>, communicator: Communicator,
         tag: Int) throws {
        self.buffer = buffer
        self.scratch = scratch
        self.communicator = communicator
        self.tag = tag
        if communicator.size == 1 {
            round = 2
        } else {
            try postCopies()
        }
    }

    var stage: String { ["copies to slice owners", "sums from slice owners", "done"][round] }

    var awaitedRanks: [Int]? { requests.awaitedRanks }

    func progress() throws -> Bool {
        if round == 0, try requests.test() {
            combine()
            round = 1
            try postSums()
        }
        if round == 1, try requests.test() { round = 2 }
        return round == 2
    }

    /// Slice `s` of the buffer.
    private func slice(_ s: Int) -> Range<Int> {
        let (n, ranks) = (buffer.count, communicator.size)
        return (s * n / ranks)..<((s + 1) * n / ranks)
    }

    /// Where rank `q`'s copy of this rank's slice is received (q ≠ this rank).
    private func copy(from q: Int) -> UnsafeMutableBufferPointer<T> {
        let length = slice(communicator.rank).count
        let index = q < communicator.rank ? q : q - 1
        return subrange(scratch, (index * length)..<((index + 1) * length))
    }

    private func postCopies() throws {
        let rank = communicator.rank
        for q in 0..<communicator.size where q != rank {
            try communicator.postReceive(copy(from: q), from: q, tag: tag, into: &requests)
        }
        for s in 0..<communicator.size where s != rank {
            try communicator.postSend(UnsafeBufferPointer(subrange(buffer, slice(s))), to: s, tag: tag,
                                      into: &requests)
        }
    }

    /// Adds the R copies of the owned slice in rank order; the sum goes to the buffer.
    private func combine() {
        let rank = communicator.rank, mine = slice(rank)
        guard !mine.isEmpty else { return }
        let own = buffer.baseAddress! + mine.lowerBound
        let leaves = (0..<communicator.size).map { q in q == rank ? own : copy(from: q).baseAddress! }
        ReductionTree.combine(leaves, count: mine.count)
        if leaves[0] != own { own.update(from: leaves[0], count: mine.count) }
    }

    private func postSums() throws {
        let rank = communicator.rank
        for q in 0..<communicator.size where q != rank {
            try communicator.postReceive(subrange(buffer, slice(q)), from: q, tag: tag + 1, into: &requests)
        }
        let mine = UnsafeBufferPointer(subrange(buffer, slice(rank)))
        for q in 0..<communicator.size where q != rank {
            try communicator.postSend(mine, to: q, tag: tag + 1, into: &requests)
        }
    }
}
