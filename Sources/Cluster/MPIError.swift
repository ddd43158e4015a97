internal import CMPI

/// An MPI call that returned an error code (the world communicator uses
/// `MPI_ERRORS_RETURN`, so errors come back instead of killing the job).
public struct MPIError: Error, CustomStringConvertible {
    /// The MPI function that failed, e.g. `MPI_Allreduce`.
    public let function: String
    /// The MPI error code.
    public let code: Int32
    /// MPI's own text for the code.
    public let message: String

    public var description: String {
        code == 0 ? "\(function): \(message)" : "\(function) failed: \(message) (MPI error \(code))"
    }

    /// An error this program detects before calling MPI (`code` 0).
    init(function: String, message: String) {
        self.function = function
        self.code = 0
        self.message = message
    }

    init(function: String, code: Int32) {
        self.function = function
        self.code = code
        var buffer = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
        var length: Int32 = 0
        if MPI_Error_string(code, &buffer, &length) == cmpi_success() {
            message = String(cString: buffer)
        } else {
            message = "unknown error"
        }
    }
}

/// Runs an MPI call and turns a non-success return code into an `MPIError`.
@inline(__always)
func check(_ function: String, _ code: Int32) throws {
    if code != cmpi_success() { throw MPIError(function: function, code: code) }
}
