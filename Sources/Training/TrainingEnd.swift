import Foundation

/// How a run ended, and the last line of `OUT/metrics.jsonl`:
/// `{"event":"end","stop_reason":"early_stop"|"epoch_cap"|"signal","epochs_run":N,"best_epoch":B,"best_val_dice":D}`
/// (`best_val_dice` null and `best_epoch` 0 when no epoch was validated). Readers of
/// per-epoch lines skip lines with an "event" key (`MetricsLog.epochs`).
public struct TrainingEnd: Equatable {
    public enum StopReason: String, Codable, Sendable {
        /// `--patience` validations without improvement.
        case earlyStop = "early_stop"
        /// `--epochs` reached.
        case epochCap = "epoch_cap"
        /// A stop request (SIGTERM, SIGINT, SIGUSR1): `--resume` continues.
        case signal
    }

    /// Where training stands at the end (`epoch`: the epochs completed, those before a resume included).
    public var position: TrainingCheckpoint.Position
    public var reason: StopReason

    public init(position: TrainingCheckpoint.Position, reason: StopReason) {
        self.position = position
        self.reason = reason
    }

    /// Stopped by a signal (the run is incomplete).
    public var stopped: Bool { reason == .signal }

    /// The metrics line, keys in the documented order.
    public func jsonLine() -> String {
        let best = position.bestDice.isFinite ? "\(position.bestDice)" : "null"
        return "{\"event\":\"end\",\"stop_reason\":\"\(reason.rawValue)\",\"epochs_run\":\(position.epoch),"
            + "\"best_epoch\":\(position.bestEpoch),\"best_val_dice\":\(best)}"
    }

    /// The line the run's log ends with.
    public func summary(patience: Int) -> String {
        let best = position.bestDice.isFinite
            ? String(format: "best %.3f at epoch %d", position.bestDice, position.bestEpoch) : "never validated"
        switch reason {
        case .earlyStop:
            return "early stop at epoch \(position.epoch): validation Dice did not improve for \(patience) epochs (\(best))"
        case .epochCap:
            return "done: \(position.epoch) epochs (\(best))"
        case .signal:
            return "stopped by signal at epoch \(position.epoch + 1), step \(position.step)"
        }
    }
}
