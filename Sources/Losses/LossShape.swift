/// The shape of a batch of logits: N images x K classes x H x W, NCHW order.
/// Labels are N x H x W class indices.
public struct LossShape: Equatable, Sendable {
    /// N, images in the batch (slices or sub-patches).
    public var images: Int
    /// K, classes including the background (class 0).
    public var classes: Int
    /// H, rows per image.
    public var height: Int
    /// W, columns per image.
    public var width: Int

    public init(images: Int, classes: Int, height: Int, width: Int) {
        self.images = images
        self.classes = classes
        self.height = height
        self.width = width
    }

    /// Pixels per image, H x W.
    public var pixelsPerImage: Int { height * width }
    /// Pixels in the batch, N x H x W: the label count.
    public var pixels: Int { images * pixelsPerImage }
    /// Logits in the batch, N x K x H x W.
    public var logitCount: Int { pixels * classes }

    /// Index of logit (image n, class k, pixel p) with p = y * W + x.
    @inline(__always)
    func index(image n: Int, class k: Int, pixel p: Int) -> Int { (n * classes + k) * pixelsPerImage + p }
}
