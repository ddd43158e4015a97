import Common
import Foundation

/// Turns a rank that waits forever for others into a report and a non-zero exit.
///
/// Every wait of this program for other ranks (the gradient exchange, the step's
/// agreement, validation, checksums, barriers) polls non-blocking MPI requests
/// through `wait(in:awaitedRanks:_:)`. When one wait lasts longer than `limit`, the
/// rank prints which phase and step it is in and which ranks it has not heard from
/// (known for the point-to-point exchange; MPI does not say for a collective), lets
/// the other waiting ranks print theirs for a moment, then throws `StallError.waited`, which
/// ends the job through `MPI_Abort` (`Job.run`). Like Horovod's stall inspector, but
/// it ends the job: at scale a stuck node (NFS, swap, a bad NIC) otherwise holds
/// every rank until the scheduler's time limit.
public final class StallWatchdog {
    /// The longest a rank waits in one phase (seconds); nil: no limit (the default).
    public var timeout: Double?
    /// Where the program is, printed with a stall (e.g. "epoch 3, step 120, validation").
    public var context = ""
    /// The limit is at least this many median step times, so a slow step (large
    /// batches, a slow machine) is never taken for a stall.
    public static let stepTimeMultiple = 10.0
    /// Recent step durations, for their median.
    private var recentSteps: [Double] = []

    init() {}

    /// Records one training step's duration (seconds).
    public func recordStep(seconds: Double) {
        recentSteps.append(seconds)
        if recentSteps.count > 64 { recentSteps.removeFirst() }
    }

    /// The effective limit: `timeout`, or `stepTimeMultiple` median steps if longer.
    public var limit: Double? {
        guard let timeout else { return nil }
        guard !recentSteps.isEmpty else { return timeout }
        return max(timeout, Self.stepTimeMultiple * recentSteps.sorted()[recentSteps.count / 2])
    }

    /// How long a wait spins, yielding the core between polls, before it sleeps 1 ms
    /// between polls. The exchange's rounds each need both partners to poll: with
    /// more ranks than cores a sleeping rank delays every round it takes part in
    /// (sleeping 200 µs between polls after 10 ms gave 4 ranks on 2 cores about 1.3x
    /// the exposed exchange time of spinning, measured with 0.5 MiB buckets).
    static let spinSeconds = 1.0

    /// Calls `poll` until it returns true: spinning for `spinSeconds`, then sleeping
    /// briefly between polls (a long wait is a slower rank or a stall, not a message).
    /// Throws `StallError.waited` (a `ProgramError`) once the wait has lasted `limit`.
    public func wait(in phase: @autoclosure () -> String, awaitedRanks: () -> [Int]?,
                     _ poll: () throws -> Bool) throws {
        let start = DispatchTime.now().uptimeNanoseconds
        var checks = 0
        while try !poll() {
            let waited = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if waited < Self.spinSeconds { sched_yield() } else { usleep(1000) }
            checks += 1
            guard checks % 64 == 0, let limit, waited >= limit else { continue }
            let error = StallError.waited(waited, limit: limit, in: phase(), at: context, awaitedRanks: awaitedRanks())
            fputs("[rank \(Communicator.world.rank)] \(error.message); ending the job\n", stderr)
            fflush(stderr)
            // Give the other stalled ranks a moment to print their side before the abort.
            usleep(useconds_t(min(2, 0.2 * limit) * 1e6))
            throw error
        }
    }
}

/// A rank waited longer than the stall limit for other ranks, as the program's `ProgramError`.
public enum StallError {
    /// `waited` seconds (over `limit`) in `phase` (e.g. "gradient exchange, bucket 2: reduce-scatter
    /// round 1 of 2") at `context` (epoch, step, activity); `awaitedRanks` are the ranks whose
    /// messages had not arrived, nil when MPI does not say (a collective).
    public static func waited(_ waited: Double, limit: Double, in phase: String, at context: String,
                              awaitedRanks: [Int]?) -> ProgramError {
        let whom = awaitedRanks.map { ranks in
            ranks.isEmpty ? "its own sends not yet taken" : "no message from rank(s) " + ranks.map(String.init).joined(separator: ", ")
        } ?? "a collective: MPI does not say which ranks have not joined"
        let at = context.isEmpty ? "" : " at \(context)"
        return ProgramError(.failed, path: nil,
                            String(format: "stall: waited %.1f s (limit %.1f s) in %@%@: %@", waited, limit, phase, at, whom))
    }
}
