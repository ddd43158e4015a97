import Losses
import Training

/// A `Losses.Loss` as the trainer uses it.
///
/// How rank gradients combine depends on the scope: per-image and per-batch
/// losses are means over a rank's micro-batch, so gradients are averaged over
/// ranks and micro-batches; in the `global` scope every rank's gradient is its
/// share of one global loss, so shares are summed.
public final class SegmentationLoss: TrainingLoss {
    public let loss: Loss
    let classes: Int
    /// True when rank gradients are shares of one global loss (summed, not averaged).
    public var gradientsAreShares: Bool { loss.options.diceScope == .global }

    public init(_ loss: Loss, classes: Int) {
        self.loss = loss
        self.classes = classes
    }

    public func crossRankStatistics(logits: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<UInt8>,
                                    batch: Int, height: Int, width: Int) throws -> [Double]? {
        guard gradientsAreShares, loss.kind.terms.contains(where: \.isDiceFamily) else { return nil }
        return try loss.globalStatistics(logits: logits, labels: labels,
                                         shape: LossShape(images: batch, classes: classes, height: height, width: width))
    }

    public func evaluate(logits: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<UInt8>,
                         batch: Int, height: Int, width: Int, summedStatistics: [Double]?,
                         gradient: UnsafeMutableBufferPointer<Float>) throws -> (value: Double, isFinite: Bool) {
        let result = try loss.evaluate(logits: logits, labels: labels,
                                       shape: LossShape(images: batch, classes: classes, height: height, width: width),
                                       logitGradient: gradient, summedStatistics: summedStatistics)
        return (result.value, result.isFinite)
    }
}
