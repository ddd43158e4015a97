import Tensors

/// One activation of the network: its shape, its memory layout and where its
/// value and gradient live; the graph's memory plans own that memory.
final class Node {
    let name: String
    /// Set by shape inference.
    var shape = TensorShape(0, 0, 0, 0)
    /// How value and gradient are laid out (both the same way); padding lanes stay zero.
    var layout = ActivationLayout.nchw
    /// Floats of the value (and of the gradient) in `layout`, padding included.
    var storageCount: Int {
        layout.storageCount(batch: shape.batch, channels: shape.channels, height: shape.height, width: shape.width)
    }
    /// Set by the graph's `ValuePlan` (memory shared with values never alive at the same time).
    var value: UnsafeMutablePointer<Float>!
    /// Set by the graph's `GradientPlan`; nil before the first backward.
    var grad: UnsafeMutablePointer<Float>!
    /// Layers that read this node; a node read once can have its gradient overwritten.
    var consumers = 0
    /// Whether backward computes this node's gradient (false for the network input by default).
    var needsGradient = true

    init(_ name: String) {
        self.name = name
    }

    /// The gradient to add into, or nil when backward does not need it.
    var gradIfNeeded: UnsafeMutablePointer<Float>? { needsGradient ? grad : nil }

    /// Channels from `first` on of the value, for `ChannelTransfer`.
    func valueSlice(first: Int) -> ChannelSlice {
        ChannelSlice(base: value, layout: layout, channels: shape.channels, first: first)
    }

    /// Channels from `first` on of the gradient, for `ChannelTransfer`.
    func gradSlice(first: Int) -> ChannelSlice {
        ChannelSlice(base: grad, layout: layout, channels: shape.channels, first: first)
    }

    func zeroGradient() { grad.update(repeating: 0, count: storageCount) }
}

/// What forward and backward passes share: the mode, the dropout generator and
/// a scratch buffer for convolutions whose input gradient must be accumulated.
final class PassContext {
    var training = false
    var dropout = false
    /// Threads for the non-convolution layers (`ENet.layerThreads`, set per pass).
    var threads = 1
    var generator: Xoshiro256
    private let scratchBuffer = GrowingBuffer()
    var scratch: UnsafeMutablePointer<Float> { scratchBuffer.pointer }

    init(dropoutSeed: UInt64) { generator = Xoshiro256(seed: dropoutSeed) }

    func reserveScratch(_ count: Int) { scratchBuffer.reserve(count) }
}
