import Common
import ENetTraining
import Foundation
import PatchStore

/// The finished cells of an experiment as the report reads them: each cell's `result.json`,
/// `metrics.jsonl` and `config.json`, checked to share one store and schedule.
struct ExperimentResults {
    /// A trained and evaluated cell.
    struct Finished {
        var cell: ExperimentCell
        var result: CellResult
        var metrics: RunMetrics
        var config: TrainingRun.Config
        /// Its folder.
        var directory: String
        var checkpoint: String { directory + "/" + result.checkpoint }
    }

    /// The finished cells of Table 1: those on the store as it is, or in the sweep those on whole slices.
    var finished: [Finished]
    /// Every finished cell (in the sweep, at every patch side).
    var all: [Finished]
    /// Cells of the command without a `result.json`.
    var missing: [ExperimentCell]
    /// The store the cells were trained on, and a reader of it.
    var store: String
    var reader: PatchStoreReader

    /// The schedule every cell shares (the first finished cell's settings).
    var training: RunSettings { finished[0].config.settings }

    /// Reads the cells of `settings` in `settings.out`; at least one must be finished.
    static func read(_ settings: Experiment.Settings) throws -> ExperimentResults {
        var finished: [Finished] = [], missing: [ExperimentCell] = []
        for cell in settings.cells {
            let dir = cell.directory(in: settings.out)
            guard cell.status(in: settings.out) == .done else {
                missing.append(cell)
                continue
            }
            let result = try CellResult.read(cell.resultPath(in: settings.out))
            guard result.cell == cell.name else {
                throw ProgramError(.badInput, path: cell.resultPath(in: settings.out), "is the result of \(result.cell), not of \(cell.name)")
            }
            finished.append(Finished(cell: cell, result: result, metrics: try RunMetrics.read(dir + "/metrics.jsonl"),
                                     config: try Experiment.readConfig(dir + "/config.json"), directory: dir))
        }
        guard let first = finished.first(where: { $0.cell.patch == settings.patches[0] }) ?? finished.first else {
            throw ProgramError(.missingFile, path: settings.out + "/runs", "holds no finished cell (no result.json): "
                               + "run `experiment` with the same flags (or its --task array) first")
        }
        for other in finished {
            let sameStore = finished.first { $0.cell.patch == other.cell.patch }!
            guard other.result.storeChecksum == sameStore.result.storeChecksum,
                  Experiment.schedule(other.config.settings, patch: other.cell.patch)
                    == Experiment.schedule(first.config.settings, patch: first.cell.patch) else {
                throw ProgramError(.badInput, path: other.directory + "/config.json", "store or schedule differ from "
                                   + "\(first.cell.name)'s: the cells are not comparable")
            }
        }
        let store = (settings.sweep ? nil : settings.store) ?? first.result.store
        guard try FileChecksum.fnv1a64(store) == first.result.storeChecksum else {
            throw ProgramError(.badInput, path: store, "is not the store the cells in \(settings.out) were trained on (checksum differs)")
        }
        return ExperimentResults(finished: finished.filter { $0.cell.patch == first.cell.patch }, all: finished, missing: missing,
                                 store: store, reader: try PatchStoreReader(path: store))
    }

    /// The finished cells of `loss`, by seed order.
    func cells(of loss: ExperimentLoss) -> [Finished] { finished.filter { $0.cell.loss == loss } }

    /// The loss rows that have a finished cell, in the command's order.
    func losses(_ settings: Experiment.Settings) -> [ExperimentLoss] { settings.losses.filter { !cells(of: $0).isEmpty } }
}
