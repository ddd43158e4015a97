import Tensors

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
