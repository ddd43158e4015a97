import Foundation

/// Writes files so that readers see either the old file or the complete new one, never a
/// half-written one, and so that a failure says which file and why.
///
/// Every write goes to a registered temporary name in the same directory (`TemporaryFiles`),
/// every call's result is checked, the temporary file is fsynced, renamed over the target and
/// the directory fsynced. On any error the temporary file is removed, the previous file is
/// untouched, and the error names the target (a full disk: "no space left on device").
public enum AtomicFile {
    /// Writes `data` to `path`.
    public static func write(_ path: String, data: Data) throws {
        try write(path) { temporary in
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            guard fd >= 0 else { throw ProgramError.system("cannot write", path: path, errno: errno) }
            var closed = false
            defer { if !closed { close(fd) } }
            try data.withUnsafeBytes { try writeAll(fd, $0, path: path) }
            closed = true
            guard close(fd) == 0 else { throw ProgramError.system("cannot write", path: path, errno: errno) }
        }
    }

    /// Calls `produce` with a temporary path to fill (a library that writes files itself, such as
    /// HDF5), then makes it durable and renames it to `path`. Errors naming the temporary file
    /// are reported about `path`; on error the temporary file is removed.
    public static func write(_ path: String, _ produce: (String) throws -> Void) throws {
        let temporary = TemporaryFiles.make(for: path)
        do {
            try produce(temporary)
            try publish(temporary, as: path)
        } catch {
            TemporaryFiles.remove(temporary)
            throw reported(error, temporary: temporary, as: path)
        }
    }

    /// Makes a finished temporary file (from `TemporaryFiles.make(for: path)`) durable and
    /// renames it over `path`, then makes the rename durable.
    public static func publish(_ temporary: String, as path: String) throws {
        try sync(temporary, reportingAs: path)
        pauseForTests()
        guard rename(temporary, path) == 0 else {
            throw ProgramError.system("cannot rename \(temporary) into place", path: path, errno: errno)
        }
        TemporaryFiles.forget(temporary)
        try syncDirectory(of: path)
    }

    /// `error`, reported about `path` when it named the temporary file (which is gone).
    public static func reported(_ error: Error, temporary: String, as path: String) -> Error {
        guard let error = error as? ProgramError, error.path == temporary else { return error }
        return error.about(path)
    }

    /// Appends `data` to `path` (created if missing), all or nothing: on failure the file is
    /// cut back to its old length, so no partial line is ever left (e.g. in metrics.jsonl).
    public static func append(_ path: String, data: Data) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw ProgramError.system("cannot open for appending", path: path, errno: errno) }
        defer { close(fd) }
        let length = lseek(fd, 0, SEEK_END)
        do {
            try data.withUnsafeBytes { try writeAll(fd, $0, path: path) }
            guard fsync(fd) == 0 else { throw ProgramError.system("cannot write", path: path, errno: errno) }
        } catch {
            if length >= 0 { _ = ftruncate(fd, length) }
            throw error
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
                throw ProgramError.system("cannot create the directory \(path)", path: directory, errno: errno)
            }
        }
    }

    /// Writes all of `bytes` to `fd`, retrying after interrupted and partial writes.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw ProgramError.system("cannot write", path: path, errno: n < 0 ? errno : EIO) }
            offset += n
        }
    }

    /// fsync of a finished file, so that the rename never publishes data still in the page cache.
    static func sync(_ file: String, reportingAs path: String) throws {
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ProgramError.system("cannot reopen the finished file", path: path, errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw ProgramError.system("cannot write", path: path, errno: errno) }
    }

    /// fsync of `path`'s directory, so that the rename itself survives a crash.
    static func syncDirectory(of path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        // Some file systems cannot sync a directory (EINVAL); the rename has happened either way.
        if fsync(fd) != 0 && errno != EINVAL && errno != EROFS {
            throw ProgramError.system("cannot sync the directory", path: path, errno: errno)
        }
    }

    /// Seconds to wait between finishing a temporary file and renaming it, from
    /// `SDT_TEST_WRITE_DELAY`: lets the signal tests hit a writer while its temporary file exists.
    private static let testDelay = ProcessInfo.processInfo.environment["SDT_TEST_WRITE_DELAY"].flatMap(Double.init) ?? 0

    static func pauseForTests() {
        if testDelay > 0 { usleep(UInt32(min(testDelay, 60) * 1_000_000)) }
    }
}

#if canImport(Glibc)
import Glibc
#endif
