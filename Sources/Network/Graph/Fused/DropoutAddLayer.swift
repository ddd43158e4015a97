import Tensors

/// `a + dropout(b)` in one layer (a bottleneck's residual plus its dropped-out
/// branch), what `FusionPlan` puts in place of a `DropoutLayer` and the `AddLayer`
/// that alone reads it: the dropped-out branch is never written, nor its gradient.
/// Same mask stream and arithmetic as the two layers.
final class DropoutAddLayer: Layer {
    let a: Node, b: Node, output: Node
    private let mask: DropoutMask

    init(_ a: Node, _ b: Node, p: Double, output: Node) {
        self.a = a
        self.b = b
        mask = DropoutMask(p: p)
        self.output = output
    }

    var backwardReadsInputs: Bool { false }
    var inputs: [Node] { [a, b] }

    func outputShape() throws -> TensorShape {
        guard a.shape == b.shape, a.layout == b.layout else {
            throw NetworkError.invalidGraph("cannot add \(a.shape) and \(b.shape)")
        }
        return a.shape
    }

    func prepare(_ context: PassContext) throws { mask.reserve(b.storageCount) }

    func forward(_ context: PassContext) throws {
        let count = b.storageCount
        let (x, z, y, m) = (a.value!, b.value!, output.value!, mask.draw(count: count, context: context))
        Parallel.forEachChunk(count, threads: context.threads) { _, start, length in
            if let m {
                Dropout.addForward(x + start, z + start, mask: m + start, count: length, output: y + start)
            } else {
                ChannelOps.addForward(x + start, z + start, count: length, output: y + start)
            }
        }
    }

    func backward(_ context: PassContext) throws {
        let (dy, da, db, m) = (output.grad!, a.gradIfNeeded, b.gradIfNeeded, mask.last)
        Parallel.forEachChunk(b.storageCount, threads: context.threads) { _, start, length in
            if let da { ChannelOps.addInPlace(da + start, dy + start, count: length) }
            guard let db else { return }
            if let m {
                Dropout.backward(gradOutput: dy + start, mask: m + start, count: length, gradInput: db + start)
            } else {
                ChannelOps.addInPlace(db + start, dy + start, count: length)
            }
        }
    }
}
