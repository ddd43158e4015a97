import Foundation

/// SIGTERM, SIGINT and SIGUSR1 (which SLURM's `--signal` sends before a time limit), for
/// every command.
///
/// The handler does only what is async-signal-safe: it sets a flag and writes the signal's
/// number into a pipe. A watcher thread reads the pipe and does the rest as ordinary code:
/// with `response == .exit` (every command, by default) it removes every temporary file
/// (`TemporaryFiles`), prints one line and ends the process by the same signal; with
/// `.finishStep` (the training loop) it does nothing, and training stops after the current
/// step, checkpointing, because the loop polls `isRequested`.
public enum Interrupts {
    /// What a stop signal does.
    public enum Response: Int32, Sendable {
        /// Remove temporary files and end the process by the signal.
        case exit
        /// Only set `isRequested`: the caller stops at its next safe point.
        case finishStep
    }

    nonisolated(unsafe) private static var flag: sig_atomic_t = 0
    nonisolated(unsafe) private static var pipeEnds: [Int32] = [-1, -1]
    nonisolated(unsafe) private static var writeEnd: Int32 = -1
    nonisolated(unsafe) private static var currentResponse = Response.exit.rawValue
    private static let lock = NSLock()
    nonisolated(unsafe) private static var installed = false

    /// The signals that stop a run.
    public static let signals = [SIGTERM, SIGINT, SIGUSR1]

    /// Installs the handlers and starts the watcher (again after a library replaced them; idempotent).
    public static func install() {
        lock.lock()
        defer { lock.unlock() }
        if !installed {
            guard pipe(&pipeEnds) == 0 else { return }
            _ = fcntl(pipeEnds[1], F_SETFL, O_NONBLOCK)  // a handler must never block
            writeEnd = pipeEnds[1]
            let watcher = Thread { watch(pipeEnds[0]) }
            watcher.name = "signal watcher"
            watcher.start()
            installed = true
        }
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                let saved = errno
                Interrupts.flag = 1
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(Interrupts.writeEnd, &byte, 1)
                errno = saved
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signal, &action, nil)
        }
    }

    /// What a stop signal does from now on.
    public static var response: Response {
        get { lock.lock(); defer { lock.unlock() }; return Response(rawValue: currentResponse) ?? .exit }
        set { lock.lock(); currentResponse = newValue.rawValue; lock.unlock() }
    }

    /// Whether this process received a stop signal.
    public static var isRequested: Bool { flag != 0 }

    /// Sets or clears the flag (tests).
    public static func setRequested(_ requested: Bool) { flag = requested ? 1 : 0 }

    private static func watch(_ readEnd: Int32) {
        var byte: UInt8 = 0
        while true {
            let n = read(readEnd, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            guard n == 1 else { return }
            if response == .finishStep { continue }
            stop(by: Int32(byte))
        }
    }

    /// Removes the temporary files and ends the process by `signal`, as if unhandled.
    private static func stop(by signal: Int32) -> Never {
        let removed = TemporaryFiles.removeAllForExit()
        let name = [SIGTERM: "SIGTERM", SIGINT: "SIGINT", SIGUSR1: "SIGUSR1"][signal] ?? "signal \(signal)"
        fputs("error: stopped by \(name)" + (removed > 0 ? " (removed \(removed) unfinished file(s))" : "") + "\n", stderr)
        fflush(stderr)
        Glibc.signal(signal, SIG_DFL)
        kill(getpid(), signal)
        sleep(1)
        _exit(128 + signal)
    }
}
