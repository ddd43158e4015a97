import Common
#if canImport(Glibc)
import Glibc
#endif

/// How a command runs and ends when it throws.
///
/// In a multi-rank job an error on one rank must not leave the others waiting
/// in a collective forever, so the failing rank prints its error and calls
/// `MPI_Abort`, which ends every rank. A single process just exits non-zero.
public enum Job {
    /// Runs `body` with the stop signals handled (`Interrupts`: temporary files removed); on
    /// error prints `error: <message>` (with the rank when there are several) to stderr and ends
    /// the job: exit 64 for an invalid flag or value (`ProgramError.exitCode`), 1 otherwise.
    public static func run(_ body: () throws -> Void) {
        Interrupts.install()
        do {
            try body()
        } catch {
            fail("\(error)", code: (error as? ProgramError)?.exitCode ?? 1)
        }
    }

    /// Prints `message`, removes this process's unfinished temporary files and ends the whole
    /// job with a non-zero code. Never returns.
    public static func fail(_ message: String, code: Int32 = 1) -> Never {
        TemporaryFiles.removeAll()
        let world = Communicator.isInitialized ? Communicator.world : nil
        let prefix = (world?.size ?? 1) > 1 ? "[rank \(world!.rank)] " : ""
        fputs("\(prefix)error: \(message)\n", stderr)
        fflush(stderr)
        if let world, world.size > 1 { world.abort(code: code) }
        exit(code)
    }
}
