/// Errors from drawing or writing figures; each names the file or input at fault.
public enum FigureError: Error, Equatable, CustomStringConvertible {
    /// A PNG file could not be written (nothing is left at `path`).
    case cannotWrite(path: String, reason: String)
    /// A PNG file could not be read or decoded.
    case cannotRead(path: String, reason: String)
    /// The data given to a figure does not fit together (sizes, label values, ...).
    case invalidInput(String)

    public var description: String {
        switch self {
        case let .cannotWrite(path, reason): return "cannot write PNG '\(path)': \(reason)"
        case let .cannotRead(path, reason): return "cannot read PNG '\(path)': \(reason)"
        case let .invalidInput(message): return "invalid figure input: \(message)"
        }
    }
}
