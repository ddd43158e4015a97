import Tensors

/// conv -> BatchNorm (running statistics) -> PReLU as one kernel call, for inference
/// (`FusionPlan`): the BatchNorm's per-channel `x * scale + shift` folds into the
/// convolution's weights and bias, and the kernel applies the PReLU as it writes
/// (`FusedInferenceConv2D`), so neither intermediate tensor exists. Forward only.
final class ConvBatchNormPReLULayer: Layer {
    /// The replaced layers: the kernel is the convolution's, the parameters theirs.
    let conv: ConvLayer, batchNorm: BatchNormLayer, prelu: PReLULayer
    /// Weights and bias with the BatchNorm folded in, remade every forward (the
    /// parameters may have changed since the last one).
    private var folded: [Float] = []

    init(_ conv: ConvLayer, _ batchNorm: BatchNormLayer, _ prelu: PReLULayer) {
        precondition(batchNorm.input === conv.output && prelu.input === batchNorm.output,
                     "conv -> BatchNorm -> PReLU must be a chain")
        self.conv = conv
        self.batchNorm = batchNorm
        self.prelu = prelu
    }

    var inputs: [Node] { [conv.input] }
    var output: Node { prelu.output }
    var backwardReadsInputs: Bool { false }
    /// Shapes come from the graph as built.
    func outputShape() throws -> TensorShape { output.shape }

    /// The convolution's kernel (made for the prepared geometry), and the folded parameters' room.
    func prepare(_ context: PassContext) throws {
        try conv.prepare(context)
        folded = [Float](repeating: 0, count: conv.weight.count + conv.outChannels)
    }

    func forward(_ context: PassContext) throws {
        guard let kernel = conv.fusedInferenceKernel else {
            throw NetworkError.invalidGraph("\(conv.name): the kernel has no fused inference at this shape")
        }
        let store = conv.store
        let (count, channels) = (conv.weight.count, conv.outChannels)
        let perChannel = count / channels
        let (w, b) = (store.values(conv.weight), conv.bias.map { UnsafePointer(store.values($0)) })
        try folded.withUnsafeMutableBufferPointer { buffer in
            let (foldedWeight, foldedBias) = (buffer.baseAddress!, buffer.baseAddress! + count)
            for o in 0..<channels {
                let (scale, shift) = batchNorm.inferenceTransform(channel: o)
                for i in (o * perChannel)..<((o + 1) * perChannel) { foldedWeight[i] = Float(Double(w[i]) * scale) }
                foldedBias[o] = Float(Double(b?[o] ?? 0) * scale + shift)
            }
            try kernel.forwardFused(input: conv.input.value, weight: foldedWeight, bias: foldedBias,
                                    slope: store.values(prelu.slope).pointee, output: output.value)
        }
    }

    func backward(_ context: PassContext) throws {
        throw NetworkError.usage("\(conv.name): a fused inference layer has no backward")
    }
}
