import Common
import Losses

/// One row of the experiment's tables: a loss and the scope of its Dice-family ratios, named
/// as on the command line: a `LossKind` (`dice`, `vnet`, `gdl`, `mime`, `dice+ce`, ...),
/// optionally followed by `-batch` or `-global` for that `--dice-scope` (default `patch`, what
/// the paper trains): `dice-global` is the Dice loss with its sums over the global batch.
public struct ExperimentLoss: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var kind: LossKind
    public var scope: DiceScope

    public init(_ kind: LossKind, scope: DiceScope = .patch) {
        self.kind = kind
        self.scope = scope
    }

    /// Parses `dice`, `dice-global`, `gdl+ce-batch`, ...
    public init(parsing name: String) throws {
        var base = name.lowercased()
        var scope = DiceScope.patch
        for candidate in [DiceScope.batch, .global] where base.hasSuffix("-" + candidate.rawValue) {
            base.removeLast(candidate.rawValue.count + 1)
            scope = candidate
        }
        guard let kind = LossKind(rawValue: base) else {
            throw ProgramError.invalidValue("--losses: '\(name)' is not a loss: use "
                + LossKind.allCases.map(\.rawValue).joined(separator: ", ") + ", optionally with -batch or -global")
        }
        guard scope == .patch || kind.terms.contains(where: \.isDiceFamily) else {
            throw ProgramError.invalidValue("--losses: '\(name)': \(kind.rawValue) has no Dice ratio for a scope to change")
        }
        self.init(kind, scope: scope)
    }

    /// The command-line name.
    public var name: String { kind.rawValue + (scope == .patch ? "" : "-" + scope.rawValue) }
    public var description: String { name }

    /// Whether this row is Mime, the loss the others are compared with.
    public var isMime: Bool { kind == .mime }

    /// The paper's four losses, in Table 1's order.
    public static let paper = [LossKind.dice, .vnet, .gdl, .mime].map { ExperimentLoss($0) }
    /// The default rows: the paper's and two beyond it.
    public static let defaults = paper + [ExperimentLoss(.diceCE), ExperimentLoss(.dice, scope: .global)]

    /// Parses a comma-separated list; a name given twice is an error.
    public static func list(_ text: String) throws -> [ExperimentLoss] {
        let losses = try text.split(separator: ",").map { try ExperimentLoss(parsing: $0.trimmingCharacters(in: .whitespaces)) }
        guard !losses.isEmpty else { throw ProgramError.invalidValue("--losses: no loss given") }
        guard Set(losses).count == losses.count else { throw ProgramError.invalidValue("--losses '\(text)' names a loss twice") }
        return losses
    }
}
