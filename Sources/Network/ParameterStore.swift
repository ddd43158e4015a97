/// Whether a named tensor is learned (lives in the flat parameter buffer, has a
/// gradient) or is a running statistic (lives in the flat buffer of buffers).
public enum TensorRole: Hashable {
    case parameter
    case runningStatistic
}

/// A named tensor: a view (offset, shape) into one of the store's flat buffers.
/// Names and shapes are PyTorch's state-dict names and layouts.
public struct NamedTensor: Hashable {
    public let name: String
    public let shape: [Int]
    public let role: TensorRole
    /// Offset into `parameters`/`gradients` (role `.parameter`) or `buffers` (`.runningStatistic`).
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
}

/// All of a model's tensors: learnable parameters in ONE flat buffer, their
/// gradients in ONE flat buffer of the same layout (so data-parallel training
/// allreduces a single contiguous array), and running statistics in a third.
///
/// Tensors are declared first (`declare`), in state-dict order, then `seal()`
/// allocates the buffers (zero-filled). Pointers stay valid for the store's life.
public final class ParameterStore {
    public private(set) var tensors: [NamedTensor] = []
    public private(set) var parameterCount = 0
    public private(set) var bufferCount = 0
    private var index: [String: Int] = [:]

    /// Learnable parameters, `parameterCount` floats (valid after `seal()`).
    public private(set) var parameters: UnsafeMutablePointer<Float>!
    /// Gradients, same layout as `parameters`.
    public private(set) var gradients: UnsafeMutablePointer<Float>!
    /// Running statistics (BatchNorm running mean and variance), `bufferCount` floats.
    public private(set) var buffers: UnsafeMutablePointer<Float>!

    public init() {}

    deinit {
        parameters?.deallocate()
        gradients?.deallocate()
        buffers?.deallocate()
    }

    /// Declares a tensor; returns its view. Names must be unique.
    @discardableResult
    public func declare(_ name: String, shape: [Int], role: TensorRole = .parameter) -> NamedTensor {
        precondition(parameters == nil, "declare after seal()")
        precondition(index[name] == nil, "tensor '\(name)' declared twice")
        let offset = role == .parameter ? parameterCount : bufferCount
        let tensor = NamedTensor(name: name, shape: shape, role: role, offset: offset)
        if role == .parameter { parameterCount += tensor.count } else { bufferCount += tensor.count }
        index[name] = tensors.count
        tensors.append(tensor)
        return tensor
    }

    /// Allocates the flat buffers, zero-filled.
    public func seal() {
        precondition(parameters == nil, "seal() twice")
        parameters = .allocate(capacity: max(parameterCount, 1))
        parameters.initialize(repeating: 0, count: max(parameterCount, 1))
        gradients = .allocate(capacity: max(parameterCount, 1))
        gradients.initialize(repeating: 0, count: max(parameterCount, 1))
        buffers = .allocate(capacity: max(bufferCount, 1))
        buffers.initialize(repeating: 0, count: max(bufferCount, 1))
    }

    /// The tensor called `name`, if any.
    public func tensor(named name: String) -> NamedTensor? {
        index[name].map { tensors[$0] }
    }

    /// The tensor's values (in `parameters` or `buffers` by role).
    public func values(_ tensor: NamedTensor) -> UnsafeMutablePointer<Float> {
        (tensor.role == .parameter ? parameters : buffers) + tensor.offset
    }

    /// The tensor's gradient (parameters only).
    public func gradient(_ tensor: NamedTensor) -> UnsafeMutablePointer<Float> {
        precondition(tensor.role == .parameter, "'\(tensor.name)' has no gradient")
        return gradients + tensor.offset
    }

    /// The tensor's values as an array (a copy).
    public func array(_ name: String) -> [Float]? {
        tensor(named: name).map { Array(UnsafeBufferPointer(start: values($0), count: $0.count)) }
    }
}
