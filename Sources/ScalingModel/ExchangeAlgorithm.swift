import Foundation

/// The ways a sum over R ranks of a buffer of B bytes is computed, with their α-β-γ costs
/// per rank (the textbook formulas; Thakur, Rabenseifner & Gropp, "Optimization of
/// collective communication operations in MPICH", IJHPCA 2005):
///
/// | algorithm | latency (α) | bytes sent (β) | bytes combined (γ) |
/// |---|---|---|---|
/// | halving-doubling (`--reduce ordered`, R a power of two) | 2·log2 R | 2·(R−1)/R·B | (R−1)/R·B |
/// | direct slices (`--reduce ordered`, other R) | 2·(R−1) | 2·(R−1)/R·B | (R−1)/R·B |
/// | allgather + sum (the exchange before, ring allgather) | R−1 | (R−1)·B | (R−1)·B |
/// | combine (no communication, one add) | 0 | 0 | B |
public enum ExchangeAlgorithm: String, Codable, Sendable, CaseIterable {
    case halvingDoubling = "halving-doubling"
    case directSlices = "direct-slices"
    case allgatherSum = "allgather"
    case combine

    /// The algorithm of `--reduce ordered` for `ranks` ranks.
    public static func ordered(ranks: Int) -> ExchangeAlgorithm {
        ranks > 0 && ranks & (ranks - 1) == 0 ? .halvingDoubling : .directSlices
    }

    /// The cost per rank of one sum of `bytes` bytes over `ranks` ranks, everything in sequence.
    public func terms(ranks: Int, bytes: Double) -> CostTerms {
        rounds(ranks: ranks, bytes: bytes).reduce(CostTerms(latency: 0, bytes: 0, combined: 0)) { $0 + $1.terms }
    }

    /// One step of the algorithm: messages posted together, then (for a reduction step)
    /// the received bytes combined. The next round is posted once this one has arrived.
    public struct Round: Sendable, Equatable {
        public var terms: CostTerms
    }

    /// The rounds of one sum, in order.
    public func rounds(ranks: Int, bytes: Double) -> [Round] {
        if self == .combine { return [Round(terms: CostTerms(latency: 0, bytes: 0, combined: bytes))] }
        let r = Double(ranks)
        guard ranks > 1 else { return [] }
        switch self {
        case .halvingDoubling:
            let levels = Int(log2(r).rounded(.up))
            // Reduce-scatter round k sends and combines half of a segment of B/2^k bytes;
            // the allgather sends the same halves back in reverse.
            let halves = (0..<levels).map { bytes / pow(2, Double($0 + 1)) }
            return halves.map { Round(terms: CostTerms(latency: 1, bytes: $0, combined: $0)) }
                + halves.reversed().map { Round(terms: CostTerms(latency: 1, bytes: $0, combined: 0)) }
        case .directSlices:
            let share = (r - 1) / r * bytes
            return [Round(terms: CostTerms(latency: r - 1, bytes: share, combined: share)),
                    Round(terms: CostTerms(latency: r - 1, bytes: share, combined: 0))]
        case .allgatherSum:
            return [Round(terms: CostTerms(latency: r - 1, bytes: (r - 1) * bytes, combined: (r - 1) * bytes))]
        case .combine:
            preconditionFailure("handled above")
        }
    }
}
