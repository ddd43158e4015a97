import Tensors

/// BatchNorm2d: batch statistics in training, running statistics in inference.
/// Channels are independent: they are split over threads.
final class BatchNormLayer: Layer {
    let input: Node, output: Node
    let weight: NamedTensor, bias: NamedTensor, runningMean: NamedTensor, runningVar: NamedTensor
    unowned let store: ParameterStore
    private let savedMean: UnsafeMutablePointer<Float>, savedInvStd: UnsafeMutablePointer<Float>
    /// Whether the last forward used batch statistics (backward must match it).
    private var trained = false
    /// Set by the preceding convolution when it did this layer's work (fused inference).
    var skipsForward = false
    /// The PReLU that alone follows this layer on blocked activations (set by the builder):
    /// forward writes its output and backward starts from its output's gradient, so the
    /// BatchNorm output is neither written nor read (one memory pass less each way).
    var activation: PReLULayer?
    /// Per channel block: the fused PReLU's slope-gradient partial sums.
    private var slopePartials: [Double] = []
    /// With a fused PReLU, backward reads the PReLU output's gradient.
    var consumedGradients: [Node] { activation.map { [output, $0.output] } ?? [output] }
    /// With a fused PReLU, forward writes the PReLU's output.
    var outputsWrittenEarly: [Node] { activation.map { [$0.output] } ?? [] }

    init(name: String, input: Node, output: Node, channels: Int, store: ParameterStore) {
        self.input = input
        self.output = output
        self.store = store
        weight = store.declare("\(name).weight", shape: [channels])
        bias = store.declare("\(name).bias", shape: [channels])
        runningMean = store.declare("\(name).running_mean", shape: [channels], role: .runningStatistic)
        runningVar = store.declare("\(name).running_var", shape: [channels], role: .runningStatistic)
        savedMean = .allocate(capacity: channels)
        savedMean.initialize(repeating: 0, count: channels)
        savedInvStd = .allocate(capacity: channels)
        savedInvStd.initialize(repeating: 0, count: channels)
    }

    deinit {
        savedMean.deallocate()
        savedInvStd.deallocate()
    }

    var backwardReadsInputs: Bool { true }
    var inputs: [Node] { [input] }
    func outputShape() throws -> TensorShape { input.shape }

    /// The output of the last forward, which a forward fused with the PReLU does not
    /// write (nor keep): recomputed from its input and statistics into a new array.
    func outputSkippedByFusion() -> [Float] {
        let channels = input.shape.channels
        var mean = [Float](repeating: 0, count: channels), invStd = mean
        for c in 0..<channels {
            if trained {
                (mean[c], invStd[c]) = (savedMean[c], savedInvStd[c])
            } else {
                mean[c] = store.values(runningMean)[c]
                invStd[c] = Float(1 / (Double(store.values(runningVar)[c]) + BatchNorm.epsilon).squareRoot())
            }
        }
        var z = [Float](repeating: 0, count: output.storageCount)
        BlockedBatchNorm.normalize(input: input.value, output: &z, shape: input.shape,
                                   weight: store.values(weight), bias: store.values(bias), mean: mean, invStd: invStd)
        return z
    }

    /// The inference transform of channel `c`, `y = x * scale + shift` (running statistics).
    func inferenceTransform(channel c: Int) -> (scale: Double, shift: Double) {
        let invStd = 1 / (Double(store.values(runningVar)[c]) + BatchNorm.epsilon).squareRoot()
        let scale = Double(store.values(weight)[c]) * invStd
        return (scale, Double(store.values(bias)[c]) - Double(store.values(runningMean)[c]) * scale)
    }

    func forward(_ context: PassContext) throws {
        trained = context.training
        if skipsForward { return }
        let (x, y, shape) = (input.value!, output.value!, input.shape)
        let (w, b) = (store.values(weight), store.values(bias))
        let (rm, rv) = (store.values(runningMean), store.values(runningVar))
        let (mean, invStd, training) = (savedMean, savedInvStd, context.training)
        if input.layout == .nChw16c {
            // Fused with the PReLU unless its sides are frozen (finite-difference checks).
            let fused = context.piecewiseChoicesFrozen ? nil : activation
            let (out, slope) = (fused?.output.value ?? y, fused.map { store.values($0.slope).pointee })
            Parallel.forEach((shape.channels + 15) / 16, threads: context.threads) { k in
                if training {
                    BlockedBatchNorm.forwardTraining(input: x, output: out, shape: shape, weight: w, bias: b,
                                                     runningMean: rm, runningVar: rv, savedMean: mean,
                                                     savedInvStd: invStd, blocks: k..<(k + 1), slope: slope)
                } else {
                    BlockedBatchNorm.forwardInference(input: x, output: out, shape: shape, weight: w, bias: b,
                                                      runningMean: rm, runningVar: rv, blocks: k..<(k + 1),
                                                      slope: slope)
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
        if input.layout == .nChw16c {
            let (x, dx, shape) = (input.value!, input.gradIfNeeded, input.shape)
            let dy = activation?.output.grad ?? output.grad!
            let (w, b, dw, db) = (store.values(weight), store.values(bias), store.gradient(weight), store.gradient(bias))
            let (mean, invStd, trained) = (savedMean, savedInvStd, trained)
            let (rm, rv) = (store.values(runningMean), store.values(runningVar))
            let blocks = (shape.channels + 15) / 16
            if slopePartials.count != blocks { slopePartials = [Double](repeating: 0, count: blocks) }
            let slope = activation.map { store.values($0.slope).pointee }
            slopePartials.withUnsafeMutableBufferPointer { partials in
                let prelu = slope.map { BlockedBatchNorm.FusedPReLU($0, partials.baseAddress!) }
                Parallel.forEach(blocks, threads: context.threads) { k in
                    if trained {
                        BlockedBatchNorm.backwardTraining(input: x, gradOutput: dy, gradInput: dx, shape: shape,
                                                          weight: w, bias: b, savedMean: mean, savedInvStd: invStd,
                                                          gradWeight: dw, gradBias: db, blocks: k..<(k + 1),
                                                          prelu: prelu)
                    } else {
                        BlockedBatchNorm.backwardInference(input: x, gradOutput: dy, gradInput: dx, shape: shape,
                                                           weight: w, bias: b, runningMean: rm, runningVar: rv,
                                                           gradWeight: dw, gradBias: db, blocks: k..<(k + 1),
                                                           prelu: prelu)
                    }
                }
            }
            if let activation {
                store.gradient(activation.slope).pointee = Float(slopePartials.reduce(0, +))
            }
        } else if trained {
            let (x, dy, dx, shape) = (input.value!, output.grad!, input.gradIfNeeded, input.shape)
            let (w, dw, db) = (store.values(weight), store.gradient(weight), store.gradient(bias))
            let (mean, invStd) = (savedMean, savedInvStd)
            Parallel.forEach(shape.channels, threads: context.threads) { c in
                BatchNorm.backwardTraining(input: x, gradOutput: dy, gradInput: dx, shape: shape, weight: w,
                                           savedMean: mean, savedInvStd: invStd, gradWeight: dw, gradBias: db,
                                           channels: c..<(c + 1))
            }
        } else {
            BatchNorm.backwardInference(input: input.value, gradOutput: output.grad, gradInput: input.gradIfNeeded,
                                        shape: input.shape, weight: store.values(weight),
                                        runningMean: store.values(runningMean), runningVar: store.values(runningVar),
                                        gradWeight: store.gradient(weight), gradBias: store.gradient(bias))
        }
    }
}
