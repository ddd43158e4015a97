import Foundation

/// Mean and sample standard deviation (n - 1) of one score over seeds, as Table 1 prints it.
public struct SeedStatistics: Equatable, Sendable {
    public let count: Int
    public let mean: Double
    /// nan with a single seed.
    public let std: Double

    /// The statistics of `values`, one per seed; non-finite values count (they make the mean non-finite).
    public init(_ values: [Double]) {
        count = values.count
        guard !values.isEmpty else {
            (mean, std) = (.nan, .nan)
            return
        }
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        self.mean = mean
        std = values.count > 1 ? (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot() : .nan
    }

    /// `85.2 ± 1.3`, or `85.2` with one seed; one decimal, as printed, so equal cells compare equal.
    public var text: String {
        let m = String(format: "%.1f", mean)
        return std.isFinite ? m + " ± " + String(format: "%.1f", std) : m
    }

    /// The mean rounded as printed.
    public var printedMean: Double { (mean * 10).rounded() / 10 }
}
