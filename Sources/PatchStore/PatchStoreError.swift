/// A failure while reading input volumes or reading, writing or validating a patch store.
///
/// The message always names the file involved, so a user can find the offending input.
public struct PatchStoreError: Error, CustomStringConvertible, Equatable {
    /// What kind of problem it is (tests match on this; users read `description`).
    public enum Kind: String, Equatable, Sendable {
        case missingFile, notNIfTI, notHDF5, truncated, notThreeD, nonFinite, unsupportedType
        case shapeMismatch, labelOutOfRange, emptyDataset, badInput, badLayout
        case schemaVersion, schemaViolation, writeFailed
    }

    /// The file (or directory) the problem is about.
    public let path: String
    public let kind: Kind
    /// The problem, in words.
    public let message: String

    public init(_ kind: Kind, path: String, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
