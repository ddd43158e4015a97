import Tensors

/// A PReLU whose sides (`x > 0`) are those of one earlier forward: the same linear
/// piece around that point, for finite-difference checks (`Graph.freezePiecewiseChoices`).
/// Forward only.
final class FrozenPReLULayer: Layer {
    let prelu: PReLULayer
    private let positive: [Bool]

    /// Holds the sides of the input `prelu` last saw (its value must still be there).
    init(_ prelu: PReLULayer) {
        self.prelu = prelu
        positive = (0..<prelu.input.storageCount).map { prelu.input.value[$0] > 0 }
    }

    var inputs: [Node] { [prelu.input] }
    var output: Node { prelu.output }
    var backwardReadsInputs: Bool { false }
    func outputShape() throws -> TensorShape { output.shape }

    func forward(_ context: PassContext) throws {
        PReLU.forward(input: prelu.input.value, output: output.value, count: prelu.input.storageCount,
                      slope: prelu.store.values(prelu.slope).pointee, positive: positive)
    }

    func backward(_ context: PassContext) throws {
        throw NetworkError.usage("a frozen PReLU is for finite differences: it has no backward")
    }
}
