/// The shape of a plain row-major NCHW float tensor.
public struct TensorShape: Hashable, CustomStringConvertible {
    public var batch: Int
    public var channels: Int
    public var height: Int
    public var width: Int

    public init(_ batch: Int, _ channels: Int, _ height: Int, _ width: Int) {
        self.batch = batch
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// Elements in one channel plane (`height * width`).
    public var plane: Int { height * width }
    /// Total number of elements.
    public var count: Int { batch * channels * height * width }

    public var description: String { "\(batch)x\(channels)x\(height)x\(width)" }
}
