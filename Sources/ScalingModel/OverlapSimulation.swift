/// The step's gradient exchange of `--reduce ordered` played against one backward pass,
/// as `GradientExchange` runs it:
///
/// - buckets of `bucketFloats` values are cut from the end of the gradient buffer; a
///   bucket starts at the first backward report (`BackwardTimeline`) that says its range
///   is final; the step's agreement (3 doubles) is posted before backward;
/// - every sum is a sequence of rounds (`ExchangeAlgorithm.rounds`); a round's messages
///   share the rank's link in order (each occupies it for bytes·β) and arrive α later;
/// - the next round is posted, and a reduce round's bytes combined (γ per byte, on the
///   training thread, which delays the rest of backward), only when the training thread
///   looks: after each layer during backward, continuously after it (`finish`);
/// - posting and completing a round costs the training thread `roundOverhead` (MPI's
///   software path: more buckets, more of it).
///
/// What is left after backward, plus the combining done during it, is the exposed
/// communication of the step. Every rank is assumed to run the same timeline.
public struct OverlapSimulation: Sendable {
    public var costs: CostParameters
    public var ranks: Int
    public var timeline: BackwardTimeline
    /// Values in the gradient buffer (4-byte floats).
    public var parameterCount: Int
    public var bucketFloats: Int
    /// Bytes of the step's agreement, posted before backward.
    public var agreementBytes = 24.0
    /// Seconds of the training thread per round posted and completed.
    public var roundOverhead = 0.0

    public init(costs: CostParameters, ranks: Int, timeline: BackwardTimeline, parameterCount: Int,
                bucketFloats: Int) {
        precondition(bucketFloats > 0 && parameterCount > 0)
        self.costs = costs
        self.ranks = ranks
        self.timeline = timeline
        self.parameterCount = parameterCount
        self.bucketFloats = bucketFloats
    }

    /// What one step's exchange costs.
    public struct Outcome: Sendable, Equatable {
        /// Seconds the step is longer than backward alone: the exchange's tail after
        /// backward plus the combining done during it.
        public var exposedSeconds: Double
        /// The same sums one after another with nothing to overlap (round overheads included).
        public var sequentialSeconds: Double
        public var buckets: Int

        /// The share of the exchange hidden behind backward.
        public var hiddenFraction: Double { sequentialSeconds > 0 ? max(0, 1 - exposedSeconds / sequentialSeconds) : 1 }
    }

    /// The bucket ranges, in the order they go out (as `GradientExchange.buckets`).
    public var buckets: [Range<Int>] {
        stride(from: parameterCount, to: 0, by: -bucketFloats).map { max(0, $0 - bucketFloats)..<$0 }
    }

    public func run() -> Outcome {
        let algorithm = ExchangeAlgorithm.ordered(ranks: ranks)
        var sums = [Sum(rounds: algorithm.rounds(ranks: ranks, bytes: agreementBytes))]
        let buckets = self.buckets
        var link = Link(costs: costs, overhead: roundOverhead)
        var delay = 0.0, started = 0
        link.post(&sums[0], at: &delay)
        for point in timeline.points {
            var t = point.seconds + delay
            while started < buckets.count, point.offset <= buckets[started].lowerBound {
                sums.append(Sum(rounds: algorithm.rounds(ranks: ranks, bytes: Double(buckets[started].count * 4))))
                link.post(&sums[sums.count - 1], at: &t)
                started += 1
            }
            for i in sums.indices { link.advance(&sums[i], at: &t) }
            delay = t - point.seconds
        }
        var t = timeline.backwardSeconds + delay
        while started < buckets.count {
            sums.append(Sum(rounds: algorithm.rounds(ranks: ranks, bytes: Double(buckets[started].count * 4))))
            link.post(&sums[sums.count - 1], at: &t)
            started += 1
        }
        // After backward the training thread polls without pause: take arrivals in order.
        while let i = sums.indices.filter({ sums[$0].arrival != nil }).min(by: { sums[$0].arrival! < sums[$1].arrival! }) {
            t = max(t, sums[i].arrival!)
            link.advance(&sums[i], at: &t)
        }
        let sequential = sums.reduce(0) { total, sum in
            total + sum.rounds.reduce(0) { $0 + $1.terms.seconds(with: costs) + roundOverhead }
        }
        return Outcome(exposedSeconds: t - timeline.backwardSeconds, sequentialSeconds: sequential,
                       buckets: buckets.count)
    }

    /// One sum in flight: its rounds and the arrival of the one posted.
    private struct Sum {
        var rounds: [ExchangeAlgorithm.Round]
        var next = 0
        var arrival: Double?
    }

    /// The rank's link: messages go out one after another.
    private struct Link {
        let costs: CostParameters
        let overhead: Double
        var free = 0.0

        /// Posts the sum's next round at time t, which the posting advances (or completes
        /// a sum without rounds).
        mutating func post(_ sum: inout Sum, at t: inout Double) {
            guard sum.next < sum.rounds.count else { sum.arrival = nil; return }
            t += overhead
            let terms = sum.rounds[sum.next].terms
            free = max(t, free) + terms.bytes * costs.beta
            sum.arrival = free + terms.latency * costs.alpha
        }

        /// At time t the training thread looks at the sum: while its round has arrived, it
        /// combines the received bytes (advancing t) and posts the next round.
        mutating func advance(_ sum: inout Sum, at t: inout Double) {
            while let arrival = sum.arrival, arrival <= t {
                t += sum.rounds[sum.next].terms.combined * costs.gamma
                sum.next += 1
                post(&sum, at: &t)
            }
        }
    }
}
