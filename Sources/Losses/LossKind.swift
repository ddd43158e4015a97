/// The losses the trainer can optimise, named as on the command line.
public enum LossKind: String, CaseIterable, Sendable {
    /// Cross-entropy, mean over pixels.
    case ce
    /// Soft Dice, the paper's eq. (1), averaged over the classes.
    case dice
    /// V-Net Dice, eq. (5): squared terms in the denominator.
    case vnet
    /// Generalized Dice, eq. (4), with w_k = 1 / (Σ_i y_ik)².
    case gdl
    /// Mime, eq. (3): a fixed gradient map dotted with the probabilities.
    case mime
    /// Soft Dice plus cross-entropy.
    case diceCE = "dice+ce"
    /// Generalized Dice plus cross-entropy.
    case gdlCE = "gdl+ce"

    /// Parses a command-line name (`ce`, `dice`, `vnet`, `gdl`, `mime`, `dice+ce`, `gdl+ce`).
    public init(parsing name: String) throws {
        guard let kind = LossKind(rawValue: name.lowercased()) else {
            throw LossError.unknownLoss(name)
        }
        self = kind
    }

    /// The terms whose sum is this loss.
    public var terms: [LossTerm] {
        switch self {
        case .ce: return [.ce]
        case .dice: return [.dice]
        case .vnet: return [.vnet]
        case .gdl: return [.gdl]
        case .mime: return [.mime]
        case .diceCE: return [.dice, .ce]
        case .gdlCE: return [.gdl, .ce]
        }
    }
}

/// One elementary loss; a `LossKind` is a sum of these.
public enum LossTerm: String, Sendable {
    /// Cross-entropy.
    case ce
    /// Soft Dice, eq. (1).
    case dice
    /// V-Net Dice, eq. (5).
    case vnet
    /// Generalized Dice, eq. (4).
    case gdl
    /// Mime, eq. (3).
    case mime

    /// Whether this term is a ratio of sums (the Dice family), affected by `DiceScope`.
    public var isDiceFamily: Bool { self == .dice || self == .vnet || self == .gdl }
}

/// Over which pixels a Dice-family ratio is formed.
public enum DiceScope: String, CaseIterable, Sendable {
    /// Each image (2D slice or sub-patch) of the batch is its own Dice; the batch loss is the
    /// mean over images. What the paper trains.
    case patch
    /// Intersection and union are summed over this rank's whole batch first (nnU-Net's "batch dice").
    case batch
    /// Sums over the global batch: the per-class statistics are summed across ranks by the
    /// caller's reduction closure before the ratio is formed; the backward uses the global sums.
    case global

    /// Parses a command-line name (`patch`, `batch`, `global`).
    public init(parsing name: String) throws {
        guard let scope = DiceScope(rawValue: name.lowercased()) else {
            throw LossError.unknownScope(name)
        }
        self = scope
    }
}

// Recorded by name in config.json and checkpoints; read back whatever the case, as the
// command line accepts it.
extension LossKind: Codable {
    public init(from decoder: Decoder) throws { self = try decodeName(decoder, LossKind.init(parsing:)) }
    public func encode(to encoder: Encoder) throws { try encodeName(rawValue, encoder) }
}

extension DiceScope: Codable {
    public init(from decoder: Decoder) throws { self = try decodeName(decoder, DiceScope.init(parsing:)) }
    public func encode(to encoder: Encoder) throws { try encodeName(rawValue, encoder) }
}

private func decodeName<T>(_ decoder: Decoder, _ parse: (String) throws -> T) throws -> T {
    let name = try decoder.singleValueContainer().decode(String.self)
    do { return try parse(name) } catch {
        throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
    }
}

private func encodeName(_ name: String, _ encoder: Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(name)
}
