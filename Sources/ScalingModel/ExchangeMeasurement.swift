/// One line of `bench allreduce` and where it ran: `transport` ("shm", "tcp") and
/// `cores` (the machine's cores) are added by `scripts/scaling-model`.
public struct ExchangeMeasurement: Codable, Sendable, Equatable {
    public var method: String
    /// The algorithm behind `ordered` (halving-doubling or direct-slices).
    public var algorithm: String?
    public var ranks: Int
    public var floats: Int
    public var medianSeconds: Double
    /// The fastest repeat: the least disturbed by other jobs on a shared machine.
    public var minSeconds: Double
    public var bytesSentPerRank: Int?
    public var optimalBytesPerRank: Int?
    public var transport: String
    public var cores: Int

    enum CodingKeys: String, CodingKey {
        case method, algorithm, ranks, floats, transport, cores
        case medianSeconds = "median_s", minSeconds = "min_s", bytesSentPerRank = "bytes_sent_per_rank"
        case optimalBytesPerRank = "optimal_bytes_per_rank"
    }

    public init(method: String, algorithm: String? = nil, ranks: Int, floats: Int, medianSeconds: Double,
                minSeconds: Double? = nil, bytesSentPerRank: Int? = nil, optimalBytesPerRank: Int? = nil,
                transport: String, cores: Int) {
        self.method = method
        self.algorithm = algorithm
        self.ranks = ranks
        self.floats = floats
        self.medianSeconds = medianSeconds
        self.minSeconds = minSeconds ?? medianSeconds
        self.bytesSentPerRank = bytesSentPerRank
        self.optimalBytesPerRank = optimalBytesPerRank
        self.transport = transport
        self.cores = cores
    }

    /// Bytes in the buffer summed (4-byte floats).
    public var bytes: Double { Double(floats * 4) }

    /// The cost formula this method follows, if it has one here: MPI's own collectives
    /// choose their algorithm inside the library, so they are not fitted.
    public var modelAlgorithm: ExchangeAlgorithm? {
        switch method {
        case "allgather": return .allgatherSum
        case "ordered": return algorithm.flatMap(ExchangeAlgorithm.init(rawValue:)) ?? .ordered(ranks: ranks)
        case "combine": return .combine
        default: return nil
        }
    }

    /// More ranks than cores share the cores: every rank's sends, copies and adds are CPU
    /// work, so the whole sum takes about ranks/cores times as long.
    public var oversubscription: Double { max(1, Double(ranks) / Double(max(cores, 1))) }
}
