/// What the training loop needs from a network: flat parameter and gradient
/// buffers (the exchange sums one contiguous array), forward to logits, backward
/// from the logits' gradient.
public protocol TrainableModel: AnyObject {
    var inChannels: Int { get }
    var classes: Int { get }
    /// All learnable parameters, one contiguous buffer.
    var parameters: UnsafeMutableBufferPointer<Float> { get }
    /// Their gradients, same layout; `backward` overwrites them.
    var gradients: UnsafeMutableBufferPointer<Float> { get }
    /// Running statistics (BatchNorm means and variances): each rank updates its own; the
    /// trainer averages them over ranks before validating and before each checkpoint.
    var statistics: UnsafeMutableBufferPointer<Float> { get }

    /// Logits `N x K x H x W` for `input` (`N x C x H x W`). Valid until the next forward.
    func forward(_ input: UnsafeBufferPointer<Float>, batch: Int, height: Int, width: Int,
                 training: Bool, dropoutSeed: UInt64) throws -> UnsafeBufferPointer<Float>

    /// Gradients for the last training forward, from the logits' gradient. As backward
    /// goes from the head toward the input, it calls `gradientsFinal(offset)` (on this
    /// thread): `gradients[offset...]` will not change any more in this pass. The last
    /// call has offset 0.
    func backward(_ gradLogits: UnsafeBufferPointer<Float>, gradientsFinal: (_ offset: Int) throws -> Void) throws
}

extension TrainableModel {
    /// Backward without following its progress.
    public func backward(_ gradLogits: UnsafeBufferPointer<Float>) throws {
        try backward(gradLogits) { _ in }
    }
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
///
/// A loss formed over the global batch (the `global` Dice scope) is computed in two
/// steps with the trainer's own sum over ranks between them, so that no collective
/// hides inside the loss: `crossRankStatistics`, then `evaluate(...summedStatistics:)`.
public protocol TrainingLoss {
    /// The statistics this rank's batch contributes to a loss over the global batch, which
    /// the trainer sums over ranks and passes to `evaluate`; nil for a loss of the rank's own batch.
    func crossRankStatistics(logits: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<UInt8>,
                             batch: Int, height: Int, width: Int) throws -> [Double]?

    /// Writes dL/dlogits into `gradient`; returns the loss and whether loss and gradient are finite.
    /// `summedStatistics`: the sum over ranks of `crossRankStatistics` (nil when that is nil).
    func evaluate(logits: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<UInt8>,
                  batch: Int, height: Int, width: Int, summedStatistics: [Double]?,
                  gradient: UnsafeMutableBufferPointer<Float>) throws -> (value: Double, isFinite: Bool)

    /// True when each rank's gradient is its share of one loss over the global batch
    /// (summed across ranks); false when it is the gradient of the rank's own mean (averaged).
    var gradientsAreShares: Bool { get }
}

/// Updates parameters from averaged gradients (Adam in this program).
public protocol Optimizer: AnyObject {
    /// The learning rate of the next step (set by the trainer's schedule before each
    /// step; reported in the metrics).
    var rate: Double { get set }
    func apply(gradients: UnsafeBufferPointer<Float>, to parameters: UnsafeMutableBufferPointer<Float>)
}

/// Validation at the end of each epoch: a collective every rank calls.
public protocol EpochValidation {
    /// Mean validation Dice per class (background first), the same on every rank.
    func validate(_ model: TrainableModel) throws -> [Double]
}

/// Where checkpoints go. Called on every rank (the implementation decides which rank writes).
public protocol CheckpointWriting {
    func write(_ name: String, position: TrainingCheckpoint.Position) throws
}

/// Where each epoch's metrics go (called on rank 0 only).
public protocol MetricsRecording {
    func record(_ metrics: EpochMetrics) throws
}
