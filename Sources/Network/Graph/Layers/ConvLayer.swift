import Tensors

/// 2D convolution through a `Conv2DKernel` made by the model's backend, so the
/// reference kernel and fast ones are interchangeable.
final class ConvLayer: Layer {
    let name: String
    let input: Node, output: Node
    let weight: NamedTensor, bias: NamedTensor?
    let outChannels: Int, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)
    unowned let store: ParameterStore
    let backend: ConvBackend
    /// Made for the prepared geometry (and the nodes' layouts, fixed when the graph is built).
    private(set) var conv: Conv2DKernel?
    /// The kernel writes the input gradient directly when this layer is the input's only reader.
    func overwritesGradient(of node: Node) -> Bool { node === input && input.consumers == 1 }
    var parameterGradients: [NamedTensor] { [weight] + (bias.map { [$0] } ?? []) }

    init(name: String, input: Node, output: Node, store: ParameterStore, outChannels: Int, kernel: (Int, Int),
         stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), bias: Bool, backend: ConvBackend,
         inChannels: Int) {
        self.name = name
        self.input = input
        self.output = output
        self.store = store
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.backend = backend
        weight = store.declare("\(name).weight", shape: [outChannels, inChannels, kernel.0, kernel.1])
        self.bias = bias ? store.declare("\(name).bias", shape: [outChannels]) : nil
    }

    var backwardReadsInputs: Bool { true }
    var inputs: [Node] { [input] }

    func geometry(for shape: TensorShape) -> Conv2DGeometry {
        Conv2DGeometry(batch: shape.batch, inChannels: shape.channels, outChannels: outChannels,
                       height: shape.height, width: shape.width, kernel: kernel, stride: stride,
                       padding: padding, dilation: dilation)
    }

    func outputShape() throws -> TensorShape {
        let g = geometry(for: input.shape)
        return TensorShape(g.batch, g.outChannels, g.outputHeight, g.outputWidth)
    }

    func prepare(_ context: PassContext) throws {
        let g = geometry(for: input.shape)
        if conv?.geometry != g { conv = try backend.makeConv(g, bias != nil, input.layout, output.layout) }
        if input.consumers > 1 { context.reserveScratch(input.storageCount) }
    }

    /// The prepared kernel, if it can also run this convolution fused with a following
    /// BatchNorm and PReLU in inference (`ConvBatchNormPReLULayer`).
    var fusedInferenceKernel: FusedInferenceConv2D? {
        guard let kernel = conv as? FusedInferenceConv2D, kernel.supportsFusedInference else { return nil }
        return kernel
    }

    func forward(_ context: PassContext) throws {
        try conv!.forward(input: input.value, weight: store.values(weight), bias: bias.map { store.values($0) },
                          output: output.value)
    }

    func backward(_ context: PassContext) throws {
        // The kernel overwrites gradInput: write straight into the input's gradient when
        // this layer is its only reader, else into scratch and add.
        let direct = input.consumers == 1
        let gradInput = input.needsGradient ? (direct ? input.grad : context.scratch) : nil
        try conv!.backward(input: input.value, weight: store.values(weight), gradOutput: output.grad,
                           gradInput: gradInput, gradWeight: store.gradient(weight),
                           gradBias: bias.map { store.gradient($0) })
        if input.needsGradient && !direct {
            ChannelOps.addInPlace(input.grad, context.scratch, count: input.storageCount)
        }
    }
}
