import Tensors

/// 2x2 max-pool keeping its indices for a later unpool.
final class MaxPoolLayer: Layer {
    let input: Node, output: Node
    private(set) var indices: UnsafeMutablePointer<Int32> = .allocate(capacity: 1)
    private var capacity = 1

    init(input: Node, output: Node) {
        self.input = input
        self.output = output
    }

    deinit { indices.deallocate() }

    var backwardReadsInputs: Bool { false }
    var inputs: [Node] { [input] }

    func outputShape() throws -> TensorShape {
        let s = input.shape
        return TensorShape(s.batch, s.channels, s.height / 2, s.width / 2)
    }

    func prepare(_ context: PassContext) throws {
        guard output.storageCount > capacity else { return }
        indices.deallocate()
        capacity = output.storageCount
        indices = .allocate(capacity: capacity)
    }

    func forward(_ context: PassContext) throws {
        if input.layout == .nChw16c {
            BlockedPooling.maxPoolForward(input: input.value, shape: input.shape, output: output.value,
                                          indices: indices)
        } else {
            MaxPool2x2.forward(input: input.value, shape: input.shape, output: output.value, indices: indices)
        }
    }

    func backward(_ context: PassContext) throws {
        guard let dx = input.gradIfNeeded else { return }
        if input.layout == .nChw16c {
            BlockedPooling.maxPoolBackward(gradOutput: output.grad, indices: indices, outputShape: output.shape,
                                           gradInput: dx)
        } else {
            MaxPool2x2.backward(gradOutput: output.grad, indices: indices, outputShape: output.shape, gradInput: dx)
        }
    }
}
