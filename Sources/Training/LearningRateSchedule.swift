import Foundation

/// The learning rate of every optimizer step, set per step: a linear warm-up, then a
/// constant rate or a decay to the last step of `--epochs`. It is a pure function of the
/// step's place in the run (epoch x steps per epoch + step in the epoch) and the settings,
/// so a resumed run, or an epoch repeated after a signal, uses the same rates.
public struct LearningRateSchedule: Equatable {
    /// The shape after warm-up (`--lr-schedule`).
    public enum Kind: String, Codable, CaseIterable, Sendable {
        /// The peak rate throughout (the behaviour before schedules existed).
        case constant
        /// `peak * 0.5 * (1 + cos(pi * t / T))`.
        case cosine
        /// `peak * (1 - t / T)^0.9`, nnU-Net's.
        case poly
    }

    public var kind: Kind
    /// `--lr`: the rate at the end of warm-up.
    public var peak: Double
    /// Steps of linear warm-up (`--warmup-epochs` x steps per epoch).
    public var warmupSteps: Int
    /// Steps of the whole run (`--epochs` x steps per epoch).
    public var totalSteps: Int

    public init(kind: Kind, peak: Double, warmupSteps: Int, totalSteps: Int) {
        self.kind = kind
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    /// The schedule of a run of `settings` with `stepsPerEpoch` steps per epoch.
    public init(_ settings: TrainingSettings, peak: Double, stepsPerEpoch: Int) {
        self.init(kind: settings.lrSchedule, peak: peak, warmupSteps: settings.warmupEpochs * stepsPerEpoch,
                  totalSteps: settings.epochs * stepsPerEpoch)
    }

    /// The rate of step `index` (0-based over the whole run). Warm-up step `i` has
    /// `peak * (i + 1) / warmupSteps`, so the last warm-up step has the peak; after it,
    /// `t` counts from 0 over the `T = totalSteps - warmupSteps` remaining steps.
    public func rate(at index: Int) -> Double {
        if index < warmupSteps { return peak * Double(index + 1) / Double(warmupSteps) }
        let remaining = max(totalSteps - warmupSteps, 1)
        let progress = min(Double(index - warmupSteps) / Double(remaining), 1)
        switch kind {
        case .constant: return peak
        case .cosine: return peak * 0.5 * (1 + cos(Double.pi * progress))
        case .poly: return peak * pow(1 - progress, 0.9)
        }
    }
}
