#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM / SIGINT (and SIGUSR1, which SLURM's `--signal` can send before a
/// time limit) ask the job to stop after the current step and checkpoint.
///
/// The handler only sets a flag; ranks agree on stopping by an allreduce of
/// that flag each step, so a signal delivered to one rank stops them all at
/// the same step.
public enum StopRequest {
    nonisolated(unsafe) private static var flag: sig_atomic_t = 0

    /// Installs the handlers. Call once, before training.
    public static func install() {
        for signal in [SIGTERM, SIGINT, SIGUSR1] {
            Glibc.signal(signal) { _ in StopRequest.flag = 1 }
        }
    }

    /// Whether this process received a stop signal.
    public static var isRequested: Bool { flag != 0 }

    /// Sets or clears the flag (tests).
    public static func set(_ requested: Bool) { flag = requested ? 1 : 0 }
}
