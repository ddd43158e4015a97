import Tensors

/// BatchNorm2d: batch statistics in training, running statistics in inference.
/// Channels (or blocks of 16 on blocked activations) are independent: they are split over threads.
final class BatchNormLayer: Layer {
    let input: Node, output: Node
    let weight: NamedTensor, bias: NamedTensor, runningMean: NamedTensor, runningVar: NamedTensor
    unowned let store: ParameterStore
    private let saved: BatchStatistics
    /// Whether the last forward used batch statistics (backward must match it).
    private var trained = false

    init(name: String, input: Node, output: Node, channels: Int, store: ParameterStore) {
        self.input = input
        self.output = output
        self.store = store
        weight = store.declare("\(name).weight", shape: [channels])
        bias = store.declare("\(name).bias", shape: [channels])
        runningMean = store.declare("\(name).running_mean", shape: [channels], role: .runningStatistic)
        runningVar = store.declare("\(name).running_var", shape: [channels], role: .runningStatistic)
        saved = BatchStatistics(channels: channels)
    }

    var backwardReadsInputs: Bool { true }
    var parameterGradients: [NamedTensor] { [weight, bias] }
    var inputs: [Node] { [input] }
    func outputShape() throws -> TensorShape { input.shape }

    /// The inference transform of channel `c`, `y = x * scale + shift` (running statistics).
    func inferenceTransform(channel c: Int) -> (scale: Double, shift: Double) {
        let invStd = 1 / (Double(store.values(runningVar)[c]) + BatchNorm.epsilon).squareRoot()
        let scale = Double(store.values(weight)[c]) * invStd
        return (scale, Double(store.values(bias)[c]) - Double(store.values(runningMean)[c]) * scale)
    }

    func forward(_ context: PassContext) throws {
        trained = context.training
        let (x, y, shape) = (input.value!, output.value!, input.shape)
        let (w, b) = (store.values(weight), store.values(bias))
        let (rm, rv) = (store.values(runningMean), store.values(runningVar))
        let (mean, invStd, training) = (saved.mean, saved.invStd, context.training)
        if input.layout == .nChw16c {
            Parallel.forEach((shape.channels + 15) / 16, threads: context.threads) { k in
                if training {
                    BlockedBatchNorm.forwardTraining(input: x, output: y, shape: shape, weight: w, bias: b,
                                                     runningMean: rm, runningVar: rv, savedMean: mean,
                                                     savedInvStd: invStd, blocks: k..<(k + 1))
                } else {
                    BlockedBatchNorm.forwardInference(input: x, output: y, shape: shape, weight: w, bias: b,
                                                      runningMean: rm, runningVar: rv, blocks: k..<(k + 1))
                }
            }
            return
        }
        Parallel.forEach(shape.channels, threads: context.threads) { c in
            if training {
                BatchNorm.forwardTraining(input: x, output: y, shape: shape, weight: w, bias: b, runningMean: rm,
                                          runningVar: rv, savedMean: mean, savedInvStd: invStd, channels: c..<(c + 1))
            } else {
                BatchNorm.forwardInference(input: x, output: y, shape: shape, weight: w, bias: b, runningMean: rm,
                                           runningVar: rv, channels: c..<(c + 1))
            }
        }
    }

    func backward(_ context: PassContext) throws {
        let (x, dy, dx, shape) = (input.value!, output.grad!, input.gradIfNeeded, input.shape)
        let (w, dw, db) = (store.values(weight), store.gradient(weight), store.gradient(bias))
        let (mean, invStd, trained) = (saved.mean, saved.invStd, trained)
        if input.layout == .nChw16c {
            let (b, rm, rv) = (store.values(bias), store.values(runningMean), store.values(runningVar))
            Parallel.forEach((shape.channels + 15) / 16, threads: context.threads) { k in
                if trained {
                    BlockedBatchNorm.backwardTraining(input: x, gradOutput: dy, gradInput: dx, shape: shape,
                                                      weight: w, bias: b, savedMean: mean, savedInvStd: invStd,
                                                      gradWeight: dw, gradBias: db, blocks: k..<(k + 1))
                } else {
                    BlockedBatchNorm.backwardInference(input: x, gradOutput: dy, gradInput: dx, shape: shape,
                                                       weight: w, bias: b, runningMean: rm, runningVar: rv,
                                                       gradWeight: dw, gradBias: db, blocks: k..<(k + 1))
                }
            }
        } else if trained {
            Parallel.forEach(shape.channels, threads: context.threads) { c in
                BatchNorm.backwardTraining(input: x, gradOutput: dy, gradInput: dx, shape: shape, weight: w,
                                           savedMean: mean, savedInvStd: invStd, gradWeight: dw, gradBias: db,
                                           channels: c..<(c + 1))
            }
        } else {
            BatchNorm.backwardInference(input: x, gradOutput: dy, gradInput: dx, shape: shape, weight: w,
                                        runningMean: store.values(runningMean), runningVar: store.values(runningVar),
                                        gradWeight: dw, gradBias: db)
        }
    }
}
