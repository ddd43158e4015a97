import Foundation

/// The machine-readable patch-store specification (`hdf5-schema/patch-store-v1.json`),
/// loaded at run time and enforced by `StoreValidator` and `PatchStoreReader`.
public struct StoreSpec: Codable, Sendable {
    public var schema: String
    public var version: Int
    public var doc: String
    public var symbols: [String: String]
    public var root: GroupSpec
    public var invariants: [InvariantSpec]

    /// Version 1, as compiled into the program.
    public static let v1: StoreSpec = {
        do {
            return try JSONDecoder().decode(StoreSpec.self, from: Data(SchemaV1JSON.text.utf8))
        } catch {
            fatalError("the compiled-in schema does not parse: \(error)")
        }
    }()

    /// The version this program writes and reads.
    public static let currentVersion = 1
    public static let name = "swift-dist-train patch store"

    /// The split groups' spec (the group with `names`).
    public var splitGroup: GroupSpec { root.groups?.first { $0.names != nil } ?? GroupSpec() }

    /// Every required dataset path for the given splits (e.g. `train/images`, `train/volumes/id`, `mime_a`).
    public func requiredDatasets(splits: [String] = Split.allCases.map(\.rawValue)) -> [String] {
        var paths: [String] = []
        func walk(_ group: GroupSpec, prefix: String) {
            for d in group.datasets ?? [] { paths.append(prefix + d.name) }
            for child in group.groups ?? [] {
                for name in child.names ?? [child.name ?? ""] { walk(child, prefix: prefix + name + "/") }
            }
        }
        walk(root, prefix: "")
        return paths.filter { path in !Split.allCases.map(\.rawValue).contains(where: { path.hasPrefix($0 + "/") })
            || splits.contains(where: { path.hasPrefix($0 + "/") }) }
    }
}

/// A group (or a family of identically shaped groups, `names`).
public struct GroupSpec: Codable, Sendable {
    public var name: String?
    public var names: [String]?
    public var doc: String?
    public var attributes: [AttributeSpec]?
    public var datasets: [DatasetSpec]?
    public var groups: [GroupSpec]?
}

/// One attribute: `type` is int, float or string; `shape` [] means a scalar string; required unless `optional`.
public struct AttributeSpec: Codable, Sendable {
    public var name: String
    public var type: String
    public var shape: [Dim]
    public var values: [String]?
    public var units: String?
    /// A store may lack it (added after version 1 was published; its doc says what absence means).
    public var optional: Bool?
    public var doc: String
}

/// One dataset: dtype, shape in symbols, and (when chunked) chunk shape and filters.
public struct DatasetSpec: Codable, Sendable {
    public var name: String
    public var dtype: String
    public var shape: [Dim]
    public var chunks: [Dim]?
    public var filters: [String]?
    public var units: String?
    public var doc: String
}

/// A named property of a valid store that the validator checks by `id`.
public struct InvariantSpec: Codable, Sendable {
    public var id: String
    public var doc: String
}

/// A dimension: a fixed number or a symbol bound from the file (K, C, H, W, N, V).
public enum Dim: Codable, Sendable, CustomStringConvertible {
    case fixed(Int)
    case symbol(String)

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Int.self) { self = .fixed(n) } else { self = .symbol(try c.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .fixed(let n): try c.encode(n)
        case .symbol(let s): try c.encode(s)
        }
    }

    /// The value with symbols bound, or nil when a symbol is unknown.
    func resolve(_ symbols: [String: Int]) -> Int? {
        switch self {
        case .fixed(let n): return n
        case .symbol(let s): return symbols[s]
        }
    }

    public var description: String {
        switch self {
        case .fixed(let n): return "\(n)"
        case .symbol(let s): return s
        }
    }
}

/// The three splits, in file order.
public enum Split: String, CaseIterable, Sendable, Codable {
    case train, val, test
}
