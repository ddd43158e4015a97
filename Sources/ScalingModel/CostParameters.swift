/// The α-β-γ cost of moving and combining bytes: a message costs α (latency) plus β
/// per byte sent, and combining received values costs γ per byte.
public struct CostParameters: Codable, Sendable, Equatable {
    /// Seconds per message (or per round of messages sent at once).
    public var alpha: Double
    /// Seconds per byte sent (1 / bandwidth).
    public var beta: Double
    /// Seconds per byte combined (adding a received buffer into one's own).
    public var gamma: Double

    enum CodingKeys: String, CodingKey {
        case alpha = "alpha_s", beta = "beta_s_per_byte", gamma = "gamma_s_per_byte"
    }

    public init(alpha: Double, beta: Double, gamma: Double) {
        self.alpha = alpha
        self.beta = beta
        self.gamma = gamma
    }
}

/// How many α, β-bytes and γ-bytes an operation costs: `seconds(with:)` is
/// `latency·α + bytes·β + combined·γ`. Linear in the parameters, so measured times
/// can be fitted by least squares.
public struct CostTerms: Codable, Sendable, Equatable {
    /// Messages (rounds) in sequence.
    public var latency: Double
    /// Bytes sent in sequence.
    public var bytes: Double
    /// Bytes combined.
    public var combined: Double

    public init(latency: Double, bytes: Double, combined: Double) {
        self.latency = latency
        self.bytes = bytes
        self.combined = combined
    }

    public func seconds(with p: CostParameters) -> Double {
        latency * p.alpha + bytes * p.beta + combined * p.gamma
    }

    public static func + (a: CostTerms, b: CostTerms) -> CostTerms {
        CostTerms(latency: a.latency + b.latency, bytes: a.bytes + b.bytes, combined: a.combined + b.combined)
    }

    public static func * (factor: Double, t: CostTerms) -> CostTerms {
        CostTerms(latency: factor * t.latency, bytes: factor * t.bytes, combined: factor * t.combined)
    }
}
