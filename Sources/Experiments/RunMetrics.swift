import Common
import Foundation
import Training

/// A run's `metrics.jsonl` as the experiment reads it: the epoch lines, and the closing
/// `{"event":"end","stop_reason":...,"epochs_run":N,"best_epoch":B,"best_val_dice":D}` record
/// when the trainer wrote one. Other lines with an `"event"` key are skipped.
public struct RunMetrics: Equatable {
    /// Why training stopped, as the end record names it.
    public enum StopReason: String, Codable, Sendable {
        case earlyStop = "early_stop"
        case epochCap = "epoch_cap"
        case signal
    }

    /// The end record.
    public struct End: Codable, Equatable, Sendable {
        public var stopReason: StopReason
        public var epochsRun: Int
        public var bestEpoch: Int?
        public var bestValDice: Double?

        enum CodingKeys: String, CodingKey {
            case stopReason = "stop_reason", epochsRun = "epochs_run", bestEpoch = "best_epoch", bestValDice = "best_val_dice"
        }

        public init(from decoder: Decoder) throws {
            let keys = try decoder.container(keyedBy: CodingKeys.self)
            stopReason = try keys.decode(StopReason.self, forKey: .stopReason)
            epochsRun = try keys.decode(Int.self, forKey: .epochsRun)
            bestEpoch = try? keys.decodeIfPresent(Int.self, forKey: .bestEpoch)
            bestValDice = try? keys.decodeIfPresent(Double.self, forKey: .bestValDice)  // null or "nan": none
        }
    }

    public var epochs: [EpochMetrics]
    public var end: End?

    /// Why the run stopped: the end record's reason, else the epoch cap (a run that ended
    /// without writing one trained all its epochs).
    public var stopReason: StopReason { end?.stopReason ?? .epochCap }

    /// Steps skipped because the loss or a gradient was not finite, over all epochs.
    public var skippedSteps: Int { epochs.reduce(0) { $0 + $1.skippedNonFinite } }

    /// Training time: the sum of the epochs' seconds.
    public var seconds: Double { epochs.reduce(0) { $0 + $1.seconds } }

    public init(epochs: [EpochMetrics], end: End? = nil) {
        self.epochs = epochs
        self.end = end
    }

    /// Reads `path`; a line that is neither an epoch nor an event is `badInput` naming the file.
    public static func read(_ path: String) throws -> RunMetrics {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ProgramError(.missingFile, path: path, "cannot be read: \(error.localizedDescription)")
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var metrics = RunMetrics(epochs: [])
        for (number, line) in text.split(separator: "\n").enumerated() where !line.allSatisfy(\.isWhitespace) {
            let data = Data(line.utf8)
            do {
                let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
                if let event = object?["event"] {
                    if event as? String == "end" { metrics.end = try decoder.decode(End.self, from: data) }
                    continue
                }
                metrics.epochs.append(try decoder.decode(EpochMetrics.self, from: data))
            } catch {
                throw ProgramError(.badInput, path: path, "line \(number + 1) is not an epoch or event record: \(error)")
            }
        }
        return metrics
    }
}
