import ArgumentParser
import Common
import Foundation

/// `--threads`, shared by every command that computes.
struct ThreadsOption: ParsableArguments {
    @Option(help: "OpenMP threads per rank (default: OMP_NUM_THREADS, SLURM_CPUS_PER_TASK, else 1).")
    var threads: Int?

    /// The threads to use: the flag, else the launcher's environment.
    var count: Int { threads ?? defaultThreads() }

    func validate() throws {
        if let threads { try validating { try Check.range(threads, Limits.threads, flag: "--threads") } }
    }
}

/// Threads per rank from the launcher's environment.
func defaultThreads(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
    for key in ["OMP_NUM_THREADS", "SLURM_CPUS_PER_TASK", "SRUN_CPUS_PER_TASK"] {
        if let value = environment[key].flatMap(Int.init), value > 0 { return value }
    }
    return 1
}
