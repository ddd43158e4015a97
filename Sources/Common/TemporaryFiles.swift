import Foundation

/// The temporary files this process is writing (`<file>.tmp-<pid>-<n>`, next to the file they
/// will replace), so that an error exit or a stop signal removes them all.
///
/// Registration happens before a temporary file is created, under a lock; the cleanup of a
/// signal (`Interrupts`) takes the same lock and keeps it until the process ends, so no
/// temporary file can appear after the cleanup ran.
public enum TemporaryFiles {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: Set<String> = []
    nonisolated(unsafe) private static var counter = 0

    /// A fresh registered temporary name beside `path` (the same directory, so that renaming it
    /// over `path` is atomic). Temporary files of `path` left by killed processes are removed first.
    public static func make(for path: String) -> String {
        removeStale(for: path)
        lock.lock()
        defer { lock.unlock() }
        counter += 1
        let temporary = "\(path).tmp-\(getpid())-\(counter)"
        paths.insert(temporary)
        return temporary
    }

    /// Stops tracking `temporary` (it was renamed into place).
    public static func forget(_ temporary: String) {
        lock.lock()
        paths.remove(temporary)
        lock.unlock()
    }

    /// Removes `temporary` and stops tracking it.
    public static func remove(_ temporary: String) {
        unlink(temporary)
        forget(temporary)
    }

    /// Removes every tracked temporary file; returns how many there were.
    @discardableResult
    public static func removeAll() -> Int {
        lock.lock()
        defer { lock.unlock() }
        return unlinkAll()
    }

    /// Removes every tracked temporary file and keeps the registry locked for good: for the
    /// last moments of a process that is about to end, so that nothing new is registered.
    @discardableResult
    static func removeAllForExit() -> Int {
        lock.lock()
        return unlinkAll()
    }

    private static func unlinkAll() -> Int {
        let count = paths.count
        for path in paths { unlink(path) }
        paths.removeAll()
        return count
    }

    /// Removes `path`'s temporary files whose writer process no longer exists (SIGKILL cannot be caught).
    static func removeStale(for path: String) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path, prefix = url.lastPathComponent + ".tmp-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count).prefix { $0 != "-" }), pid != getpid(),
                  kill(pid, 0) != 0, errno == ESRCH else { continue }
            unlink(directory + "/" + name)
        }
    }
}
