import Foundation

/// One training run of an experiment: a loss, a seed and (in the sweep) a patch side. Each
/// cell trains and is evaluated in `OUT/runs/<name>/`, independently of the others, so cells
/// can run in any order, in parallel (`--task`) and again (a finished one is skipped).
public struct ExperimentCell: Equatable, Sendable {
    public var loss: ExperimentLoss
    public var seed: UInt64
    /// The patch side of the store it trains on; nil: the experiment's store as it is.
    public var patch: Int?

    public init(loss: ExperimentLoss, seed: UInt64, patch: Int? = nil) {
        self.loss = loss
        self.seed = seed
        self.patch = patch
    }

    /// `dice-seed0`, `dice-global-seed1-patch64`: the folder name under `OUT/runs`.
    public var name: String { "\(loss.name)-seed\(seed)" + (patch.map { "-patch\($0)" } ?? "") }

    /// The cell's directory.
    public func directory(in out: String) -> String { "\(out)/runs/\(name)" }

    /// Its `result.json`, written once it is trained and evaluated.
    public func resultPath(in out: String) -> String { directory(in: out) + "/result.json" }

    /// Every cell, in the order `--task` numbers them: patch sides outermost, then seeds,
    /// then losses (so the first cells give a whole table for the first seed).
    public static func all(losses: [ExperimentLoss], seeds: [UInt64], patches: [Int?] = [nil]) -> [ExperimentCell] {
        patches.flatMap { patch in seeds.flatMap { seed in losses.map { ExperimentCell(loss: $0, seed: seed, patch: patch) } } }
    }

    /// What is on disk for this cell.
    public enum Status: String, Sendable {
        /// `result.json`: trained and evaluated.
        case done
        /// A checkpoint but no result: the next run resumes or evaluates it.
        case started
        /// Nothing yet.
        case todo
    }

    public func status(in out: String) -> Status {
        let files = FileManager.default
        if files.fileExists(atPath: resultPath(in: out)) { return .done }
        return files.fileExists(atPath: directory(in: out) + "/last.h5") ? .started : .todo
    }
}
