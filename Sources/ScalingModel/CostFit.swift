import Foundation

/// α and β per transport and one γ (this machine's adds), fitted by least squares to
/// `bench allreduce` measurements: each measured time t is modelled as
///
///     t ≈ s · (a·α_transport + b·β_transport + g·γ),   s = max(1, ranks / cores)
///
/// with (a, b, g) from the algorithm's formula (`ExchangeAlgorithm`) and s the
/// oversubscription of the measuring machine. t is each size's fastest repeat: on a
/// machine shared with other jobs the median carries their load, which is not a cost of
/// the exchange (the points keep the median too). Residuals are relative, (model − t)/t,
/// so a 30 µs sum weighs as much as a 300 ms one; parameters are kept non-negative.
public struct CostFit: Codable, Sendable {
    /// Latency and inverse bandwidth of one transport.
    public struct Link: Codable, Sendable, Equatable {
        public var alpha: Double
        public var beta: Double

        enum CodingKeys: String, CodingKey {
            case alpha = "alpha_s", beta = "beta_s_per_byte"
        }

        public init(alpha: Double, beta: Double) {
            self.alpha = alpha
            self.beta = beta
        }
    }

    /// One measurement against the fitted model.
    public struct Point: Codable, Sendable {
        public var transport: String
        public var method: String
        public var ranks: Int
        public var bytes: Double
        /// The fastest repeat (what is fitted).
        public var measuredSeconds: Double
        public var medianSeconds: Double
        public var modelSeconds: Double

        public var relativeError: Double { (modelSeconds - measuredSeconds) / measuredSeconds }

        enum CodingKeys: String, CodingKey {
            case transport, method, ranks, bytes
            case measuredSeconds = "min_s", medianSeconds = "median_s", modelSeconds = "model_s"
        }
    }

    public var gamma: Double
    public var links: [String: Link]
    public var points: [Point]

    enum CodingKeys: String, CodingKey {
        case gamma = "gamma_s_per_byte", links, points
    }

    /// The parameters of `transport` (with the common γ).
    public func parameters(_ transport: String) -> CostParameters? {
        links[transport].map { CostParameters(alpha: $0.alpha, beta: $0.beta, gamma: gamma) }
    }

    /// Median, 90th percentile and largest |relative error| over the points (against the
    /// fastest repeats, or with `medians` against the median times).
    public func errorSummary(medians: Bool = false) -> (median: Double, p90: Double, max: Double) {
        let errors = points.map { abs(medians ? ($0.modelSeconds - $0.medianSeconds) / $0.medianSeconds
                                      : $0.relativeError) }.sorted()
        guard !errors.isEmpty else { return (0, 0, 0) }
        return (errors[errors.count / 2], errors[min(errors.count - 1, Int(0.9 * Double(errors.count)))],
                errors.last!)
    }

    /// R² of log(model) against log(measured): how much of the spread of the times (over
    /// three orders of magnitude) the model explains.
    public var logRSquared: Double {
        let measured = points.map { log($0.measuredSeconds) }, model = points.map { log($0.modelSeconds) }
        let mean = measured.reduce(0, +) / Double(max(measured.count, 1))
        let total = measured.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        let residual = zip(measured, model).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        return total > 0 ? 1 - residual / total : 1
    }

    /// Fits every measurement whose method has a formula (allgather, ordered, combine).
    /// - Throws: `ScalingModelError.insufficientData` without such measurements.
    public static func fit(_ measurements: [ExchangeMeasurement]) throws -> CostFit {
        let usable = measurements.filter { $0.modelAlgorithm != nil && $0.minSeconds > 0 }
        let transports = Array(Set(usable.filter { $0.modelAlgorithm != .combine }.map(\.transport))).sorted()
        guard !transports.isEmpty, usable.contains(where: { $0.modelAlgorithm == .combine || $0.ranks > 1 }) else {
            throw ScalingModelError.insufficientData("no allgather, ordered or combine measurements to fit")
        }
        // Unknowns: γ, then α and β of each transport.
        func row(_ m: ExchangeMeasurement) -> [Double] {
            let terms = m.modelAlgorithm!.terms(ranks: m.ranks, bytes: m.bytes)
            var row = [Double](repeating: 0, count: 1 + 2 * transports.count)
            row[0] = terms.combined
            if let t = transports.firstIndex(of: m.transport) {
                row[1 + 2 * t] = terms.latency
                row[2 + 2 * t] = terms.bytes
            }
            return row.map { $0 * m.oversubscription }
        }
        let rows = usable.map { m in row(m).map { $0 / m.minSeconds } }
        let x = LeastSquares.nonNegative(rows: rows, targets: rows.map { _ in 1 })
        var links: [String: Link] = [:]
        for (t, name) in transports.enumerated() { links[name] = Link(alpha: x[1 + 2 * t], beta: x[2 + 2 * t]) }
        let points = usable.map { m in
            Point(transport: m.transport, method: m.method, ranks: m.ranks, bytes: m.bytes,
                  measuredSeconds: m.minSeconds, medianSeconds: m.medianSeconds, modelSeconds: zip(row(m), x).reduce(0) { $0 + $1.0 * $1.1 })
        }
        return CostFit(gamma: x[0], links: links, points: points)
    }
}
