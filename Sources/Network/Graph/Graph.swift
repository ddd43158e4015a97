/// The layers in execution order and the nodes they connect. Buffers are
/// allocated once per input shape; forward runs the layers in order, backward
/// in reverse. Activation gradients share memory by liveness (`GradientPlan`)
/// and are zeroed just before their first use.
final class Graph {
    let input: Node
    private(set) var nodes: [Node]
    private(set) var layers: [Layer] = []
    private(set) var preparedShape: TensorShape?
    let context: PassContext
    private var gradientPlan: GradientPlan?

    init(input: Node, context: PassContext) {
        self.input = input
        self.nodes = [input]
        self.context = context
        input.needsGradient = false
    }

    /// The last layer's output.
    var output: Node { layers.last!.output }

    /// A new node produced by `layer(node)`, appended in execution order.
    @discardableResult
    func add<L: Layer>(_ name: String, _ make: (Node) -> L) -> L {
        let node = Node(name)
        let layer = make(node)
        precondition(layer.output === node, "layer must produce the node it was given")
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

    /// Shapes, buffers, kernels for `shape`; a no-op when already prepared for it.
    func prepare(_ shape: TensorShape) throws {
        if preparedShape == shape { return }
        preparedShape = nil
        try inferShapes(shape)
        for node in nodes { node.allocate() }
        for layer in layers { try layer.prepare(context) }
        preparedShape = shape
    }

    func forward() throws {
        for layer in layers { try layer.forward(context) }
    }

    /// Plans and allocates the gradient memory for the prepared shape (a no-op when
    /// already planned for it); sets every node's `grad`.
    func allocateGradients() {
        guard let shape = preparedShape else { return }
        if let plan = gradientPlan, plan.shape == shape, plan.inputGradient == input.needsGradient { return }
        gradientPlan = nil  // free the old slots first
        gradientPlan = GradientPlan(shape: shape, graph: self)
    }

    /// Floats of gradient memory in use (0 before the first backward).
    var gradientFloats: Int { gradientPlan?.totalFloats ?? 0 }

    /// Backward from `output.grad` (which the caller has filled after `allocateGradients()`).
    func backward() throws {
        guard let plan = gradientPlan else { throw NetworkError.usage("backward before allocateGradients") }
        for (j, layer) in layers.enumerated().reversed() {
            for node in plan.births[j] { node.zeroGradient() }
            try layer.backward(context)
        }
    }
}

/// Which activation gradients can share memory. A node's gradient is born at
/// the backward of its last reader (in forward order) and dies after the
/// backward of the layer that produced it; backward walks the layers in
/// reverse, so gradients whose lives do not overlap reuse the same slot. The
/// network input's gradient (when wanted) and the logits' never share.
final class GradientPlan {
    let shape: TensorShape
    let inputGradient: Bool
    /// Per layer index: nodes whose gradient must be zeroed before that layer's backward.
    private(set) var births: [[Node]]
    private var slots: [UnsafeMutablePointer<Float>] = []
    /// Floats held by all slots.
    private(set) var totalFloats = 0

    init(shape: TensorShape, graph: Graph) {
        self.shape = shape
        inputGradient = graph.input.needsGradient
        let layers = graph.layers
        var lastReader: [ObjectIdentifier: Int] = [:]
        for (j, layer) in layers.enumerated() {
            for node in layer.inputs { lastReader[ObjectIdentifier(node)] = j }
        }
        births = Array(repeating: [], count: layers.count)
        var capacities: [Int] = [], free: [Int] = [], slotOf: [ObjectIdentifier: Int] = [:]

        func take(_ count: Int) -> Int {
            // Smallest free slot that fits, else grow the largest free one, else a new slot.
            if let best = free.filter({ capacities[$0] >= count }).min(by: { capacities[$0] < capacities[$1] })
                ?? free.max(by: { capacities[$0] < capacities[$1] }) {
                free.removeAll { $0 == best }
                capacities[best] = max(capacities[best], count)
                return best
            }
            capacities.append(count)
            return capacities.count - 1
        }

        let output = graph.output
        slotOf[ObjectIdentifier(output)] = take(output.shape.count)
        for (j, layer) in layers.enumerated().reversed() {
            for node in layer.inputs where node.needsGradient && lastReader[ObjectIdentifier(node)] == j
                && slotOf[ObjectIdentifier(node)] == nil {
                slotOf[ObjectIdentifier(node)] = take(node.shape.count)
                births[j].append(node)
            }
            // The layer's output gradient has been consumed: its slot is free again
            // (the logits' gradient stays readable, the input is never an output).
            if layer.output !== output, let slot = slotOf[ObjectIdentifier(layer.output)] { free.append(slot) }
        }
        slots = capacities.map { count in
            let slot = UnsafeMutablePointer<Float>.allocate(capacity: count)
            slot.initialize(repeating: 0, count: count)
            return slot
        }
        totalFloats = capacities.reduce(0, +)
        for node in graph.nodes {
            node.grad = slotOf[ObjectIdentifier(node)].map { slots[$0] }
        }
    }

    deinit {
        slots.forEach { $0.deallocate() }
    }
}
