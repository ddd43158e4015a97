import Tensors

/// The ENet of `reference/enet_torch.py`, with explicit forward and backward passes.
/// Input and logits are plain NCHW float buffers.
///
/// Parameters live in one flat buffer and gradients in another (`store`);
/// BatchNorm running statistics in a third. Convolutions and the layout of the
/// activations between layers come from the `backend`: the plain-loop reference
/// on NCHW, or oneDNN on blocked `nChw16c` (no reorders between layers).
/// Activation memory is planned and allocated on the first pass for an input
/// shape (values and gradients share memory by liveness) and reused while the
/// shape stays the same.
public final class ENet {
    public let inChannels: Int
    public let classes: Int
    /// All named tensors and the flat parameter, gradient and running-statistic buffers.
    public let store: ParameterStore
    let graph: Graph
    let blocks: [(name: String, output: Node)]
    let convolutions: [ConvLayer]
    private let logits: Node
    /// Whether the last forward kept what backward needs.
    private var backwardReady = false

    /// Threads for the non-convolution layers (BatchNorm by channel block, element-wise
    /// layers by chunk; results are identical for any count). The commands set it to
    /// `--threads`: with activations blocked between layers, splitting them over GCD
    /// threads next to oneDNN's OpenMP workers gained 6 % per training step at 2
    /// threads with OMP_WAIT_POLICY=passive and was neutral without (`bench model`).
    public var layerThreads = 1

    /// Whether `backward` also computes the gradient with respect to the input.
    public var computesInputGradient: Bool {
        get { graph.input.needsGradient }
        set { graph.input.needsGradient = newValue }
    }

    /// Builds the network and initialises it from `seed`: Xavier-normal conv
    /// weights, PyTorch-default uniform conv biases, BatchNorm weight N(1, 0.02)
    /// and bias 0, PReLU slopes 0.25, all from one generator in state-dict order.
    /// Dropout masks come from a second generator derived from the same seed.
    public init(inChannels: Int = 1, classes: Int, seed: UInt64 = 0, backend: ConvBackend = .reference) {
        precondition((1...15).contains(inChannels), "ENet takes 1 to 15 input channels")
        precondition(classes >= 1, "ENet needs at least one class")
        self.inChannels = inChannels
        self.classes = classes
        store = ParameterStore()
        graph = Graph(input: Node("input"), context: PassContext(dropoutSeed: ENet.dropoutSeed(seed)),
                      activationLayout: backend.activationLayout)
        var builder = ENetBuilder(graph: graph, store: store, backend: backend)
        logits = builder.build(inChannels: inChannels, classes: classes)
        logits.layout = .nchw
        blocks = builder.blocks
        convolutions = builder.convolutions
        store.seal()
        var generator = Xoshiro256(seed: seed)
        for (tensor, initializer) in builder.initializers {
            initializer.fill(store.values(tensor), count: tensor.count, generator: &generator)
        }
        precondition(builder.initializers.count == store.tensors.count, "every tensor needs an initialiser")
    }

    /// Number of learnable parameters (the length of the flat parameter and gradient buffers).
    public var parameterCount: Int { store.parameterCount }

    /// Restarts the dropout mask stream (e.g. per rank or per epoch).
    public func reseedDropout(_ seed: UInt64) {
        graph.context.generator = Xoshiro256(seed: ENet.dropoutSeed(seed))
    }

    private static func dropoutSeed(_ seed: UInt64) -> UInt64 { seed ^ 0xD1B5_4A32_D192_ED03 }

    /// Checks that an input of `shape` fits: channels match, H and W divisible by 8,
    /// and (in training) BatchNorm sees more than one value per channel at the coarsest stage.
    public func validate(_ shape: TensorShape, training: Bool = false) throws {
        let what = "input \(shape)"
        guard shape.batch >= 1 else { throw NetworkError.invalidInput("\(what): batch must be at least 1") }
        guard shape.channels == inChannels else {
            throw NetworkError.invalidInput("\(what): \(shape.channels) channels, the model takes \(inChannels)")
        }
        guard shape.height >= 8, shape.height % 8 == 0 else {
            throw NetworkError.invalidInput("\(what): height \(shape.height) is not a positive multiple of 8")
        }
        guard shape.width >= 8, shape.width % 8 == 0 else {
            throw NetworkError.invalidInput("\(what): width \(shape.width) is not a positive multiple of 8")
        }
        if training && shape.batch * (shape.height / 8) * (shape.width / 8) < 2 {
            throw NetworkError.invalidInput(
                "\(what): training needs more than one value per channel at 1/8 resolution (batch or size too small)")
        }
    }

    /// Runs the network on `input` (`shape`, NCHW) and returns the logits
    /// (`N x classes x H x W`), valid until the next forward.
    ///
    /// - Parameters:
    ///   - training: BatchNorm uses (and updates its running estimates from) batch statistics.
    ///   - dropout: apply dropout; defaults to `training`. Off in training for gradient checks.
    ///   - retainActivations: keep what `backward` reads; defaults to `training`. Without it
    ///     activations share memory as soon as they are consumed (inference memory).
    public func forward(_ input: UnsafePointer<Float>, shape: TensorShape, training: Bool,
                        dropout: Bool? = nil, retainActivations: Bool? = nil) throws -> UnsafeBufferPointer<Float> {
        try validate(shape, training: training)
        let retain = retainActivations ?? training
        backwardReady = false
        // Running statistics and nothing kept: conv -> BatchNorm -> PReLU may run as one kernel.
        try graph.prepare(shape, purpose: !training && !retain ? .inference : .training, retainActivations: retain)
        graph.input.value.update(from: input, count: shape.count)
        graph.context.training = training
        graph.context.dropout = dropout ?? training
        graph.context.threads = layerThreads
        try graph.forward()
        backwardReady = retain
        return UnsafeBufferPointer(start: logits.value, count: logits.shape.count)
    }

    /// Convenience: forward on an array, returning a copy of the logits.
    public func forward(_ input: [Float], shape: TensorShape, training: Bool, dropout: Bool? = nil,
                        retainActivations: Bool? = nil) throws -> [Float] {
        guard input.count == shape.count else {
            throw NetworkError.invalidInput("input \(shape) needs \(shape.count) values, got \(input.count)")
        }
        return try input.withUnsafeBufferPointer {
            Array(try forward($0.baseAddress!, shape: shape, training: training, dropout: dropout,
                              retainActivations: retainActivations))
        }
    }

    /// The shape of the logits for the last forward.
    public var outputShape: TensorShape { logits.shape }

    /// Backward from `gradLogits` (same shape as the logits) through the last
    /// forward: overwrites `store.gradients` and, if `computesInputGradient` was
    /// set before that forward, writes the input gradient into `gradInput`.
    ///
    /// `gradientsFinal(offset)` is called after each layer: `store.gradients[offset...]`
    /// will not change any more in this pass (the head's parameters, at the end of the
    /// buffer, are final first; the last call has offset 0). Data-parallel training
    /// sends those gradients to the other ranks while backward goes on.
    public func backward(gradLogits: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>? = nil,
                         gradientsFinal: (_ offset: Int) throws -> Void = { _ in }) throws {
        guard backwardReady else {
            throw NetworkError.usage("ENet.backward needs a forward with retainActivations (the default in training)")
        }
        graph.allocateGradients()
        graph.context.threads = layerThreads
        logits.grad.update(from: gradLogits, count: logits.shape.count)
        let finalFrom = try graph.gradientReadiness(store).finalFrom
        try graph.backward { try gradientsFinal(finalFrom[$0]) }
        if let gradInput {
            guard computesInputGradient else {
                throw NetworkError.usage("set computesInputGradient before forward to get the input gradient")
            }
            gradInput.update(from: graph.input.grad, count: graph.input.shape.count)
        }
    }

    /// Convenience: backward from an array; returns the input gradient if `computesInputGradient`.
    @discardableResult
    public func backward(gradLogits: [Float]) throws -> [Float]? {
        guard gradLogits.count == logits.shape.count else {
            throw NetworkError.usage("gradLogits has \(gradLogits.count) values, logits \(logits.shape)")
        }
        try gradLogits.withUnsafeBufferPointer { try backward(gradLogits: $0.baseAddress!) }
        guard computesInputGradient else { return nil }
        return Array(UnsafeBufferPointer(start: graph.input.grad, count: graph.input.shape.count))
    }
}
