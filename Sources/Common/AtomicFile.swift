import Foundation

/// A file that could not be written, with the system's reason.
public struct FileWriteError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let message: String

    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// Writes a file so that readers see either the old file or the complete new
/// one, never a half-written one: write to a temporary name in the same
/// directory, then rename over the target.
public enum AtomicFile {
    /// A temporary path next to `path` (same file system, so rename is atomic).
    public static func temporaryPath(for path: String) -> String {
        "\(path).tmp-\(getpid())"
    }

    /// Calls `write` with a temporary path, then renames it to `path`.
    /// On error the temporary file is removed and the error rethrown.
    public static func write(_ path: String, _ write: (String) throws -> Void) throws {
        let temporary = temporaryPath(for: path)
        do {
            try write(temporary)
            guard rename(temporary, path) == 0 else {
                throw FileWriteError(path, "cannot rename \(temporary) into place: \(systemReason())")
            }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Writes `data` to `path` atomically.
    public static func write(_ path: String, data: Data) throws {
        try write(path) { temporary in
            guard let file = fopen(temporary, "wb") else { throw FileWriteError(path, "cannot write: \(systemReason())") }
            let complete = data.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) } == data.count
            let reason = systemReason()
            guard fclose(file) == 0, complete else {
                throw FileWriteError(path, "cannot write: \(complete ? systemReason() : reason)")
            }
        }
    }

    /// `mkdir -p`, with the system's reason on failure (e.g. "Not a directory").
    public static func createDirectories(_ directory: String) throws {
        var path = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            path += "/" + component
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue { continue }
            if mkdir(path, 0o755) != 0 && errno != EEXIST {
                throw FileWriteError(directory, "cannot create the directory \(path): \(systemReason())")
            }
        }
    }

    private static func systemReason() -> String { String(cString: strerror(errno)) }
}
