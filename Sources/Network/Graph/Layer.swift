import Tensors

/// One node-producing step of the graph with explicit forward and backward.
///
/// Backward adds into its inputs' gradients (see `Ops/README.md`) and
/// overwrites its own parameters' gradients.
protocol Layer: AnyObject {
    var inputs: [Node] { get }
    var output: Node { get }
    /// The output shape for the inputs' current shapes.
    func outputShape() throws -> TensorShape
    /// Called after every node has its shape and buffers: create kernels, size scratch space.
    func prepare(_ context: PassContext) throws
    func forward(_ context: PassContext) throws
    func backward(_ context: PassContext) throws
}

extension Layer {
    func prepare(_ context: PassContext) throws {}
}
