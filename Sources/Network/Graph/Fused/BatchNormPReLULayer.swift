import Tensors

/// A BatchNorm and the PReLU that alone reads it, on blocked activations, as one layer
/// (`FusionPlan`): forward writes `prelu(bn(x))` in one pass; backward starts from the
/// PReLU output's gradient and recomputes `bn(x)` where it needs it. The BatchNorm's
/// output is neither written nor kept, and its gradient never exists (one memory pass
/// less each way). The arithmetic is `BlockedBatchNorm`'s, with the PReLU's slope.
final class BatchNormPReLULayer: Layer {
    /// The replaced layers, whose parameters this layer uses.
    let batchNorm: BatchNormLayer, prelu: PReLULayer
    private unowned let store: ParameterStore
    private let saved: BatchStatistics
    /// Whether the last forward used batch statistics (backward must match it).
    private var trained = false
    /// Per channel block: the slope gradient's partial sums, added in block order.
    private var slopePartials: [Double] = []

    init(_ batchNorm: BatchNormLayer, _ prelu: PReLULayer) {
        precondition(prelu.input === batchNorm.output && batchNorm.input.layout == .nChw16c,
                     "BatchNorm -> PReLU fuses on blocked activations")
        self.batchNorm = batchNorm
        self.prelu = prelu
        store = batchNorm.store
        saved = BatchStatistics(channels: batchNorm.weight.count)
    }

    var inputs: [Node] { [batchNorm.input] }
    var output: Node { prelu.output }
    var backwardReadsInputs: Bool { true }
    /// Shapes come from the graph as built.
    func outputShape() throws -> TensorShape { output.shape }

    func prepare(_ context: PassContext) throws {
        slopePartials = [Double](repeating: 0, count: (batchNorm.input.shape.channels + 15) / 16)
    }

    func forward(_ context: PassContext) throws {
        trained = context.training
        let bn = batchNorm
        let (x, y, shape) = (bn.input.value!, output.value!, bn.input.shape)
        let (w, b) = (store.values(bn.weight), store.values(bn.bias))
        let (rm, rv) = (store.values(bn.runningMean), store.values(bn.runningVar))
        let (mean, invStd, training, slope) = (saved.mean, saved.invStd, context.training,
                                               store.values(prelu.slope).pointee)
        Parallel.forEach((shape.channels + 15) / 16, threads: context.threads) { k in
            if training {
                BlockedBatchNorm.forwardTraining(input: x, output: y, shape: shape, weight: w, bias: b,
                                                 runningMean: rm, runningVar: rv, savedMean: mean,
                                                 savedInvStd: invStd, blocks: k..<(k + 1), slope: slope)
            } else {
                BlockedBatchNorm.forwardInference(input: x, output: y, shape: shape, weight: w, bias: b,
                                                  runningMean: rm, runningVar: rv, blocks: k..<(k + 1), slope: slope)
            }
        }
    }

    func backward(_ context: PassContext) throws {
        let bn = batchNorm
        let (x, dx, dy, shape) = (bn.input.value!, bn.input.gradIfNeeded, output.grad!, bn.input.shape)
        let (w, b, dw, db) = (store.values(bn.weight), store.values(bn.bias), store.gradient(bn.weight),
                              store.gradient(bn.bias))
        let (mean, invStd, trained) = (saved.mean, saved.invStd, trained)
        let (rm, rv, slope) = (store.values(bn.runningMean), store.values(bn.runningVar),
                               store.values(prelu.slope).pointee)
        slopePartials.withUnsafeMutableBufferPointer { partials in
            let fused = BlockedBatchNorm.FusedPReLU(slope, partials.baseAddress!)
            Parallel.forEach(partials.count, threads: context.threads) { k in
                if trained {
                    BlockedBatchNorm.backwardTraining(input: x, gradOutput: dy, gradInput: dx, shape: shape,
                                                      weight: w, bias: b, savedMean: mean, savedInvStd: invStd,
                                                      gradWeight: dw, gradBias: db, blocks: k..<(k + 1), prelu: fused)
                } else {
                    BlockedBatchNorm.backwardInference(input: x, gradOutput: dy, gradInput: dx, shape: shape,
                                                       weight: w, bias: b, runningMean: rm, runningVar: rv,
                                                       gradWeight: dw, gradBias: db, blocks: k..<(k + 1),
                                                       prelu: fused)
                }
            }
        }
        store.gradient(prelu.slope).pointee = Float(slopePartials.reduce(0, +))
    }
}
