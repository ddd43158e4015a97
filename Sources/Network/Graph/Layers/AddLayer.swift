import Tensors

/// Element-wise sum of two nodes of the same shape.
final class AddLayer: Layer {
    let a: Node, b: Node, output: Node

    init(_ a: Node, _ b: Node, output: Node) {
        self.a = a
        self.b = b
        self.output = output
    }

    var backwardReadsInputs: Bool { false }
    var inputs: [Node] { [a, b] }

    func outputShape() throws -> TensorShape {
        guard a.shape == b.shape else { throw NetworkError.invalidGraph("cannot add \(a.shape) and \(b.shape)") }
        return a.shape
    }

    func forward(_ context: PassContext) throws {
        let (x, z, y) = (a.value!, b.value!, output.value!)
        Parallel.forEachChunk(a.storageCount, threads: context.threads) { _, start, length in
            ChannelOps.addForward(x + start, z + start, count: length, output: y + start)
        }
    }

    func backward(_ context: PassContext) throws {
        let (dy, da, db) = (output.grad!, a.gradIfNeeded, b.gradIfNeeded)
        Parallel.forEachChunk(a.storageCount, threads: context.threads) { _, start, length in
            ChannelOps.addBackward(gradOutput: dy + start, count: length, gradA: da.map { $0 + start },
                                   gradB: db.map { $0 + start })
        }
    }
}
