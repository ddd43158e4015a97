internal import CDNNL

/// A convolution the oneDNN way: forward training, backward data and backward
/// weights (+ bias) primitives created once for one geometry, with memory
/// layouts chosen by oneDNN and reorders from/to the caller's buffers at the
/// edges where the layouts differ. The caller's weights are plain OIHW; its
/// activations are plain NCHW or blocked `nChw16c` (`source`, `destination`):
/// a network that keeps its activations blocked skips most reorders.
///
/// Every memory and primitive is allocated in `init`, except the fused inference
/// primitive (`forwardFused`), made on first use and again when the PReLU slope
/// changes. `forward` and `backward` allocate nothing themselves (oneDNN's
/// `dnnl_primitive_execute` makes a few small heap allocations for its argument
/// map, ~4 per primitive run, measured with a malloc-counting LD_PRELOAD). The
/// tensors in oneDNN's layouts live in the context's shared workspace, and no
/// activation state is kept between calls: layers with the same geometry can
/// share one kernel (sharing it between units with different slopes would make
/// `forwardFused` rebuild its primitive on every call; the network does not share).
///
/// Layout choice: oneDNN 2.6 falls back to its slow reference kernels for some
/// shapes under `format_tag_any` (3x3 with 4 or 8 channels, dilation 16 at
/// 32x32). `init` therefore tries activation layouts in the order of
/// `ConvLayout.allCases`, `ConvLayout.preferred(for:)` first, and keeps the
/// first (or, with `choice: .fastest`, the fastest) whose primitives are all
/// JIT kernels (see `implementations`).
public final class DNNLConv2D: Conv2DKernel {
    public let geometry: Conv2DGeometry
    /// Whether the primitives include a bias (forward with `bias: nil` then adds zeros).
    public let hasBias: Bool
    /// Whether `backward` can compute `gradInput` (false for a network's first layer).
    public let computesInputGradient: Bool
    /// The activation layout that was requested from oneDNN.
    public let layout: ConvLayout
    /// The caller's layouts of the input (and its gradient) and of the output (and its gradient).
    public let sourceLayout: ActivationLayout, destinationLayout: ActivationLayout
    /// The implementation oneDNN picked for each primitive, keyed `forward`,
    /// `backwardData`, `backwardWeights` (e.g. `brgconv:avx512_core`, `ref:any`).
    public let implementations: [String: String]

    /// Bytes of the context's workspace this kernel uses for reordered tensors.
    public let workspaceBytes: Int

    private let context: DNNLContext
    private let stream: Stream
    private let workspaceEdges: [PlainEdge]
    private var workspaceGeneration = -1
    // forward
    private let source: PlainEdge
    private let weights: PlainEdge
    private let bias: MemoryView
    private let destination: PlainEdge
    private let forwardPrimitive: BoundPrimitive
    // inference with a PReLU post-op, made for the last slope it ran with
    private let plan: ConvPlan
    private var fused: (slope: Float, primitive: BoundPrimitive)?
    // backward data (nil without input gradient)
    private let dataGradOutput: PlainEdge?
    private let dataWeights: PlainEdge?
    private let gradSource: PlainEdge?
    private let dataPrimitive: BoundPrimitive?
    // backward weights
    private let weightsSource: PlainEdge
    private let weightsGradOutput: PlainEdge
    private let sharesGradOutput: Bool
    private let gradWeights: PlainEdge
    private let gradBias: MemoryView
    private let weightsPrimitive: BoundPrimitive
    // stand-ins for a nil bias / gradBias
    private let zeros: UnsafeMutablePointer<Float>
    private let discard: UnsafeMutablePointer<Float>

    /// Creates the primitives for `geometry` on `context` (the shared one by default).
    /// - Parameters:
    ///   - bias: whether the convolution has a bias.
    ///   - inputGradient: whether `backward` will be asked for `gradInput`.
    ///   - layouts: activation layouts to consider, in order.
    ///   - choice: how to pick among the layouts whose primitives are all JIT kernels.
    ///   - source: the layout of the caller's `input` and `gradInput` buffers.
    ///   - destination: the layout of the caller's `output` and `gradOutput` buffers.
    public convenience init(_ geometry: Conv2DGeometry, bias: Bool = true, inputGradient: Bool = true,
                            layouts: [ConvLayout] = ConvLayout.allCases, choice: LayoutChoice = .heuristic,
                            source: ActivationLayout = .nchw, destination: ActivationLayout = .nchw,
                            context: DNNLContext? = nil) throws {
        let context = try context ?? DNNLContext.shared()
        var layouts = layouts
        if choice == .heuristic,
           let preferred = ConvLayout.preferred(for: geometry, source: source, destination: destination),
           layouts.contains(preferred) {
            layouts = [preferred] + layouts.filter { $0 != preferred }
        }
        let plans = try ConvPlan.candidates(geometry, bias: bias, inputGradient: inputGradient, layouts: layouts,
                                            all: choice == .fastest, engine: context.engine)
        var plan = plans[0]
        if choice == .fastest && plans.count > 1 {
            let scratch = ConvScratch(geometry, source: source, destination: destination)
            var best = Double.infinity
            for candidate in plans {
                let kernel = try DNNLConv2D(geometry, bias: bias, inputGradient: inputGradient, plan: candidate,
                                            source: source, destination: destination, context: context)
                let seconds = try kernel.secondsPerStep(scratch)
                if seconds < best { (best, plan) = (seconds, candidate) }
            }
        }
        try self.init(geometry, bias: bias, inputGradient: inputGradient, plan: plan, source: source,
                      destination: destination, context: context)
    }

    private init(_ geometry: Conv2DGeometry, bias: Bool, inputGradient: Bool, plan: ConvPlan,
                 source sourceLayout: ActivationLayout, destination destinationLayout: ActivationLayout,
                 context: DNNLContext) throws {
        let engine = context.engine
        self.geometry = geometry
        hasBias = bias
        computesInputGradient = inputGradient
        self.context = context
        stream = context.stream
        layout = plan.layout
        implementations = plan.implementations
        self.sourceLayout = sourceLayout
        self.destinationLayout = destinationLayout

        let g = geometry
        let plainIn = try memoryDescriptor([g.batch, g.inChannels, g.height, g.width], sourceLayout.tag)
        let plainOut = try memoryDescriptor([g.batch, g.outChannels, g.outputHeight, g.outputWidth],
                                            destinationLayout.tag)
        let plainWeights = try memoryDescriptor([g.outChannels, g.inChannels, g.kernelHeight, g.kernelWidth], dnnl_oihw)
        let plainBias = try memoryDescriptor([g.outChannels], dnnl_x)

        let f = plan.forward
        source = try PlainEdge(plain: plainIn, inner: f.memory(dnnl_query_src_md), .input, engine: engine)
        weights = try PlainEdge(plain: plainWeights, inner: f.memory(dnnl_query_weights_md), .input, engine: engine)
        self.bias = try MemoryView(viewing: plainBias, engine: engine)
        destination = try PlainEdge(plain: plainOut, inner: f.memory(dnnl_query_dst_md), .output, engine: engine)
        var forwardArgs = [(DNNL_ARG_SRC, source.inner), (DNNL_ARG_WEIGHTS, weights.inner),
                           (DNNL_ARG_DST, destination.inner)]
        if bias { forwardArgs.append((DNNL_ARG_BIAS, self.bias)) }
        forwardPrimitive = try BoundPrimitive(f, forwardArgs)
        self.plan = plan

        if let d = plan.backwardData {
            let gradOut = try PlainEdge(plain: plainOut, inner: d.memory(dnnl_query_diff_dst_md), .input, engine: engine)
            let w = try PlainEdge(plain: plainWeights, inner: d.memory(dnnl_query_weights_md), .input, engine: engine)
            let gradIn = try PlainEdge(plain: plainIn, inner: d.memory(dnnl_query_diff_src_md), .output, engine: engine)
            dataGradOutput = gradOut
            dataWeights = w
            gradSource = gradIn
            dataPrimitive = try BoundPrimitive(d, [(DNNL_ARG_DIFF_DST, gradOut.inner), (DNNL_ARG_WEIGHTS, w.inner),
                                                   (DNNL_ARG_DIFF_SRC, gradIn.inner)])
        } else {
            dataGradOutput = nil
            dataWeights = nil
            gradSource = nil
            dataPrimitive = nil
        }

        let w = plan.backwardWeights
        weightsSource = try PlainEdge(plain: plainIn, inner: w.memory(dnnl_query_src_md), .input, engine: engine)
        let gradOutLayout = w.memory(dnnl_query_diff_dst_md)
        if let shared = dataGradOutput, sameLayout(shared.inner.descriptor, gradOutLayout) {
            // Both backward primitives read grad-output in one layout: reorder it once.
            weightsGradOutput = shared
            sharesGradOutput = true
        } else {
            weightsGradOutput = try PlainEdge(plain: plainOut, inner: gradOutLayout, .input, engine: engine)
            sharesGradOutput = false
        }
        gradWeights = try PlainEdge(plain: plainWeights, inner: w.memory(dnnl_query_diff_weights_md), .output,
                                    engine: engine)
        gradBias = try MemoryView(viewing: plainBias, engine: engine)
        var weightsArgs = [(DNNL_ARG_SRC, weightsSource.inner), (DNNL_ARG_DIFF_DST, weightsGradOutput.inner),
                           (DNNL_ARG_DIFF_WEIGHTS, gradWeights.inner)]
        if bias { weightsArgs.append((DNNL_ARG_DIFF_BIAS, gradBias)) }
        weightsPrimitive = try BoundPrimitive(w, weightsArgs)

        // Every reordered tensor of one forward + backward gets its own bytes in the workspace.
        var edges = [source, weights, destination]
        if let dataGradOutput, let dataWeights, let gradSource { edges += [dataGradOutput, dataWeights, gradSource] }
        edges += [weightsSource, gradWeights]
        if !sharesGradOutput { edges.append(weightsGradOutput) }
        workspaceEdges = edges.filter(\.reorders)
        var offset = 0
        for edge in workspaceEdges {
            edge.offset = offset
            offset += edge.workspaceBytes
        }
        workspaceBytes = offset
        context.reserveWorkspace(offset)

        zeros = .allocate(capacity: g.outChannels)
        zeros.initialize(repeating: 0, count: g.outChannels)
        discard = .allocate(capacity: g.outChannels)
        discard.initialize(repeating: 0, count: g.outChannels)
    }

    deinit {
        zeros.deallocate()
        discard.deallocate()
    }

    /// Whether any of the primitives runs one of oneDNN's slow reference (`ref:`) kernels.
    public var usesReferenceKernel: Bool {
        implementations.values.contains { $0.hasPrefix("ref") }
    }

    /// How many tensors pass through a reorder per forward + backward (with input gradient).
    public var reordersPerStep: Int { workspaceEdges.count }

    /// Places the reordered tensors in the context's workspace, if it moved since the last call.
    @inline(__always)
    private func attachWorkspace() throws {
        guard workspaceGeneration != context.workspaceGeneration else { return }
        for edge in workspaceEdges { try edge.attach(to: context.workspace) }
        workspaceGeneration = context.workspaceGeneration
    }

    /// The best of a few forward + backward passes on `scratch`, after one warm-up.
    private func secondsPerStep(_ scratch: ConvScratch) throws -> Double {
        let clock = ContinuousClock()
        var best = Double.infinity
        for round in 0..<3 {
            let start = clock.now
            try forward(input: scratch.input, weight: scratch.weight, bias: hasBias ? UnsafePointer(scratch.bias) : nil,
                        output: scratch.output)
            try backward(input: scratch.input, weight: scratch.weight, gradOutput: scratch.output,
                         gradInput: computesInputGradient ? scratch.gradInput : nil, gradWeight: scratch.gradWeight,
                         gradBias: hasBias ? scratch.gradBias : nil)
            let (s, atto) = (clock.now - start).components
            if round > 0 { best = min(best, Double(s) + Double(atto) * 1e-18) }
        }
        return best
    }

    /// For benchmarks: reruns the primitives of the last `forward` and `backward`
    /// (with input gradient, if built) on the same buffers, without the edge reorders.
    /// Compared with a full call it tells what the reorders cost.
    public func rerunPrimitivesOnly() throws {
        try attachWorkspace()
        try forwardPrimitive.run(on: stream)
        try dataPrimitive?.run(on: stream)
        try weightsPrimitive.run(on: stream)
        try stream.wait()
    }

    public func forward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        output: UnsafeMutablePointer<Float>) throws {
        if bias != nil && !hasBias { throw DNNLConv2DError.biasWithoutBiasPrimitive(geometry) }
        try run(forwardPrimitive, input: input, weight: weight, bias: bias ?? UnsafePointer(zeros), output: output)
    }

    /// Runs `primitive` (the forward or the fused inference; both read and write the
    /// forward's edges) with the reorders at the edges.
    private func run(_ primitive: BoundPrimitive, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                     bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) throws {
        try attachWorkspace()
        try source.bind(input)
        try weights.bind(weight)
        try self.bias.point(to: bias)
        try destination.bind(output)
        try source.transfer(on: stream)
        try weights.transfer(on: stream)
        try primitive.run(on: stream)
        try destination.transfer(on: stream)
        try stream.wait()
    }

    /// Whether `forwardFused` is available: oneDNN has a JIT kernel for this convolution
    /// with a PReLU post-op in the layouts of `forward`.
    public var supportsFusedInference: Bool { plan.supportsFusedInference }

    /// Inference in one primitive: `output = prelu(conv(input, weight) + bias, slope)`.
    /// A following BatchNorm with running statistics folds into `weight` and `bias`
    /// (the caller's job), so conv -> BatchNorm -> PReLU costs one pass over memory.
    /// oneDNN 2.6 has JIT kernels for a ReLU post-op with a constant negative slope but
    /// not for its PReLU post-op, so the primitive is made anew when the slope changes
    /// (after training steps; a few ms).
    public func forwardFused(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                             slope: Float, output: UnsafeMutablePointer<Float>) throws {
        if fused?.slope != slope {
            fused = nil
            guard plan.supportsFusedInference,
                  let descriptor = try ConvPlan.fusedInference(plan.inferenceOperation, slope: slope,
                                                               forward: plan.forward, engine: context.engine) else {
                throw DNNLConv2DError.noFusedInference(geometry)
            }
            let arguments = [(DNNL_ARG_SRC, source.inner), (DNNL_ARG_WEIGHTS, weights.inner),
                             (DNNL_ARG_BIAS, self.bias), (DNNL_ARG_DST, destination.inner)]
            fused = (slope, try BoundPrimitive(descriptor, arguments))
        }
        try run(fused!.primitive, input: input, weight: weight, bias: bias, output: output)
    }

    public func backward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
                         gradInput: UnsafeMutablePointer<Float>?, gradWeight: UnsafeMutablePointer<Float>,
                         gradBias: UnsafeMutablePointer<Float>?) throws {
        if gradBias != nil && !hasBias { throw DNNLConv2DError.biasWithoutBiasPrimitive(geometry) }
        try attachWorkspace()
        var gradOutputReady = false
        if let gradInput {
            guard let dataPrimitive, let dataGradOutput, let dataWeights, let gradSource else {
                throw DNNLConv2DError.inputGradientNotBuilt(geometry)
            }
            try dataGradOutput.bind(gradOutput)
            try dataWeights.bind(weight)
            try gradSource.bind(gradInput)
            try dataGradOutput.transfer(on: stream)
            try dataWeights.transfer(on: stream)
            try dataPrimitive.run(on: stream)
            try gradSource.transfer(on: stream)
            gradOutputReady = sharesGradOutput
        }
        try weightsSource.bind(input)
        try weightsGradOutput.bind(gradOutput)
        try gradWeights.bind(gradWeight)
        try self.gradBias.point(to: gradBias ?? discard)
        try weightsSource.transfer(on: stream)
        if !gradOutputReady { try weightsGradOutput.transfer(on: stream) }
        try weightsPrimitive.run(on: stream)
        try gradWeights.transfer(on: stream)
        try stream.wait()
    }
}

/// How `DNNLConv2D` picks an activation layout among those whose primitives are all JIT kernels.
public enum LayoutChoice: Sendable {
    /// The first in the given order: deterministic, and cheap to create.
    case first
    /// Like `first`, but `ConvLayout.preferred(for:)` goes first (deterministic too).
    case heuristic
    /// The fastest forward + backward, timed at creation (a few passes per layout):
    /// on this ENet about 1.5x faster than `first`, but the choice may differ
    /// between runs and machines (and with it the rounding of results).
    case fastest
}

/// Buffers to time a convolution on (values do not matter for speed).
private final class ConvScratch {
    let input, weight, bias, output, gradInput, gradWeight, gradBias: UnsafeMutablePointer<Float>

    init(_ g: Conv2DGeometry, source: ActivationLayout, destination: ActivationLayout) {
        func buffer(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
            p.initialize(repeating: 0.5, count: n)
            return p
        }
        let inputs = source.storageCount(batch: g.batch, channels: g.inChannels, height: g.height, width: g.width)
        let outputs = destination.storageCount(batch: g.batch, channels: g.outChannels, height: g.outputHeight,
                                               width: g.outputWidth)
        (input, weight, bias) = (buffer(inputs), buffer(g.weightCount), buffer(g.outChannels))
        (output, gradInput) = (buffer(outputs), buffer(inputs))
        (gradWeight, gradBias) = (buffer(g.weightCount), buffer(g.outChannels))
    }

    deinit { [input, weight, bias, output, gradInput, gradWeight, gradBias].forEach { $0.deallocate() } }
}

/// Activation layouts a `DNNLConv2D` can ask oneDNN for. Weights are always `any`.
public enum ConvLayout: String, CaseIterable, Sendable {
    /// Let oneDNN choose (usually blocked `nChw16c`).
    case any
    case nhwc
    case nChw8c
    case nchw
    /// Blocked by 16 channels: no reorder when the caller's activations are blocked too.
    case nChw16c

    /// The layout that measured fastest, reorders at the plain edges included, for
    /// this kind of convolution (oneDNN 2.6, AVX-512, ENet shapes at 256x256, batch 8,
    /// `bench conv`): `nil` means `any` (oneDNN's blocked `nChw16c`), which wins for
    /// 16+ channels on both sides. With few channels blocking pads them to 16:
    /// - 1x1 with fewer than 16 channels on a side: `nchw` (GEMM, no reorders), e.g.
    ///   the head's 16 -> 4 output conv 27 -> 9 ms;
    /// - other kernels with at most 16 channels on a side and 32 on the other: `nhwc`,
    ///   e.g. a 4 -> 4 3x3 at 128x128 14 -> 6 ms;
    /// - dilation 16: `nhwc` (`any` gets the GEMM path, 9.5 -> 6.8 ms).
    ///
    /// With blocked activations on both sides the caller's own layout goes first (no
    /// reorders).
    public static func preferred(for g: Conv2DGeometry, source: ActivationLayout = .nchw,
                                 destination: ActivationLayout = .nchw) -> ConvLayout? {
        if source == .nChw16c { return .nChw16c }
        let fewer = min(g.inChannels, g.outChannels), more = max(g.inChannels, g.outChannels)
        let pointwise = g.kernelHeight == 1 && g.kernelWidth == 1 && g.strideHeight == 1 && g.strideWidth == 1
        if pointwise && fewer < 16 { return .nchw }
        if !pointwise && fewer <= 16 && more <= 32 { return .nhwc }
        if g.dilationHeight >= 16 || g.dilationWidth >= 16 { return .nhwc }
        return nil
    }

    var tag: dnnl_format_tag_t {
        switch self {
        case .any: return dnnl_format_tag_any
        case .nhwc: return dnnl_nhwc
        case .nChw8c: return dnnl_nChw8c
        case .nchw: return dnnl_nchw
        case .nChw16c: return dnnl_nChw16c
        }
    }
}

/// Why a `DNNLConv2D` refused a call or could not be built.
public enum DNNLConv2DError: Error, CustomStringConvertible {
    case biasWithoutBiasPrimitive(Conv2DGeometry)
    case inputGradientNotBuilt(Conv2DGeometry)
    case noLayout(Conv2DGeometry, [String])
    case noFusedInference(Conv2DGeometry)

    public var description: String {
        switch self {
        case .biasWithoutBiasPrimitive(let g):
            return "DNNLConv2D (\(g)): a bias was passed to a convolution built with bias: false"
        case .inputGradientNotBuilt(let g):
            return "DNNLConv2D (\(g)): gradInput was requested from a convolution built with inputGradient: false"
        case .noFusedInference(let g):
            return "DNNLConv2D (\(g)): oneDNN has no JIT kernel for this convolution with a PReLU post-op"
        case .noLayout(let g, let reasons):
            return "DNNLConv2D (\(g)): oneDNN has no implementation in any layout: " + reasons.joined(separator: "; ")
        }
    }
}

/// The three primitive descriptors of one convolution in one activation layout,
/// and the operation behind the fused inference (see `DNNLConv2D.forwardFused`).
private struct ConvPlan {
    let layout: ConvLayout
    let forward: PrimitiveDescriptor
    let backwardData: PrimitiveDescriptor?
    let backwardWeights: PrimitiveDescriptor
    /// Forward inference in the forward's layouts, always with a bias.
    var inferenceOperation = dnnl_convolution_desc_t()
    /// Whether oneDNN runs `inferenceOperation` with a leaky-ReLU post-op as a JIT kernel.
    let supportsFusedInference: Bool

    var implementations: [String: String] {
        var names = ["forward": forward.implementation, "backwardWeights": backwardWeights.implementation]
        names["backwardData"] = backwardData?.implementation
        return names
    }

    var referenceKernels: Int {
        implementations.values.filter { $0.hasPrefix("ref") }.count
    }

    init(_ g: Conv2DGeometry, bias: Bool, inputGradient: Bool, layout: ConvLayout, engine: Engine) throws {
        self.layout = layout
        var src = try memoryDescriptor([g.batch, g.inChannels, g.height, g.width], layout.tag)
        var dst = try memoryDescriptor([g.batch, g.outChannels, g.outputHeight, g.outputWidth], layout.tag)
        var wei = try memoryDescriptor([g.outChannels, g.inChannels, g.kernelHeight, g.kernelWidth],
                                       dnnl_format_tag_any)
        let biasDesc = UnsafeMutablePointer<dnnl_memory_desc_t>.allocate(capacity: 1)
        defer { biasDesc.deallocate() }
        biasDesc.initialize(to: try memoryDescriptor([g.outChannels], dnnl_x))
        let bia = bias ? UnsafePointer(biasDesc) : nil
        let strides = dnnlDims([g.strideHeight, g.strideWidth])
        let dilates = dnnlDims([g.dilationHeight - 1, g.dilationWidth - 1]) // oneDNN counts the gaps
        let padLeft = dnnlDims([g.padHeight, g.padWidth])
        // The right/bottom padding that makes oneDNN's output size equal PyTorch's floor.
        func padRight(_ out: Int, _ input: Int, _ kernel: Int, _ stride: Int, _ dilation: Int, _ pad: Int) -> Int {
            max(0, (out - 1) * stride + (kernel - 1) * dilation + 1 - input - pad)
        }
        let padRightDims = dnnlDims([
            padRight(g.outputHeight, g.height, g.kernelHeight, g.strideHeight, g.dilationHeight, g.padHeight),
            padRight(g.outputWidth, g.width, g.kernelWidth, g.strideWidth, g.dilationWidth, g.padWidth),
        ])

        var desc = dnnl_convolution_desc_t()
        try check("dnnl_dilated_convolution_forward_desc_init",
                  dnnl_dilated_convolution_forward_desc_init(&desc, dnnl_forward_training, dnnl_convolution_direct,
                                                             &src, &wei, bia, &dst,
                                                             strides, dilates, padLeft, padRightDims))
        forward = try PrimitiveDescriptor(operation: &desc, engine: engine)
        var weightsChosen = forward.memory(dnnl_query_weights_md)
        try check("dnnl_dilated_convolution_forward_desc_init",
                  dnnl_dilated_convolution_forward_desc_init(&inferenceOperation, dnnl_forward_inference,
                                                             dnnl_convolution_direct, &src, &weightsChosen, biasDesc,
                                                             &dst, strides, dilates, padLeft, padRightDims))
        supportsFusedInference = (try? ConvPlan.fusedInference(inferenceOperation, slope: 0.25, forward: forward,
                                                              engine: engine)) != nil

        if inputGradient {
            try check("dnnl_dilated_convolution_backward_data_desc_init",
                      dnnl_dilated_convolution_backward_data_desc_init(&desc, dnnl_convolution_direct, &src, &wei, &dst,
                                                                       strides, dilates, padLeft, padRightDims))
            backwardData = try PrimitiveDescriptor(operation: &desc, engine: engine, hint: forward)
        } else {
            backwardData = nil
        }

        try check("dnnl_dilated_convolution_backward_weights_desc_init",
                  dnnl_dilated_convolution_backward_weights_desc_init(&desc, dnnl_convolution_direct, &src, &wei,
                                                                      bia, &dst,
                                                                      strides, dilates, padLeft, padRightDims))
        backwardWeights = try PrimitiveDescriptor(operation: &desc, engine: engine, hint: forward)
    }

    /// `operation` followed by PReLU with one slope, as oneDNN's ReLU post-op with
    /// `alpha = slope` (a constant of the primitive); nil if oneDNN would run a reference
    /// kernel or another memory layout than `forward`.
    static func fusedInference(_ operation: dnnl_convolution_desc_t, slope: Float, forward: PrimitiveDescriptor,
                               engine: Engine) throws -> PrimitiveDescriptor? {
        var postOps: dnnl_post_ops_t?
        try check("dnnl_post_ops_create", dnnl_post_ops_create(&postOps))
        defer { dnnl_post_ops_destroy(postOps) }
        try check("dnnl_post_ops_append_eltwise", dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_relu, slope, 0))
        var attributes: dnnl_primitive_attr_t?
        try check("dnnl_primitive_attr_create", dnnl_primitive_attr_create(&attributes))
        defer { dnnl_primitive_attr_destroy(attributes) }
        try check("dnnl_primitive_attr_set_post_ops", dnnl_primitive_attr_set_post_ops(attributes, postOps))
        var operation = operation
        let fused = try PrimitiveDescriptor(operation: &operation, engine: engine, attributes: attributes)
        let sameMemory = sameLayout(fused.memory(dnnl_query_src_md), forward.memory(dnnl_query_src_md))
            && sameLayout(fused.memory(dnnl_query_weights_md), forward.memory(dnnl_query_weights_md))
            && sameLayout(fused.memory(dnnl_query_dst_md), forward.memory(dnnl_query_dst_md))
        return sameMemory && !fused.implementation.hasPrefix("ref") ? fused : nil
    }

    /// The plans in `layouts` with no reference kernel, in order (only the first unless `all`);
    /// if every layout has one, the plan with the fewest.
    static func candidates(_ g: Conv2DGeometry, bias: Bool, inputGradient: Bool, layouts: [ConvLayout], all: Bool,
                           engine: Engine) throws -> [ConvPlan] {
        var good: [ConvPlan] = []
        var fallback: ConvPlan?
        var failures: [String] = []
        for layout in layouts {
            do {
                let plan = try ConvPlan(g, bias: bias, inputGradient: inputGradient, layout: layout, engine: engine)
                if plan.referenceKernels == 0 {
                    good.append(plan)
                    if !all { break }
                } else if fallback == nil || plan.referenceKernels < fallback!.referenceKernels {
                    fallback = plan
                }
            } catch {
                failures.append("\(layout.rawValue): \(error)")
            }
        }
        if !good.isEmpty { return good }
        guard let fallback else { throw DNNLConv2DError.noLayout(g, failures) }
        return [fallback]
    }
}
