import Tensors

/// Channel concatenation of two nodes.
final class ConcatLayer: Layer {
    let a: Node, b: Node, output: Node

    init(_ a: Node, _ b: Node, output: Node) {
        self.a = a
        self.b = b
        self.output = output
    }

    var backwardReadsInputs: Bool { false }
    var inputs: [Node] { [a, b] }

    func outputShape() throws -> TensorShape {
        guard a.shape.batch == b.shape.batch, a.shape.plane == b.shape.plane, a.shape.height == b.shape.height else {
            throw NetworkError.invalidGraph("cannot concatenate \(a.shape) and \(b.shape)")
        }
        var s = a.shape
        s.channels += b.shape.channels
        return s
    }

    private var plain: Bool { a.layout == .nchw && b.layout == .nchw && output.layout == .nchw }

    func forward(_ context: PassContext) throws {
        guard !plain else {
            ChannelOps.concatForward(a.value, aChannels: a.shape.channels, b.value, bChannels: b.shape.channels,
                                     batch: a.shape.batch, plane: a.shape.plane, output: output.value)
            return
        }
        if output.storageCount != output.shape.count {  // padding lanes nobody else writes
            output.value.update(repeating: 0, count: output.storageCount)
        }
        let (batch, plane) = (a.shape.batch, a.shape.plane)
        ChannelTransfer.run(count: a.shape.channels, batch: batch, plane: plane, from: a.valueSlice(first: 0),
                            to: output.valueSlice(first: 0), accumulate: false)
        ChannelTransfer.run(count: b.shape.channels, batch: batch, plane: plane, from: b.valueSlice(first: 0),
                            to: output.valueSlice(first: a.shape.channels), accumulate: false)
    }

    func backward(_ context: PassContext) throws {
        guard !plain else {
            ChannelOps.concatBackward(gradOutput: output.grad, aChannels: a.shape.channels,
                                      bChannels: b.shape.channels, batch: a.shape.batch, plane: a.shape.plane,
                                      gradA: a.gradIfNeeded, gradB: b.gradIfNeeded)
            return
        }
        let (batch, plane) = (a.shape.batch, a.shape.plane)
        if a.needsGradient {
            ChannelTransfer.run(count: a.shape.channels, batch: batch, plane: plane, from: output.gradSlice(first: 0),
                                to: a.gradSlice(first: 0), accumulate: true)
        }
        if b.needsGradient {
            ChannelTransfer.run(count: b.shape.channels, batch: batch, plane: plane,
                                from: output.gradSlice(first: a.shape.channels), to: b.gradSlice(first: 0),
                                accumulate: true)
        }
    }
}
