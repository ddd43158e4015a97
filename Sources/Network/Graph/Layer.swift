import Tensors

/// One node-producing step of the graph with explicit forward and backward.
///
/// Backward adds into its inputs' gradients (see `Ops/README.md`) and
/// overwrites its own parameters' gradients.
protocol Layer: AnyObject {
    var inputs: [Node] { get }
    var output: Node { get }
    /// Whether backward reads the inputs' values (then they are kept from forward to backward).
    var backwardReadsInputs: Bool { get }
    /// Gradients this layer's backward reads last (usually its output's); their memory
    /// is free for other gradients after it.
    var consumedGradients: [Node] { get }
    /// Nodes of later layers this layer's forward may write (fused work): their memory
    /// must be theirs from this layer on.
    var outputsWrittenEarly: [Node] { get }
    /// Whether backward overwrites (rather than adds into) `node`'s gradient, so it
    /// need not be zeroed first.
    func overwritesGradient(of node: Node) -> Bool
    /// The parameters whose gradients this layer's backward writes (its own, and those of
    /// a layer fused into it): when they are final, for the gradient exchange.
    var parameterGradients: [NamedTensor] { get }
    /// The output shape for the inputs' current shapes.
    func outputShape() throws -> TensorShape
    /// Called once per input shape, after shape inference: create kernels, size scratch space.
    func prepare(_ context: PassContext) throws
    func forward(_ context: PassContext) throws
    func backward(_ context: PassContext) throws
}

extension Layer {
    var consumedGradients: [Node] { [output] }
    var outputsWrittenEarly: [Node] { [] }
    func overwritesGradient(of node: Node) -> Bool { false }
    var parameterGradients: [NamedTensor] { [] }
    func prepare(_ context: PassContext) throws {}
}
