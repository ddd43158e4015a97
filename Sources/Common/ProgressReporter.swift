import Foundation

/// Progress of a long loop: a single redrawn bar on a terminal, plain lines
/// otherwise (logs, SLURM output files), like tqdm.
public final class ProgressReporter {
    private let total: Int
    private let label: String
    private let isTerminal: Bool
    private let start = Date()

    /// - Parameters:
    ///   - total: the number of units (steps, volumes) expected.
    ///   - label: a prefix, e.g. "epoch 3/10".
    public init(total: Int, label: String, isTerminal: Bool = isatty(STDERR_FILENO) != 0) {
        self.total = max(total, 1)
        self.label = label
        self.isTerminal = isTerminal
    }

    /// Reports that `done` units are finished, with extra text such as "loss 0.41".
    /// On a terminal redraws the bar; otherwise prints nothing (the caller's
    /// `finish` line is the record).
    public func update(_ done: Int, _ detail: String = "") {
        guard isTerminal else { return }
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let width = 24
        let filled = min(width, done * width / total)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(done)/\(total) \(detail) eta \(Self.format(eta))\u{1B}[K".utf8))
    }

    /// Erases the bar (on a terminal).
    public func clear() {
        if isTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    /// Erases the bar and prints the closing line on stdout.
    public func finish(_ line: String) {
        clear()
        print(line)
        fflush(stdout)
    }

    /// `75s` -> "1:15", `3725s` -> "1:02:05".
    public static func format(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                         : String(format: "%d:%02d", s / 60, s % 60)
    }
}
