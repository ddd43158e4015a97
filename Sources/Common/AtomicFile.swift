import Foundation

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
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Writes `data` to `path` atomically.
    public static func write(_ path: String, data: Data) throws {
        try write(path) { try data.write(to: URL(fileURLWithPath: $0)) }
    }
}
