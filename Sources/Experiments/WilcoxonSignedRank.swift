import Foundation

/// The Wilcoxon signed-rank test of paired samples, two-sided, as
/// `scipy.stats.wilcoxon(x, y, zero_method="wilcox", correction=True)`: pairs with a zero
/// difference are dropped, the others ranked by |difference| (ties get their average rank).
///
/// The p-value comes from the exact distribution of the rank sum when at most `exactLimit`
/// differences remain, none of them tied and none dropped (scipy's `method="exact"`), and from
/// the normal approximation otherwise, with the tie correction of the variance and a continuity
/// correction of 1/2 (scipy's `method="approx"`). Checked against scipy 1.x in `WilcoxonTests`
/// (`reference/wilcoxon-reference.py`).
public struct WilcoxonSignedRank: Equatable, Sendable {
    public enum Method: String, Sendable { case exact, normal }

    /// The largest number of differences tested with the exact distribution (scipy's too).
    public static let exactLimit = 50

    /// Pairs given.
    public let pairs: Int
    /// Pairs with a non-zero difference: the ones ranked.
    public let n: Int
    /// Sum of the ranks of the positive differences (x > y).
    public let positiveRankSum: Double
    /// min(W+, W-), scipy's two-sided statistic.
    public let statistic: Double
    /// Two-sided p-value; nan when every difference is zero (nothing to test).
    public let pValue: Double
    public let method: Method

    /// The test of the differences `x[i] - y[i]`.
    public init(_ x: [Double], _ y: [Double]) {
        precondition(x.count == y.count, "paired samples of different lengths")
        self.init(differences: zip(x, y).map { $0 - $1 })
    }

    /// The test of the paired differences `d`.
    public init(differences d: [Double]) {
        pairs = d.count
        let nonZero = d.filter { $0 != 0 }
        n = nonZero.count
        let ranks = Self.averageRanks(nonZero.map(abs))
        positiveRankSum = zip(nonZero, ranks).reduce(0) { $0 + ($1.0 > 0 ? $1.1 : 0) }
        let total = Double(n * (n + 1)) / 2
        statistic = min(positiveRankSum, total - positiveRankSum)
        let tieGroups = Self.tieSizes(nonZero.map(abs))
        if n == 0 {
            (pValue, method) = (.nan, .normal)
        } else if n <= Self.exactLimit && n == pairs && tieGroups.isEmpty {
            (pValue, method) = (Self.exactPValue(statistic: statistic, n: n), .exact)
        } else {
            (pValue, method) = (Self.normalPValue(statistic: statistic, n: n, ties: tieGroups), .normal)
        }
    }

    /// Ranks 1...n of `values`, ties given the mean of the ranks they span.
    static func averageRanks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
            let rank = Double(start + end + 2) / 2
            for i in start...end { ranks[order[i]] = rank }
            start = end + 1
        }
        return ranks
    }

    /// Sizes of the groups of equal values (only groups of two or more).
    static func tieSizes(_ values: [Double]) -> [Int] {
        Dictionary(grouping: values, by: { $0 }).values.map(\.count).filter { $0 > 1 }
    }

    /// 2 P(W <= statistic) under the null (each sign equally likely), at most 1: the number of
    /// subsets of the ranks 1...n with each sum, counted by dynamic programming.
    static func exactPValue(statistic: Double, n: Int) -> Double {
        let maxSum = n * (n + 1) / 2
        var counts = [Double](repeating: 0, count: maxSum + 1)
        counts[0] = 1
        for rank in 1...n {
            for sum in stride(from: maxSum, through: rank, by: -1) { counts[sum] += counts[sum - rank] }
        }
        let t = Int(statistic.rounded(.down))
        let below = counts[0...min(t, maxSum)].reduce(0, +)
        return min(1, 2 * below / pow(2, Double(n)))
    }

    /// The normal approximation: mean n(n+1)/4, variance n(n+1)(2n+1)/24 less Σ(t³-t)/48 over
    /// tie groups, the statistic moved 1/2 towards the mean.
    static func normalPValue(statistic: Double, n: Int, ties: [Int]) -> Double {
        let m = Double(n)
        let mean = m * (m + 1) / 4
        let variance = (m * (m + 1) * (2 * m + 1) - 0.5 * ties.reduce(0) { $0 + Double($1 * ($1 * $1 - 1)) }) / 24
        guard variance > 0 else { return 1 }
        let shifted = statistic - mean
        let corrected = shifted - 0.5 * (shifted > 0 ? 1 : shifted < 0 ? -1 : 0)
        let z = corrected / variance.squareRoot()
        return min(1, erfc(abs(z) / 2.0.squareRoot()))
    }
}
