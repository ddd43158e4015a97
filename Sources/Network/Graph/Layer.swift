import Tensors

/// One node-producing step of the graph with explicit forward and backward.
///
/// Backward adds into its inputs' gradients (see `Ops/README.md`) and
/// overwrites its own parameters' gradients. A layer reads and writes only its
/// own nodes and state: fusions are whole layers of their own (`FusionPlan`).
protocol Layer: AnyObject {
    var inputs: [Node] { get }
    var output: Node { get }
    /// Whether backward reads the inputs' values (then they are kept from forward to backward).
    var backwardReadsInputs: Bool { get }
    /// Whether backward overwrites (rather than adds into) `node`'s gradient, so it
    /// need not be zeroed first.
    func overwritesGradient(of node: Node) -> Bool
    /// The parameters whose gradients this layer's backward writes (a fused layer writes
    /// those of the layers it stands in for: `FusionPlan.parameterGradients`).
    var parameterGradients: [NamedTensor] { get }
    /// The output shape for the inputs' current shapes.
    func outputShape() throws -> TensorShape
    /// Called once per input shape, after shape inference: create kernels, size scratch space.
    func prepare(_ context: PassContext) throws
    func forward(_ context: PassContext) throws
    func backward(_ context: PassContext) throws
}

extension Layer {
    func overwritesGradient(of node: Node) -> Bool { false }
    var parameterGradients: [NamedTensor] { [] }
    func prepare(_ context: PassContext) throws {}
}
