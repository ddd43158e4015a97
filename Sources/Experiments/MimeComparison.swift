import Foundation

/// Mime against one other loss on one class and metric: the Wilcoxon signed-rank test over
/// the pairs (test volume, seed) both have a finite score for, and the sentence the report
/// prints about it.
public struct MimeComparison: Equatable {
    public enum Metric: String, Sendable {
        case dsc = "DSC", hd95 = "HD95"
        /// DSC is better higher, HD95 lower.
        var higherIsBetter: Bool { self == .dsc }
        var unit: String { self == .dsc ? "points" : "mm" }
    }

    /// The threshold a difference must pass to be called one.
    public static let alpha = 0.05

    public var other: String
    public var className: String
    public var metric: Metric
    /// Mime's score minus the other's, per pair (DSC in percentage points, HD95 in mm).
    public var differences: [Double]
    public var test: WilcoxonSignedRank

    /// The comparison of paired scores (Mime's first); pairs with a non-finite score are left out.
    public init(other: String, className: String, metric: Metric, pairs: [(mime: Double, other: Double)]) {
        self.other = other
        self.className = className
        self.metric = metric
        differences = pairs.filter { $0.mime.isFinite && $0.other.isFinite }.map { $0.mime - $0.other }
        test = WilcoxonSignedRank(differences: differences)
    }

    /// The median of the differences.
    public var medianDifference: Double {
        let sorted = differences.sorted()
        guard !sorted.isEmpty else { return .nan }
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    /// Whether the difference holds: p < `alpha`.
    public var holds: Bool { test.pValue < Self.alpha }

    /// Whether Mime ranks better: its side of the signed ranks is the larger (W+ above n(n+1)/4
    /// for DSC, below it for HD95).
    public var mimeBetter: Bool {
        let half = Double(test.n * (test.n + 1)) / 4
        return metric.higherIsBetter ? test.positiveRankSum > half : test.positiveRankSum < half
    }

    /// One sentence: which way the difference goes and whether it holds.
    public var sentence: String {
        let pairs = "\(differences.count) pair" + (differences.count == 1 ? "" : "s")
        guard test.n > 0 else {
            return "\(className) \(metric.rawValue), mime vs \(other): the scores are equal on all \(pairs); nothing to test."
        }
        let median = String(format: "%+.1f %@", medianDifference, metric.unit)
        let facts = "median difference \(median), p = \(Self.format(test.pValue)), \(pairs)"
        let direction = metric.higherIsBetter ? (mimeBetter ? "higher" : "lower") : (mimeBetter ? "lower" : "higher")
        if holds {
            return "\(className) \(metric.rawValue): mime's is \(direction) than \(other)'s (\(facts)); "
                + "the difference holds (p < \(Self.alpha))."
        }
        return "\(className) \(metric.rawValue): mime and \(other) do not differ significantly (\(facts)); "
            + "mime's tends \(direction), which does not hold at p < \(Self.alpha)."
    }

    /// p-values with 2 significant digits, small ones in scientific notation.
    static func format(_ p: Double) -> String {
        guard p.isFinite else { return "n/a" }
        return p < 0.001 ? String(format: "%.1e", p) : String(format: "%.3f", p)
    }
}
