/// Errors of the network library, each naming what (and which file) is wrong.
public enum NetworkError: Error, CustomStringConvertible, Equatable {
    /// The input tensor does not fit the model (channels, size divisibility, batch).
    case invalidInput(String)
    /// A weights file does not match the model: file, tensor (if one), problem.
    case checkpoint(path: String, tensor: String?, message: String)
    /// Layers were wired inconsistently (a programming error in the graph).
    case invalidGraph(String)
    /// A call out of order (e.g. backward without forward).
    case usage(String)

    public var description: String {
        switch self {
        case .invalidInput(let message): return "invalid input: \(message)"
        case .checkpoint(let path, let tensor, let message):
            return tensor.map { "\(path): tensor '\($0)': \(message)" } ?? "\(path): \(message)"
        case .invalidGraph(let message): return "invalid network graph: \(message)"
        case .usage(let message): return message
        }
    }
}
