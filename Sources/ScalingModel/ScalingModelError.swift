/// What the scaling model cannot work with.
public enum ScalingModelError: Error, CustomStringConvertible {
    case insufficientData(String)
    case invalidInput(path: String, String)

    public var description: String {
        switch self {
        case .insufficientData(let detail): return "not enough measurements: \(detail)"
        case .invalidInput(let path, let detail): return "\(path): \(detail)"
        }
    }
}
