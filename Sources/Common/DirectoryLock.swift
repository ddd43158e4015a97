import Foundation

/// An advisory lock (`flock`) on an output directory: one writer per directory. The lock is the
/// directory itself (no lock file is left behind) and ends with the process or `release()`.
public final class DirectoryLock {
    public let directory: String
    private var fd: Int32

    /// Creates `directory` if needed and locks it; when another process holds it, fails at once,
    /// or with `waiting` blocks until that process releases it.
    public init(_ directory: String, waiting: Bool = false) throws {
        try AtomicFile.createDirectories(directory)
        fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ProgramError.system("cannot open the directory", path: directory, errno: errno) }
        self.directory = directory
        guard flock(fd, waiting ? LOCK_EX : LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK {
                throw ProgramError(.busy, path: directory,
                                   "another run is writing here (it holds the directory's lock): wait for it to end, or choose another --out")
            }
            throw ProgramError.system("cannot lock the directory", path: directory, errno: code)
        }
    }

    /// Releases the lock.
    public func release() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    deinit { release() }
}
