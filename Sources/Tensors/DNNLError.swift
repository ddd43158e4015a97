internal import CDNNL

/// A oneDNN call that did not return `dnnl_success`.
public struct DNNLError: Error, CustomStringConvertible {
    /// The oneDNN function that failed.
    public let function: String
    /// oneDNN's status code.
    let status: dnnl_status_t

    public var description: String {
        let reason: String
        switch status {
        case dnnl_out_of_memory: reason = "out of memory"
        case dnnl_invalid_arguments: reason = "invalid arguments"
        case dnnl_unimplemented: reason = "no implementation for these shapes/formats"
        case dnnl_runtime_error: reason = "runtime error"
        default: reason = "status \(status.rawValue)"
        }
        return "\(function) failed: \(reason)"
    }
}

@inline(__always)
func check(_ function: String, _ status: dnnl_status_t) throws {
    if status != dnnl_success { throw DNNLError(function: function, status: status) }
}

/// oneDNN's dims (`const int64_t *`) from Swift integers.
func dnnlDims(_ values: [Int]) -> [Int64] { values.map { Int64($0) } }
