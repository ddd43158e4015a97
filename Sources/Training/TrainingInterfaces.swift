/// What the training loop needs from a network: flat parameter and gradient
/// buffers (one allreduce per step), forward to logits, backward from the
/// logits' gradient.
public protocol TrainableModel: AnyObject {
    var inChannels: Int { get }
    var classes: Int { get }
    /// All learnable parameters, one contiguous buffer.
    var parameters: UnsafeMutableBufferPointer<Float> { get }
    /// Their gradients, same layout; `backward` overwrites them.
    var gradients: UnsafeMutableBufferPointer<Float> { get }
    /// Running statistics (BatchNorm means and variances): per rank, not averaged.
    var statistics: UnsafeMutableBufferPointer<Float> { get }

    /// Logits `N x K x H x W` for `input` (`N x C x H x W`). Valid until the next forward.
    func forward(_ input: UnsafeBufferPointer<Float>, batch: Int, height: Int, width: Int,
                 training: Bool, dropoutSeed: UInt64) throws -> UnsafeBufferPointer<Float>

    /// Gradients for the last training forward, from the logits' gradient.
    func backward(_ gradLogits: UnsafeBufferPointer<Float>) throws
}

/// A split of a patch store, read one patch at a time (thread-safe for one reader thread).
public protocol PatchSource: AnyObject {
    var count: Int { get }
    var channels: Int { get }
    var height: Int { get }
    var width: Int { get }
    /// Reads patch `index`: `channels * height * width` floats and `height * width` labels.
    func read(_ index: Int, image: UnsafeMutableBufferPointer<Float>, label: UnsafeMutableBufferPointer<UInt8>) throws
}

/// The loss on a batch: value and the gradient with respect to the logits.
public protocol TrainingLoss {
    /// Writes dL/dlogits into `gradient`; returns the loss and whether loss and gradient are finite.
    func evaluate(logits: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<UInt8>,
                  batch: Int, height: Int, width: Int,
                  gradient: UnsafeMutableBufferPointer<Float>) throws -> (value: Double, isFinite: Bool)

    /// True when each rank's gradient is its share of one loss over the global batch
    /// (summed across ranks); false when it is the gradient of the rank's own mean (averaged).
    var gradientsAreShares: Bool { get }
}

/// Updates parameters from averaged gradients (Adam in this program).
public protocol Optimizer: AnyObject {
    /// The current learning rate (reported in the metrics).
    var rate: Double { get }
    func apply(gradients: UnsafeBufferPointer<Float>, to parameters: UnsafeMutableBufferPointer<Float>)
}
