import Foundation

/// One line of `OUT/metrics.jsonl`.
public struct EpochMetrics: Codable, Equatable {
    public var epoch: Int
    public var step: Int
    public var trainLoss: Double
    /// Validation 3D Dice per class (background first), mean over validation volumes.
    public var valDice: [Double]
    /// Mean of `valDice` over the foreground classes.
    public var valDiceForeground: Double
    /// Training images per second over all ranks.
    public var imagesPerSecond: Double
    /// Fraction of the training time spent in the gradient allreduce.
    public var allreduceFraction: Double
    /// Fraction of the training time spent waiting for data.
    public var dataWaitFraction: Double
    /// Steps skipped because a loss or gradient was not finite (this epoch).
    public var skippedNonFinite: Int
    public var learningRate: Double
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case epoch, step
        case trainLoss = "train_loss"
        case valDice = "val_dice"
        case valDiceForeground = "val_dice_fg"
        case imagesPerSecond = "images_per_s"
        case allreduceFraction = "allreduce_fraction"
        case dataWaitFraction = "data_wait_fraction"
        case skippedNonFinite = "skipped_nonfinite"
        case learningRate = "lr"
        case seconds
    }

    /// The plain line printed per epoch, PyTorch-log style.
    public func summaryLine(epochs: Int) -> String {
        let dice = valDice.map { String(format: "%.3f", $0) }.joined(separator: " ")
        return String(format: "epoch %d/%d  step %d  loss %.4g  val dice [%@] fg %.3f  %.1f img/s  allreduce %.1f%%  data wait %.1f%%",
                      epoch, epochs, step, trainLoss, dice, valDiceForeground, imagesPerSecond,
                      100 * allreduceFraction, 100 * dataWaitFraction)
            + (skippedNonFinite > 0 ? "  skipped \(skippedNonFinite) non-finite" : "")
    }

    /// The JSON line (sorted keys, no trailing newline).
    public func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
