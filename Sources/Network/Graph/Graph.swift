import Tensors

/// The layers in execution order and the nodes they connect. Forward runs the
/// layers in order, backward in reverse. Activation values and gradients share
/// memory by liveness (`ValuePlan`, `GradientPlan`), planned and allocated once
/// per input shape and reused by every step.
final class Graph {
    let input: Node
    private(set) var nodes: [Node]
    private(set) var layers: [Layer] = []
    private(set) var preparedShape: TensorShape?
    let context: PassContext
    /// The layout of activations between layers (the network's input is always plain).
    let activationLayout: ActivationLayout
    private var gradientPlan: GradientPlan?
    /// Value plans for the prepared shape, keyed by whether they keep what backward needs.
    private var valuePlans: [Bool: ValuePlan] = [:]

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

    /// Shapes, kernels and value memory for `shape`. `retainActivations` keeps every
    /// value a backward pass reads; without it values are freed after their last
    /// reader (inference). Plans are made once per shape and kept.
    func prepare(_ shape: TensorShape, retainActivations: Bool) throws {
        if preparedShape != shape {
            preparedShape = nil
            valuePlans = [:]
            gradientPlan = nil
            try inferShapes(shape)
            for layer in layers { try layer.prepare(context) }
            preparedShape = shape
        }
        let plan = valuePlans[retainActivations] ?? ValuePlan(graph: self, retainActivations: retainActivations)
        valuePlans[retainActivations] = plan
        plan.apply(to: self)
        valueFloats = plan.totalFloats
    }

    /// Floats of activation memory of the plan last applied.
    private(set) var valueFloats = 0

    /// Holds every piecewise choice of the last forward (max-pool argmax, PReLU
    /// side) for the following forwards, so the network is smooth around the
    /// current point: the argmax switches are discontinuities (through max-unpool)
    /// and the PReLU kinks bends that a finite difference must not straddle.
    /// The last forward must have retained activations (PReLU inputs).
    func freezePiecewiseChoices() {
        for case let prelu as PReLULayer in layers { prelu.freezeSides() }
        context.piecewiseChoicesFrozen = true
    }

    func forward() throws {
        for layer in layers { try layer.forward(context) }
    }

    /// Plans and allocates the gradient memory for the prepared shape (a no-op when
    /// already planned for it); sets every node's `grad`.
    func allocateGradients() {
        guard preparedShape != nil else { return }
        if let plan = gradientPlan, plan.inputGradient == input.needsGradient { return }
        gradientPlan = nil  // free the old slots first
        gradientPlan = GradientPlan(graph: self)
    }

    /// Floats of gradient memory in use (0 before the first backward).
    var gradientFloats: Int { gradientPlan?.totalFloats ?? 0 }

    /// Backward from `output.grad` (which the caller has filled after `allocateGradients()`);
    /// `afterLayer(j)` runs after layer j's backward (layers go in reverse order).
    func backward(afterLayer: (Int) throws -> Void = { _ in }) throws {
        guard let plan = gradientPlan else { throw NetworkError.usage("backward before allocateGradients") }
        for j in stride(from: layers.count - 1, through: 0, by: -1) {
            for node in plan.births[j] { node.zeroGradient() }
            try layers[j].backward(context)
            try afterLayer(j)
        }
    }
}
