import Common
import Foundation

/// `OUT/metrics.jsonl`: one JSON line per finished epoch (`EpochMetrics`), and at the end
/// of a run one event line (`TrainingEnd`). Readers of epochs skip lines with an "event" key.
public enum MetricsLog {
    /// Appends `metrics` as one line, all or nothing (a failed append leaves no partial line).
    public static func append(_ metrics: EpochMetrics, to path: String) throws {
        try AtomicFile.append(path, data: Data((try metrics.jsonLine() + "\n").utf8))
    }

    /// Appends the run's end record.
    public static func append(_ end: TrainingEnd, to path: String) throws {
        try AtomicFile.append(path, data: Data((end.jsonLine() + "\n").utf8))
    }

    /// Whether `line` is an event (such as the end record) rather than an epoch's metrics.
    public static func isEvent<Line: StringProtocol>(_ line: Line) -> Bool {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return false }
        return object["event"] != nil
    }

    /// The epochs' metrics of `path`, in order (event lines skipped; "nan" reads as NaN).
    public static func epochs(_ path: String) throws -> [EpochMetrics] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").filter { !isEvent($0) }.map { try decoder.decode(EpochMetrics.self, from: Data($0.utf8)) }
    }

    /// Keeps only the lines of epochs up to `epoch` (a resumed run rewrites the rest and its end record).
    public static func truncate(_ path: String, afterEpoch epoch: Int) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        let kept = text.split(separator: "\n").filter { line in
            guard let metrics = try? decoder.decode(EpochMetrics.self, from: Data(line.utf8)) else { return false }
            return metrics.epoch <= epoch
        }
        try AtomicFile.write(path, data: Data(kept.map { $0 + "\n" }.joined().utf8))
    }

    /// Reads what `EpochMetrics.jsonLine` writes, non-finite values included.
    private static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}

/// A run's `metrics.jsonl` as the trainer's metrics destination.
public struct MetricsFile: MetricsRecording {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public func record(_ metrics: EpochMetrics) throws {
        try MetricsLog.append(metrics, to: path)
    }
}
