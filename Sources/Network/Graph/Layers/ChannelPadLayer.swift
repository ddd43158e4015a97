import Tensors

/// Zero-padding of channels up to `channels`.
final class ChannelPadLayer: Layer {
    let input: Node, output: Node
    let channels: Int

    init(input: Node, channels: Int, output: Node) {
        self.input = input
        self.channels = channels
        self.output = output
    }

    var backwardReadsInputs: Bool { false }
    var inputs: [Node] { [input] }

    func outputShape() throws -> TensorShape {
        var s = input.shape
        s.channels = channels
        return s
    }

    func forward(_ context: PassContext) throws {
        guard input.layout != .nchw || output.layout != .nchw else {
            ChannelOps.padForward(input: input.value, shape: input.shape, outChannels: channels, output: output.value)
            return
        }
        output.value.update(repeating: 0, count: output.storageCount)
        ChannelTransfer.run(count: input.shape.channels, batch: input.shape.batch, plane: input.shape.plane,
                            from: input.valueSlice(first: 0), to: output.valueSlice(first: 0), accumulate: false)
    }

    func backward(_ context: PassContext) throws {
        guard let dx = input.gradIfNeeded else { return }
        guard input.layout != .nchw || output.layout != .nchw else {
            ChannelOps.padBackward(gradOutput: output.grad, shape: input.shape, outChannels: channels, gradInput: dx)
            return
        }
        ChannelTransfer.run(count: input.shape.channels, batch: input.shape.batch, plane: input.shape.plane,
                            from: output.gradSlice(first: 0), to: input.gradSlice(first: 0), accumulate: true)
    }
}
