/// A network the model predicts for: its latency and bandwidth as MPI sees them
/// (ping-pong latency, large-message bandwidth), and where the numbers come from.
public struct NetworkSpec: Codable, Sendable, Equatable {
    public var name: String
    public var alphaMicroseconds: Double
    /// Large-message bandwidth, GB/s (1e9 bytes per second).
    public var gigabytesPerSecond: Double
    public var source: String

    enum CodingKeys: String, CodingKey {
        case name, source
        case alphaMicroseconds = "alpha_us", gigabytesPerSecond = "bandwidth_gb_per_s"
    }

    public init(name: String, alphaMicroseconds: Double, gigabytesPerSecond: Double, source: String) {
        self.name = name
        self.alphaMicroseconds = alphaMicroseconds
        self.gigabytesPerSecond = gigabytesPerSecond
        self.source = source
    }

    /// α and β of this network with `gamma`, the combining speed measured on this machine.
    public func parameters(gamma: Double) -> CostParameters {
        CostParameters(alpha: alphaMicroseconds * 1e-6, beta: 1 / (gigabytesPerSecond * 1e9), gamma: gamma)
    }
}
