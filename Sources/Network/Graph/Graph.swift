import Tensors

/// The layers as built, in execution order, and the nodes they connect: the unfused
/// reference. A pass runs a `FusionPlan` of them (forward in order, backward in
/// reverse), chosen by what the pass is for. Activation values and gradients share
/// memory by liveness (`ValuePlan`, `GradientPlan`); plans are made and memory
/// allocated once per input shape and reused by every step.
final class Graph {
    let input: Node
    private(set) var nodes: [Node]
    /// The layers as built.
    private(set) var layers: [Layer] = []
    private(set) var preparedShape: TensorShape?
    let context: PassContext
    /// The layout of activations between layers (the network's input is always plain).
    let activationLayout: ActivationLayout
    /// The fusions plans may make (all of them unless a test says otherwise).
    var fusions = FusionPlan.Fusions.all {
        didSet { forgetPlans() }
    }

    /// A plan for the prepared shape and the memory of the passes that run it.
    final class Schedule {
        let plan: FusionPlan
        /// Value memory, keyed by whether it keeps what backward reads.
        var values: [Bool: ValuePlan] = [:]
        var gradients: GradientPlan?
        /// When each part of the flat gradient buffer is final in this plan's backward.
        var readiness: GradientReadiness?

        init(_ plan: FusionPlan) { self.plan = plan }
    }

    private var schedules: [FusionPlan.Purpose: Schedule] = [:]
    /// A plan every pass runs instead, whatever its purpose (`pin`).
    private var pinned: Schedule?
    /// The schedule of the last prepared pass.
    private(set) var current: Schedule?

    init(input: Node, context: PassContext, activationLayout: ActivationLayout = .nchw) {
        self.input = input
        self.activationLayout = activationLayout
        self.nodes = [input]
        self.context = context
        input.needsGradient = false
    }

    /// The last layer's output.
    var output: Node { layers.last!.output }

    /// A new node produced by `layer(node)`, appended in execution order. The node
    /// is blocked if any input is (convolutions set their output's layout themselves).
    @discardableResult
    func add<L: Layer>(_ name: String, _ make: (Node) -> L) -> L {
        let node = Node(name)
        let layer = make(node)
        precondition(layer.output === node, "layer must produce the node it was given")
        node.layout = layer.inputs.contains { $0.layout != .nchw } ? activationLayout : .nchw
        for input in layer.inputs { input.consumers += 1 }
        nodes.append(node)
        layers.append(layer)
        return layer
    }

    /// Sets every node's shape for an input of `shape` (no allocation).
    func inferShapes(_ shape: TensorShape) throws {
        input.shape = shape
        for layer in layers { layer.output.shape = try layer.outputShape() }
    }

    /// Shapes, kernels, the plan for `purpose` and value memory for `shape`.
    /// `retainActivations` keeps every value a backward pass reads; without it values
    /// are freed after their last reader (inference).
    func prepare(_ shape: TensorShape, purpose: FusionPlan.Purpose, retainActivations: Bool) throws {
        if preparedShape != shape {
            forgetPlans()
            try inferShapes(shape)
            // Kernels first: whether a convolution fuses depends on its kernel.
            for case let conv as ConvLayer in layers { try conv.prepare(context) }
            preparedShape = shape
        }
        let schedule = try pinned ?? schedules[purpose] ?? makeSchedule(FusionPlan(layers, purpose: purpose,
                                                                                    fusions: fusions))
        if pinned == nil { schedules[purpose] = schedule }
        let values = schedule.values[retainActivations]
            ?? ValuePlan(graph: self, layers: schedule.plan.layers, retainActivations: retainActivations)
        schedule.values[retainActivations] = values
        values.apply(to: self)
        valueFloats = values.totalFloats
        current = schedule
    }

    /// A schedule for `plan`, its layers prepared for the current shapes.
    private func makeSchedule(_ plan: FusionPlan) throws -> Schedule {
        for layer in plan.layers { try layer.prepare(context) }
        return Schedule(plan)
    }

    /// From now on every pass runs `plan` (for the prepared shape), whatever its purpose;
    /// nil goes back to plans by purpose. For checks that need another plan than the fast
    /// path's (finite differences).
    func pin(_ plan: FusionPlan?) throws {
        pinned = try plan.map(makeSchedule)
        current = nil
    }

    private func forgetPlans() {
        preparedShape = nil
        schedules = [:]
        pinned = nil
        current = nil
    }

    /// Floats of activation memory of the plan last applied.
    private(set) var valueFloats = 0

    func forward() throws {
        guard let current else { throw NetworkError.usage("forward before prepare") }
        for layer in current.plan.layers { try layer.forward(context) }
    }

    /// Plans and allocates the gradient memory of the last prepared plan (a no-op when
    /// already planned); sets every node's `grad`.
    func allocateGradients() {
        guard let current else { return }
        if let plan = current.gradients, plan.inputGradient == input.needsGradient {
            plan.apply(to: self)
            return
        }
        current.gradients = nil  // free the old slots first
        current.gradients = GradientPlan(graph: self, layers: current.plan.layers)
    }

    /// When the gradients of `store` are final during the backward of the last prepared plan.
    func gradientReadiness(_ store: ParameterStore) throws -> GradientReadiness {
        guard let current else { throw NetworkError.usage("backward before prepare") }
        if let readiness = current.readiness { return readiness }
        let readiness = GradientReadiness(writers: current.plan.parameterGradients, store: store)
        current.readiness = readiness
        return readiness
    }

    /// Floats of gradient memory in use (0 before the first backward).
    var gradientFloats: Int { current?.gradients?.totalFloats ?? 0 }

    /// Backward from `output.grad` (which the caller has filled after `allocateGradients()`);
    /// `afterLayer(j)` runs after the plan's layer j (layers go in reverse order).
    func backward(afterLayer: (Int) throws -> Void = { _ in }) throws {
        guard let current, let plan = current.gradients else {
            throw NetworkError.usage("backward before allocateGradients")
        }
        let layers = current.plan.layers
        for j in stride(from: layers.count - 1, through: 0, by: -1) {
            for node in plan.births[j] { node.zeroGradient() }
            try layers[j].backward(context)
            try afterLayer(j)
        }
    }
}
