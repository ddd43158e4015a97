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
    private var conv: Conv2DKernel?
    /// The BatchNorm and PReLU that follow this convolution (set by the builder): an
    /// inference forward that keeps no activations runs all three as one fused kernel call
    /// when `fusesInference`.
    var epilogue: (batchNorm: BatchNormLayer, prelu: PReLULayer)?
    /// Whether the epilogue can fuse at the prepared shape: it alone reads this output and
    /// the kernel has a fused inference for the geometry.
    private(set) var fusesInference = false
    /// Weights and bias with the epilogue's BatchNorm folded in (allocated on first use).
    private var folded: [Float] = []
    /// A fused inference writes the epilogue's output.
    var outputsWrittenEarly: [Node] { fusesInference ? epilogue.map { [$0.prelu.output] } ?? [] : [] }
    /// The kernel writes the input gradient directly when this layer is the input's only reader.
    func overwritesGradient(of node: Node) -> Bool { node === input && input.consumers == 1 }

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
        if let (bn, _) = epilogue {
            fusesInference = output.consumers == 1 && bn.output.consumers == 1
                && (conv as? FusedInferenceConv2D)?.supportsFusedInference == true
        }
    }

    func forward(_ context: PassContext) throws {
        if let (bn, prelu) = epilogue {
            // Not with frozen piecewise choices: the PReLU must use its frozen sides.
            let fuse = fusesInference && !context.training && !context.retainActivations
                && !context.piecewiseChoicesFrozen
            bn.skipsForward = fuse
            prelu.skipsForward = fuse
            if fuse { return try forwardFused(bn, prelu) }
        }
        try conv!.forward(input: input.value, weight: store.values(weight), bias: bias.map { store.values($0) },
                          output: output.value)
    }

    /// conv -> BatchNorm (running statistics) -> PReLU as one call: the BatchNorm's
    /// per-channel `x * scale + shift` folds into the weights and bias.
    private func forwardFused(_ bn: BatchNormLayer, _ prelu: PReLULayer) throws {
        let perChannel = weight.count / outChannels
        if folded.isEmpty { folded = [Float](repeating: 0, count: weight.count + outChannels) }
        let (w, b) = (store.values(weight), bias.map { UnsafePointer(store.values($0)) })
        try folded.withUnsafeMutableBufferPointer { buffer in
            let (foldedWeight, foldedBias) = (buffer.baseAddress!, buffer.baseAddress! + weight.count)
            for o in 0..<outChannels {
                let (scale, shift) = bn.inferenceTransform(channel: o)
                for i in (o * perChannel)..<((o + 1) * perChannel) { foldedWeight[i] = Float(Double(w[i]) * scale) }
                foldedBias[o] = Float(Double(b?[o] ?? 0) * scale + shift)
            }
            try (conv as! FusedInferenceConv2D).forwardFused(
                input: input.value, weight: foldedWeight, bias: foldedBias,
                slope: store.values(prelu.slope).pointee, output: prelu.output.value)
        }
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
