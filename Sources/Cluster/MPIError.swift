internal import CMPI
import Common

/// Failed MPI calls, as the program's `ProgramError` (the world communicator uses
/// `MPI_ERRORS_RETURN`, so errors come back instead of killing the job).
enum MPIError {
    /// An MPI call that returned `code`: the function in the message, MPI's own text as the cause.
    static func call(_ function: String, code: Int32) -> ProgramError {
        var buffer = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
        var length: Int32 = 0
        let text = MPI_Error_string(code, &buffer, &length) == cmpi_success() ? String(cString: buffer) : "unknown error"
        return ProgramError(.failed, path: nil, "\(function) failed", cause: "\(text) (MPI error \(code))")
    }

    /// A call this program refuses before calling MPI (e.g. more message tags than MPI offers).
    static func refused(_ function: String, _ message: String) -> ProgramError {
        ProgramError(.failed, path: nil, "\(function): \(message)")
    }
}

/// Runs an MPI call and turns a non-success return code into an error.
@inline(__always)
func check(_ function: String, _ code: Int32) throws {
    if code != cmpi_success() { throw MPIError.call(function, code: code) }
}
