/// The layers in execution order and the nodes they connect. Buffers are
/// allocated once per input shape; forward runs the layers in order, backward
/// in reverse after zeroing the activation gradients.
final class Graph {
    let input: Node
    private(set) var nodes: [Node]
    private(set) var layers: [Layer] = []
    private(set) var preparedShape: TensorShape?
    let context: PassContext

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

    /// Backward from `output.grad` (which the caller has filled).
    func backward() throws {
        for node in nodes where node !== output { node.zeroGradient() }
        for layer in layers.reversed() { try layer.backward(context) }
    }
}
