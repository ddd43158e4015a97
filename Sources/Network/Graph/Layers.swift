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
    /// With a fused PReLU, backward also writes the slope's gradient.
    var parameterGradients: [NamedTensor] { [weight, bias] + (activation.map { [$0.slope] } ?? []) }

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

/// PReLU with one slope.
final class PReLULayer: Layer {
    let input: Node, output: Node
    let slope: NamedTensor
    unowned let store: ParameterStore

    init(slope: NamedTensor, input: Node, output: Node, store: ParameterStore) {
        self.slope = slope
        self.input = input
        self.output = output
        self.store = store
    }

    /// Fused into the BatchNorm, its input is never written: backward recomputes it.
    var backwardReadsInputs: Bool { !fusedIntoBatchNorm }
    var inputs: [Node] { [input] }
    func outputShape() throws -> TensorShape { input.shape }

    /// Set by the preceding convolution when it did this layer's work (fused inference).
    var skipsForward = false
    /// Whether the preceding BatchNorm does this layer's forward and backward (see
    /// `BatchNormLayer.activation`); then only finite-difference checks, with frozen
    /// sides, run this layer's forward.
    var fusedIntoBatchNorm: Bool { fusingBatchNorm != nil }
    weak var fusingBatchNorm: BatchNormLayer?
    /// Fused, the BatchNorm reads this output's gradient: its memory lives until then.
    var consumedGradients: [Node] { fusedIntoBatchNorm ? [] : [output] }
    /// Fused, the BatchNorm writes the slope's gradient.
    var parameterGradients: [NamedTensor] { fusedIntoBatchNorm ? [] : [slope] }

    /// The sides (`x > 0`) of the last forward, once frozen.
    private var frozenPositive: [Bool] = []

    /// Records the current sides, for `PassContext.piecewiseChoicesFrozen`.
    func freezeSides() {
        if let batchNorm = fusingBatchNorm {
            frozenPositive = batchNorm.outputSkippedByFusion().map { $0 > 0 }
        } else {
            frozenPositive = (0..<input.storageCount).map { input.value[$0] > 0 }
        }
    }

    /// Per-chunk sums of the slope gradient, added in chunk order.
    private var partial: [Float] = []

    func prepare(_ context: PassContext) throws {
        partial = [Float](repeating: 0, count: Parallel.chunks(input.storageCount))
    }

    func forward(_ context: PassContext) throws {
        if skipsForward || (fusedIntoBatchNorm && !context.piecewiseChoicesFrozen) { return }
        if context.piecewiseChoicesFrozen {
            PReLU.forward(input: input.value, output: output.value, count: input.storageCount,
                          slope: store.values(slope).pointee, positive: frozenPositive)
            return
        }
        let (x, y, a) = (input.value!, output.value!, store.values(slope).pointee)
        Parallel.forEachChunk(input.storageCount, threads: context.threads) { _, start, length in
            PReLU.forward(input: x + start, output: y + start, count: length, slope: a)
        }
    }

    func backward(_ context: PassContext) throws {
        if fusedIntoBatchNorm { return }
        let (x, dy, dx, a) = (input.value!, output.grad!, input.gradIfNeeded, store.values(slope).pointee)
        partial.withUnsafeMutableBufferPointer { sums in
            let sums = sums.baseAddress!
            Parallel.forEachChunk(input.storageCount, threads: context.threads) { k, start, length in
                PReLU.backward(input: x + start, gradOutput: dy + start, gradInput: dx.map { $0 + start },
                               count: length, slope: a, gradSlope: sums + k)
            }
        }
        store.gradient(slope).pointee = Float(partial.reduce(0.0) { $0 + Double($1) })
    }
}

/// 2x2 max-pool keeping its indices for a later unpool.
final class MaxPoolLayer: Layer {
    let input: Node, output: Node
    private(set) var indices: UnsafeMutablePointer<Int32> = .allocate(capacity: 1)
    private var capacity = 1

    init(input: Node, output: Node) {
        self.input = input
        self.output = output
    }

    deinit { indices.deallocate() }

    var backwardReadsInputs: Bool { false }
    var inputs: [Node] { [input] }

    func outputShape() throws -> TensorShape {
        let s = input.shape
        return TensorShape(s.batch, s.channels, s.height / 2, s.width / 2)
    }

    func prepare(_ context: PassContext) throws {
        guard output.storageCount > capacity else { return }
        indices.deallocate()
        capacity = output.storageCount
        indices = .allocate(capacity: capacity)
    }

    func forward(_ context: PassContext) throws {
        if input.layout == .nChw16c {
            if context.piecewiseChoicesFrozen {
                BlockedPooling.maxPoolGather(input: input.value, shape: input.shape, indices: indices, output: output.value)
            } else {
                BlockedPooling.maxPoolForward(input: input.value, shape: input.shape, output: output.value,
                                              indices: indices)
            }
        } else if context.piecewiseChoicesFrozen {
            MaxPool2x2.gather(input: input.value, shape: input.shape, indices: indices, output: output.value)
        } else {
            MaxPool2x2.forward(input: input.value, shape: input.shape, output: output.value, indices: indices)
        }
    }

    func backward(_ context: PassContext) throws {
        guard let dx = input.gradIfNeeded else { return }
        if input.layout == .nChw16c {
            BlockedPooling.maxPoolBackward(gradOutput: output.grad, indices: indices, outputShape: output.shape,
                                           gradInput: dx)
        } else {
            MaxPool2x2.backward(gradOutput: output.grad, indices: indices, outputShape: output.shape, gradInput: dx)
        }
    }
}

/// 2x2 max-unpool with the indices of an earlier pool.
final class MaxUnpoolLayer: Layer {
    let input: Node, output: Node
    let pool: MaxPoolLayer

    init(input: Node, pool: MaxPoolLayer, output: Node) {
        self.input = input
        self.pool = pool
        self.output = output
    }

    var backwardReadsInputs: Bool { false }
    var inputs: [Node] { [input] }

    func outputShape() throws -> TensorShape {
        guard input.shape == pool.output.shape, input.layout == pool.output.layout else {
            throw NetworkError.invalidGraph("unpool input \(input.shape) does not match pool output \(pool.output.shape)")
        }
        return TensorShape(input.shape.batch, input.shape.channels, pool.input.shape.height, pool.input.shape.width)
    }

    func forward(_ context: PassContext) throws {
        if input.layout == .nChw16c {
            BlockedPooling.unpoolForward(input: input.value, indices: pool.indices, shape: input.shape,
                                         output: output.value)
        } else {
            MaxUnpool2x2.forward(input: input.value, indices: pool.indices, shape: input.shape, output: output.value)
        }
    }

    func backward(_ context: PassContext) throws {
        guard let dx = input.gradIfNeeded else { return }
        if input.layout == .nChw16c {
            BlockedPooling.unpoolBackward(gradOutput: output.grad, indices: pool.indices, shape: input.shape,
                                          gradInput: dx)
        } else {
            MaxUnpool2x2.backward(gradOutput: output.grad, indices: pool.indices, shape: input.shape, gradInput: dx)
        }
    }
}

/// Zero-padding of channels up to `channels`.
final class ChannelPadLayer: Layer {
    let input: Node, output: Node
    let channels: Int

    init(input: Node, channels: Int, output: Node) {
        self.input = input
        self.channels = channels
        self.output = output
    }

    var backwardReadsInputs: Bool { false }
    var inputs: [Node] { [input] }

    func outputShape() throws -> TensorShape {
        var s = input.shape
        s.channels = channels
        return s
    }

    func forward(_ context: PassContext) throws {
        guard input.layout != .nchw || output.layout != .nchw else {
            ChannelOps.padForward(input: input.value, shape: input.shape, outChannels: channels, output: output.value)
            return
        }
        output.value.update(repeating: 0, count: output.storageCount)
        ChannelTransfer.run(count: input.shape.channels, batch: input.shape.batch, plane: input.shape.plane,
                            from: input.valueSlice(first: 0), to: output.valueSlice(first: 0), accumulate: false)
    }

    func backward(_ context: PassContext) throws {
        guard let dx = input.gradIfNeeded else { return }
        guard input.layout != .nchw || output.layout != .nchw else {
            ChannelOps.padBackward(gradOutput: output.grad, shape: input.shape, outChannels: channels, gradInput: dx)
            return
        }
        ChannelTransfer.run(count: input.shape.channels, batch: input.shape.batch, plane: input.shape.plane,
                            from: output.gradSlice(first: 0), to: input.gradSlice(first: 0), accumulate: true)
    }
}

/// Channel concatenation of two nodes.
final class ConcatLayer: Layer {
    let a: Node, b: Node, output: Node

    init(_ a: Node, _ b: Node, output: Node) {
        self.a = a
        self.b = b
        self.output = output
    }

    var backwardReadsInputs: Bool { false }
    var inputs: [Node] { [a, b] }

    func outputShape() throws -> TensorShape {
        guard a.shape.batch == b.shape.batch, a.shape.plane == b.shape.plane, a.shape.height == b.shape.height else {
            throw NetworkError.invalidGraph("cannot concatenate \(a.shape) and \(b.shape)")
        }
        var s = a.shape
        s.channels += b.shape.channels
        return s
    }

    private var plain: Bool { a.layout == .nchw && b.layout == .nchw && output.layout == .nchw }

    func forward(_ context: PassContext) throws {
        guard !plain else {
            ChannelOps.concatForward(a.value, aChannels: a.shape.channels, b.value, bChannels: b.shape.channels,
                                     batch: a.shape.batch, plane: a.shape.plane, output: output.value)
            return
        }
        if output.storageCount != output.shape.count {  // padding lanes nobody else writes
            output.value.update(repeating: 0, count: output.storageCount)
        }
        let (batch, plane) = (a.shape.batch, a.shape.plane)
        ChannelTransfer.run(count: a.shape.channels, batch: batch, plane: plane, from: a.valueSlice(first: 0),
                            to: output.valueSlice(first: 0), accumulate: false)
        ChannelTransfer.run(count: b.shape.channels, batch: batch, plane: plane, from: b.valueSlice(first: 0),
                            to: output.valueSlice(first: a.shape.channels), accumulate: false)
    }

    func backward(_ context: PassContext) throws {
        guard !plain else {
            ChannelOps.concatBackward(gradOutput: output.grad, aChannels: a.shape.channels,
                                      bChannels: b.shape.channels, batch: a.shape.batch, plane: a.shape.plane,
                                      gradA: a.gradIfNeeded, gradB: b.gradIfNeeded)
            return
        }
        let (batch, plane) = (a.shape.batch, a.shape.plane)
        if a.needsGradient {
            ChannelTransfer.run(count: a.shape.channels, batch: batch, plane: plane, from: output.gradSlice(first: 0),
                                to: a.gradSlice(first: 0), accumulate: true)
        }
        if b.needsGradient {
            ChannelTransfer.run(count: b.shape.channels, batch: batch, plane: plane,
                                from: output.gradSlice(first: a.shape.channels), to: b.gradSlice(first: 0),
                                accumulate: true)
        }
    }
}

/// Element-wise sum of two nodes of the same shape.
final class AddLayer: Layer {
    let a: Node, b: Node, output: Node

    init(_ a: Node, _ b: Node, output: Node) {
        self.a = a
        self.b = b
        self.output = output
    }

    var backwardReadsInputs: Bool { false }
    var inputs: [Node] { [a, b] }

    func outputShape() throws -> TensorShape {
        guard a.shape == b.shape else { throw NetworkError.invalidGraph("cannot add \(a.shape) and \(b.shape)") }
        return a.shape
    }

    func forward(_ context: PassContext) throws {
        let (x, z, y) = (a.value!, b.value!, output.value!)
        Parallel.forEachChunk(a.storageCount, threads: context.threads) { _, start, length in
            ChannelOps.addForward(x + start, z + start, count: length, output: y + start)
        }
    }

    func backward(_ context: PassContext) throws {
        let (dy, da, db) = (output.grad!, a.gradIfNeeded, b.gradIfNeeded)
        Parallel.forEachChunk(a.storageCount, threads: context.threads) { _, start, length in
            ChannelOps.addBackward(gradOutput: dy + start, count: length, gradA: da.map { $0 + start },
                                   gradB: db.map { $0 + start })
        }
    }
}

/// Element-wise dropout: a fresh seeded mask per training forward; identity otherwise.
final class DropoutLayer: Layer {
    let input: Node, output: Node
    private let mask: DropoutMask

    init(input: Node, p: Double, output: Node) {
        self.input = input
        mask = DropoutMask(p: p)
        self.output = output
    }

    var backwardReadsInputs: Bool { false }
    var inputs: [Node] { [input] }
    func outputShape() throws -> TensorShape { input.shape }

    func prepare(_ context: PassContext) throws { mask.reserve(input.storageCount) }

    func forward(_ context: PassContext) throws {
        let count = input.storageCount
        let (x, y) = (input.value!, output.value!)
        guard let m = mask.draw(count: count, context: context) else { return y.update(from: x, count: count) }
        Parallel.forEachChunk(count, threads: context.threads) { _, start, length in
            Dropout.forward(input: x + start, mask: m + start, count: length, output: y + start)
        }
    }

    func backward(_ context: PassContext) throws {
        guard let dx = input.gradIfNeeded else { return }
        let (dy, m) = (output.grad!, mask.last)
        Parallel.forEachChunk(input.storageCount, threads: context.threads) { _, start, length in
            if let m {
                Dropout.backward(gradOutput: dy + start, mask: m + start, count: length, gradInput: dx + start)
            } else {
                ChannelOps.addInPlace(dx + start, dy + start, count: length)
            }
        }
    }
}

/// `a + dropout(b)` in one layer (a bottleneck's residual plus its dropped-out
/// branch): the dropped-out branch is never written, nor its gradient. Same mask
/// stream and arithmetic as `DropoutLayer` followed by `AddLayer`.
final class DropoutAddLayer: Layer {
    let a: Node, b: Node, output: Node
    private let mask: DropoutMask

    init(_ a: Node, _ b: Node, p: Double, output: Node) {
        self.a = a
        self.b = b
        mask = DropoutMask(p: p)
        self.output = output
    }

    var backwardReadsInputs: Bool { false }
    var inputs: [Node] { [a, b] }

    func outputShape() throws -> TensorShape {
        guard a.shape == b.shape, a.layout == b.layout else {
            throw NetworkError.invalidGraph("cannot add \(a.shape) and \(b.shape)")
        }
        return a.shape
    }

    func prepare(_ context: PassContext) throws { mask.reserve(b.storageCount) }

    func forward(_ context: PassContext) throws {
        let count = b.storageCount
        let (x, z, y, m) = (a.value!, b.value!, output.value!, mask.draw(count: count, context: context))
        Parallel.forEachChunk(count, threads: context.threads) { _, start, length in
            if let m {
                Dropout.addForward(x + start, z + start, mask: m + start, count: length, output: y + start)
            } else {
                ChannelOps.addForward(x + start, z + start, count: length, output: y + start)
            }
        }
    }

    func backward(_ context: PassContext) throws {
        let (dy, da, db, m) = (output.grad!, a.gradIfNeeded, b.gradIfNeeded, mask.last)
        Parallel.forEachChunk(b.storageCount, threads: context.threads) { _, start, length in
            if let da { ChannelOps.addInPlace(da + start, dy + start, count: length) }
            guard let db else { return }
            if let m {
                Dropout.backward(gradOutput: dy + start, mask: m + start, count: length, gradInput: db + start)
            } else {
                ChannelOps.addInPlace(db + start, dy + start, count: length)
            }
        }
    }
}

/// Nearest-neighbour x2 upsampling.
final class UpsampleLayer: Layer {
    let input: Node, output: Node

    init(input: Node, output: Node) {
        self.input = input
        self.output = output
    }

    var backwardReadsInputs: Bool { false }
    var inputs: [Node] { [input] }

    func outputShape() throws -> TensorShape {
        let s = input.shape
        return TensorShape(s.batch, s.channels, 2 * s.height, 2 * s.width)
    }

    func forward(_ context: PassContext) throws {
        if input.layout == .nChw16c {
            BlockedPooling.upsampleForward(input: input.value, shape: input.shape, output: output.value)
        } else {
            UpsampleNearest2x.forward(input: input.value, shape: input.shape, output: output.value)
        }
    }

    func backward(_ context: PassContext) throws {
        guard let dx = input.gradIfNeeded else { return }
        if input.layout == .nChw16c {
            BlockedPooling.upsampleBackward(gradOutput: output.grad, shape: input.shape, gradInput: dx)
        } else {
            UpsampleNearest2x.backward(gradOutput: output.grad, shape: input.shape, gradInput: dx)
        }
    }
}
