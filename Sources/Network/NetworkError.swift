import Common

/// Errors of the network library, each naming what (and which file) is wrong, as the program's `ProgramError`.
public enum NetworkError {
    /// The input tensor does not fit the model (channels, size divisibility, batch).
    public static func invalidInput(_ message: String) -> ProgramError {
        ProgramError(.badInput, path: nil, "invalid input: \(message)")
    }

    /// A weights file does not match the model: file, tensor (if one), problem.
    public static func checkpoint(path: String, tensor: String?, message: String) -> ProgramError {
        ProgramError(.checkpoint, path: path, tensor.map { "tensor '\($0)': \(message)" } ?? message)
    }

    /// Layers were wired inconsistently (a programming error in the graph).
    public static func invalidGraph(_ message: String) -> ProgramError {
        ProgramError(.failed, path: nil, "invalid network graph: \(message)")
    }

    /// A call out of order (e.g. backward without forward).
    public static func usage(_ message: String) -> ProgramError {
        ProgramError(.failed, path: nil, message)
    }
}
