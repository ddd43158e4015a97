import Tensors

/// Where a network's convolutions come from and how its activations are laid
/// out between layers.
///
/// `reference` runs plain-loop convolutions on plain NCHW activations: the
/// ground truth the tests compare against. `oneDNN` keeps every activation in
/// oneDNN's blocked `nChw16c` layout, so convolutions read and write it without
/// reorders; only the network's input and logits are plain NCHW.
public struct ConvBackend {
    /// Makes the kernel for one convolution: geometry, whether it has a bias, and
    /// the layouts of its input and output activations.
    public typealias Factory = (Conv2DGeometry, _ bias: Bool, _ source: ActivationLayout,
                                _ destination: ActivationLayout) throws -> Conv2DKernel

    /// The layout of the activations between layers.
    public var activationLayout: ActivationLayout
    public var makeConv: Factory

    public init(activationLayout: ActivationLayout, makeConv: @escaping Factory) {
        self.activationLayout = activationLayout
        self.makeConv = makeConv
    }

    /// Plain-loop convolutions (`ReferenceConv2D`) on plain NCHW activations.
    public static let reference = ConvBackend(activationLayout: .nchw) { g, _, _, _ in ReferenceConv2D(g) }

    /// oneDNN convolutions on blocked `nChw16c` activations (the fast path).
    public static let oneDNN = ConvBackend(activationLayout: .nChw16c) { g, bias, source, destination in
        try DNNLConv2D(g, bias: bias, source: source, destination: destination)
    }

    /// oneDNN convolutions on plain NCHW activations (reorders around every convolution).
    public static let oneDNNPlain = ConvBackend(activationLayout: .nchw) { g, bias, _, _ in
        try DNNLConv2D(g, bias: bias)
    }

    /// Plain NCHW activations with convolutions from `make`.
    public static func plain(_ make: @escaping (Conv2DGeometry) throws -> Conv2DKernel) -> ConvBackend {
        ConvBackend(activationLayout: .nchw) { g, _, _, _ in try make(g) }
    }
}
