/// The program's one error type: what kind of problem, which file it is about, what went
/// wrong, and the cause underneath (the system's or a library's own words).
///
/// Every module throws it, so the command line reports every failure the same way:
/// `error: <path>: <message>: <cause>`, exit 64 for an invalid flag or value, 1 for the rest.
public struct ProgramError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What kind of problem it is (tests match on this; users read `description`).
    public enum Kind: String, Equatable, Sendable {
        /// A flag or setting out of range or malformed: exit 64.
        case invalidValue
        // Inputs.
        case missingFile, notNIfTI, notHDF5, truncated, notThreeD, nonFinite, unsupportedType, tooLarge
        case shapeMismatch, labelOutOfRange, emptyDataset, badInput, badLayout
        case schemaVersion, schemaViolation, checkpoint
        // Outputs.
        case writeFailed, noSpace, busy
        // Everything else: a library call that failed, a run that cannot go on.
        case failed
    }

    public let kind: Kind
    /// The file (or directory) the problem is about; nil when no file is involved.
    public let path: String?
    /// The problem, in words.
    public let message: String
    /// The cause underneath, in the words of the layer that reported it (errno text, HDF5's message).
    public let cause: String?

    public init(_ kind: Kind, path: String?, _ message: String, cause: String? = nil) {
        self.kind = kind
        self.path = path
        self.message = message
        self.cause = cause
    }

    /// An invalid flag or value (exit 64), e.g. `.invalidValue("--lr must be positive, got -1")`.
    public static func invalidValue(_ message: String) -> ProgramError {
        ProgramError(.invalidValue, path: nil, message)
    }

    /// The process exit code: 64 (EX_USAGE) for an invalid flag or value, 1 otherwise.
    public var exitCode: Int32 { kind == .invalidValue ? 64 : 1 }

    /// The same problem reported about `path` (e.g. a final file instead of its temporary name).
    public func about(_ path: String) -> ProgramError {
        ProgramError(kind, path: path, message, cause: cause)
    }

    /// The same problem with `context` before the message (e.g. "train patch 5").
    public func within(_ context: String) -> ProgramError {
        ProgramError(kind, path: path, "\(context): \(message)", cause: cause)
    }

    public var description: String {
        [path, message, cause].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
    }
}

extension ProgramError {
    /// The error for a failed system call on `path`: `errno` decides the kind, and a full disk
    /// says so in the message ("no space left on device"), naming `path`.
    public static func system(_ what: String, path: String, errno code: Int32) -> ProgramError {
        let reason = String(cString: strerror(code))
        switch code {
        case ENOSPC, EDQUOT: return ProgramError(.noSpace, path: path, "no space left on device", cause: "\(what): \(reason)")
        default: return ProgramError(.writeFailed, path: path, "\(what): \(reason)")
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
