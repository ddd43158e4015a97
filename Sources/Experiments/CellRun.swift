import Cluster
import Common
import ENetTraining
import Evaluation
import Foundation
import Inference

/// Trains and evaluates one cell in its folder, on every rank: skipped when `result.json` is
/// there, resumed from `last.h5` when training did not finish, evaluated when it did.
struct CellRun {
    let cell: ExperimentCell
    let settings: Experiment.Settings
    let store: String
    let checksum: String
    let programVersion: String

    /// Returns whether a signal stopped training (the cell then holds `last.h5` to resume from).
    func run(world: Communicator) throws -> Bool {
        let dir = cell.directory(in: settings.out)
        var training = Experiment.trainingSettings(cell, settings: settings, store: store)
        let status = try world.broadcast(cell.status(in: settings.out).rawValue)
        if status == ExperimentCell.Status.done.rawValue {
            if world.isRoot { print("\(cell.name): finished earlier (\(cell.resultPath(in: settings.out))), skipped") }
            return false
        }
        let trained = try world.broadcast(status == ExperimentCell.Status.started.rawValue && trainingFinished(training) ? "yes" : "no")
        let trainStart = Date()
        if trained != "yes" {
            training.resume = status == ExperimentCell.Status.started.rawValue
            if world.isRoot { print("\(cell.name): " + (training.resume ? "resuming in \(dir)" : "training in \(dir)")) }
            let outcome = try TrainingRun.run(training, world: world, programVersion: programVersion)
            if outcome.stopped { return true }
        }
        let trainSeconds = Date().timeIntervalSince(trainStart)
        // best.h5 exists unless validation Dice was never a number; then the last weights stand in.
        let checkpoint = try world.broadcast(FileManager.default.fileExists(atPath: dir + "/best.h5") ? "best.h5" : "last.h5")
        let evaluateStart = Date()
        var options = CheckpointEvaluation.Options(checkpoint: dir + "/" + checkpoint, store: store)
        options.out = dir + "/eval"
        options.batch = settings.training.loop.batch
        guard let evaluation = try CheckpointEvaluation.run(options, world: world) else { return false }
        // Rank 0 alone gets here. A resumed cell's training time is its epochs' sum.
        let metrics = try RunMetrics.read(dir + "/metrics.jsonl")
        let config = try Experiment.readConfig(dir + "/config.json")
        let result = CellResult(cell: cell.name, loss: cell.loss.name, seed: cell.seed, patch: cell.patch,
                                checkpoint: checkpoint, store: store, storeChecksum: checksum, scores: evaluation.scores,
                                classNames: evaluation.classNames, trainingWorldSize: config.worldSize,
                                trainSeconds: trained == "yes" || training.resume ? metrics.seconds : trainSeconds,
                                evaluateSeconds: Date().timeIntervalSince(evaluateStart))
        try result.write(cell.resultPath(in: settings.out))
        print("\(cell.name): test split\n" + ReportWriter.table(evaluation.summary), terminator: "")
        return false
    }

    /// Whether the run in the cell's folder trained to its end: its metrics end with an end
    /// record other than a signal's, or hold every epoch.
    func trainingFinished(_ training: RunSettings) throws -> Bool {
        let path = training.out + "/metrics.jsonl"
        guard FileManager.default.fileExists(atPath: path) else { return false }
        let metrics = try RunMetrics.read(path)
        if let end = metrics.end { return end.stopReason != .signal }
        return metrics.epochs.count >= training.loop.epochs
    }
}
