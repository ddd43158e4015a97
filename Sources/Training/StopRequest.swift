import Common

/// SIGTERM / SIGINT (and SIGUSR1, which SLURM's `--signal` can send before a
/// time limit) ask training to stop after the current step and checkpoint.
///
/// The signal handler (`Interrupts`) only sets a flag; ranks agree on stopping
/// by an allreduce of that flag each step, so a signal delivered to one rank
/// stops them all at the same step. Outside training, the same signals remove
/// the temporary files and end the process.
public enum StopRequest {
    /// Runs `body` (the training loop) with stop signals deferred to its next step.
    public static func whileTraining<T>(_ body: () throws -> T) rethrows -> T {
        Interrupts.install()  // again: a library (MPI) may have replaced the handlers
        Interrupts.response = .finishStep
        defer { Interrupts.response = .exit }
        return try body()
    }

    /// Whether this process received a stop signal.
    public static var isRequested: Bool { Interrupts.isRequested }

    /// Sets or clears the flag (tests).
    public static func set(_ requested: Bool) { Interrupts.setRequested(requested) }
}
