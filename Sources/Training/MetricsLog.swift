import Common
import Foundation

/// `OUT/metrics.jsonl`: one JSON line per finished epoch.
public enum MetricsLog {
    /// Appends `metrics` as one line, all or nothing (a failed append leaves no partial line).
    public static func append(_ metrics: EpochMetrics, to path: String) throws {
        try AtomicFile.append(path, data: Data((try metrics.jsonLine() + "\n").utf8))
    }

    /// Keeps only the lines of epochs up to `epoch` (a resumed run rewrites the rest).
    public static func truncate(_ path: String, afterEpoch epoch: Int) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        let decoder = JSONDecoder()
        let kept = text.split(separator: "\n").filter { line in
            guard let metrics = try? decoder.decode(EpochMetrics.self, from: Data(line.utf8)) else { return false }
            return metrics.epoch <= epoch
        }
        try AtomicFile.write(path, data: Data(kept.map { $0 + "\n" }.joined().utf8))
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
