/// The geometry of one 2D convolution, in PyTorch conventions: input
/// `N x C_in x H x W`, weights `C_out x C_in x kH x kW`, output `N x C_out x H' x W'`,
/// all plain row-major (NCHW / OIHW) float32.
public struct Conv2DGeometry: Hashable, CustomStringConvertible {
    public var batch: Int
    public var inChannels: Int
    public var outChannels: Int
    public var height: Int
    public var width: Int
    public var kernelHeight: Int
    public var kernelWidth: Int
    public var strideHeight: Int
    public var strideWidth: Int
    public var padHeight: Int
    public var padWidth: Int
    public var dilationHeight: Int
    public var dilationWidth: Int

    public init(batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int,
                kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                dilation: (Int, Int) = (1, 1)) {
        self.batch = batch
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.height = height
        self.width = width
        (kernelHeight, kernelWidth) = kernel
        (strideHeight, strideWidth) = stride
        (padHeight, padWidth) = padding
        (dilationHeight, dilationWidth) = dilation
    }

    public var outputHeight: Int { (height + 2 * padHeight - dilationHeight * (kernelHeight - 1) - 1) / strideHeight + 1 }
    public var outputWidth: Int { (width + 2 * padWidth - dilationWidth * (kernelWidth - 1) - 1) / strideWidth + 1 }

    public var inputCount: Int { batch * inChannels * height * width }
    public var weightCount: Int { outChannels * inChannels * kernelHeight * kernelWidth }
    public var outputCount: Int { batch * outChannels * outputHeight * outputWidth }

    /// Multiply-adds x 2 for one forward pass.
    public var forwardFlops: Int { 2 * outputCount * inChannels * kernelHeight * kernelWidth }

    public var description: String {
        "conv \(batch)x\(inChannels)x\(height)x\(width) -> \(outChannels) k\(kernelHeight)x\(kernelWidth) "
            + "s\(strideHeight)x\(strideWidth) p\(padHeight)x\(padWidth) d\(dilationHeight)x\(dilationWidth)"
    }
}

/// A 2D convolution with explicit forward and backward passes over plain
/// NCHW buffers. Implementations: `ReferenceConv2D` (loops, the ground truth)
/// and fast ones that must match it.
public protocol Conv2DKernel: AnyObject {
    var geometry: Conv2DGeometry { get }

    /// output = conv(input, weight) + bias. `bias` may be nil (no bias).
    func forward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                 output: UnsafeMutablePointer<Float>) throws

    /// Gradients from `gradOutput`. Each gradient buffer is overwritten; pass nil
    /// for one that is not needed (e.g. `gradInput` of the first layer, `gradBias` without bias).
    func backward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
                  gradInput: UnsafeMutablePointer<Float>?, gradWeight: UnsafeMutablePointer<Float>,
                  gradBias: UnsafeMutablePointer<Float>?) throws
}
