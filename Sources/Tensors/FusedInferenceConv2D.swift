/// A convolution that can also run inference fused with what follows it in a
/// conv -> BatchNorm -> PReLU unit: `output = prelu(conv(input, weight) + bias, slope)`,
/// with the BatchNorm (running statistics) folded into `weight` and `bias` by the caller.
public protocol FusedInferenceConv2D: Conv2DKernel {
    /// Whether `forwardFused` can run for this geometry.
    var supportsFusedInference: Bool { get }

    func forwardFused(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                      slope: Float, output: UnsafeMutablePointer<Float>) throws
}

extension DNNLConv2D: FusedInferenceConv2D {}
