import Tensors

/// Element-wise dropout: a fresh seeded mask per training forward; identity otherwise.
final class DropoutLayer: Layer {
    let input: Node, output: Node
    private let mask: DropoutMask

    init(input: Node, p: Double, output: Node) {
        self.input = input
        mask = DropoutMask(p: p)
        self.output = output
    }

    /// The probability of dropping a value.
    var p: Double { mask.p }

    var backwardReadsInputs: Bool { false }
    var inputs: [Node] { [input] }
    func outputShape() throws -> TensorShape { input.shape }

    func prepare(_ context: PassContext) throws { mask.reserve(input.storageCount) }

    func forward(_ context: PassContext) throws {
        let count = input.storageCount
        let (x, y) = (input.value!, output.value!)
        guard let m = mask.draw(count: count, context: context) else { return y.update(from: x, count: count) }
        Parallel.forEachChunk(count, threads: context.threads) { _, start, length in
            Dropout.forward(input: x + start, mask: m + start, count: length, output: y + start)
        }
    }

    func backward(_ context: PassContext) throws {
        guard let dx = input.gradIfNeeded else { return }
        let (dy, m) = (output.grad!, mask.last)
        Parallel.forEachChunk(input.storageCount, threads: context.threads) { _, start, length in
            if let m {
                Dropout.backward(gradOutput: dy + start, mask: m + start, count: length, gradInput: dx + start)
            } else {
                ChannelOps.addInPlace(dx + start, dy + start, count: length)
            }
        }
    }
}
