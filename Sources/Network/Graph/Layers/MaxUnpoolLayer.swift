import Tensors

/// 2x2 max-unpool with the indices of an earlier pool.
final class MaxUnpoolLayer: Layer {
    let input: Node, output: Node
    let pool: MaxPoolLayer

    init(input: Node, pool: MaxPoolLayer, output: Node) {
        self.input = input
        self.pool = pool
        self.output = output
    }

    var backwardReadsInputs: Bool { false }
    var inputs: [Node] { [input] }

    func outputShape() throws -> TensorShape {
        guard input.shape == pool.output.shape, input.layout == pool.output.layout else {
            throw NetworkError.invalidGraph("unpool input \(input.shape) does not match pool output \(pool.output.shape)")
        }
        return TensorShape(input.shape.batch, input.shape.channels, pool.input.shape.height, pool.input.shape.width)
    }

    func forward(_ context: PassContext) throws {
        if input.layout == .nChw16c {
            BlockedPooling.unpoolForward(input: input.value, indices: pool.indices, shape: input.shape,
                                         output: output.value)
        } else {
            MaxUnpool2x2.forward(input: input.value, indices: pool.indices, shape: input.shape, output: output.value)
        }
    }

    func backward(_ context: PassContext) throws {
        guard let dx = input.gradIfNeeded else { return }
        if input.layout == .nChw16c {
            BlockedPooling.unpoolBackward(gradOutput: output.grad, indices: pool.indices, shape: input.shape,
                                          gradInput: dx)
        } else {
            MaxUnpool2x2.backward(gradOutput: output.grad, indices: pool.indices, shape: input.shape, gradInput: dx)
        }
    }
}
