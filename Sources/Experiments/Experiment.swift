import Cluster
import Common
import ENetTraining
import Evaluation
import Foundation
import Inference
import Losses
import PatchStore
import SyntheticData
import Training

/// `experiment`: the paper's comparison. The same store, seed, schedule and world size for
/// every loss; each loss trained by `TrainingRun.run` (the `train` code), its best checkpoint
/// evaluated on the test split by `CheckpointEvaluation`, then `report.md` with Table 1,
/// training curves and overlay figures written on rank 0.
public enum Experiment {
    /// The losses of the paper's Table 1, in its row order.
    public static let paperLosses: [LossKind] = [.dice, .vnet, .gdl, .mime]

    public struct Settings {
        /// acdc or wmh: the built-in dataset when `store` is nil, and the report's title.
        public var dataset: String
        public var store: String?
        public var out: String
        /// How every loss is trained (the same schedule for all); each run's store, output
        /// directory and loss are set per loss.
        public var training = RunSettings(store: "", out: "")
        public var losses = Experiment.paperLosses
        /// Test slices in the overlay figure.
        public var figureSlices = 4
        /// The command line, recorded in the report.
        public var command = ""
        /// Evaluate and report the runs already in `out/<loss>` (e.g. trained by
        /// jobs/table1-array.sbatch) instead of training; their schedule and store are read
        /// from their config.json and must agree.
        public var skipTraining = false

        public init(dataset: String, out: String, epochs: Int) {
            self.dataset = dataset
            self.out = out
            training.loop.epochs = epochs
        }

        /// Checks every value before anything is built or trained: the dataset, the output
        /// directory and each loss's training settings (a bad one is `invalidValue`, exit 64).
        public func validate() throws {
            _ = try Experiment.recipe(dataset)
            guard !losses.isEmpty else { throw ProgramError.invalidValue("no loss to compare") }
            try Check.outputDirectory(out)
            for loss in losses {
                try Experiment.trainingSettings(loss, settings: self, store: store ?? "built-in").validate()
            }
        }
    }

    /// One loss's outcome, as the report needs it (rank 0).
    public struct LossRun {
        public var loss: String
        public var checkpoint: String
        public var evaluation: CheckpointEvaluation.Result
        public var metrics: [EpochMetrics]
        public var trainSeconds: Double
        public var evaluateSeconds: Double
    }

    /// Epochs per loss when none are given, chosen when a run took about 15 minutes on a 2-core
    /// machine (ACDC-like, 232 patches 128x128 per epoch, 4 ranks: 25 epochs in 751 s; WMH-like
    /// scaled by pixels per epoch). With the faster blocked layout, the defaults take 427 s
    /// (acdc) and 421 s (wmh) for all four losses (release build, `docs/results/`).
    public static func defaultEpochs(_ dataset: String) -> Int { dataset == "wmh" ? 48 : 30 }

    /// The built-in dataset for `dataset`.
    public static func recipe(_ dataset: String) throws -> BuiltInDataset.Recipe {
        switch dataset {
        case "acdc": return .acdc
        case "wmh": return .wmh
        default: throw ProgramError.invalidValue("--dataset '\(dataset)' is unknown: use acdc or wmh")
        }
    }

    /// Runs the experiment on every rank; returns the report's path on rank 0, nil elsewhere.
    @discardableResult
    public static func run(_ settings: Settings, world: Communicator, programVersion: String) throws -> String? {
        let started = Date()
        var settings = settings
        try settings.validate()
        let recipe = try recipe(settings.dataset)
        let store: String
        var trainingWorldSize = world.size
        if settings.skipTraining {
            let config = try existingRuns(settings)
            store = settings.store ?? config.store.path
            guard try FileChecksum.fnv1a64(store) == config.store.checksum else {
                throw ProgramError(.badInput, path: store, "is not the store the runs in \(settings.out) were trained on (checksum differs)")
            }
            settings.training = config.settings  // the schedule the runs were trained with
            trainingWorldSize = config.worldSize
        } else {
            // Refuse before any training whatever would fail later: an earlier run's outputs, no test split.
            for loss in settings.losses.map(\.rawValue)
            where FileManager.default.fileExists(atPath: "\(settings.out)/\(loss)/last.h5") {
                throw ProgramError(.busy, path: settings.out, "already holds a \(loss) run (\(loss)/last.h5): choose another --out, "
                                   + "or --skip-training to evaluate it")
            }
            store = try settings.store ?? BuiltInDataset.store(recipe, world: world, programVersion: programVersion)
        }
        let reader = try PatchStoreReader(path: store)
        guard try !reader.volumes(.test).isEmpty else {
            throw ProgramError(.badInput, path: store, "the test split has no volumes: nothing to evaluate the losses on")
        }
        var runs: [LossRun] = []
        for kind in settings.losses {
            let loss = kind.rawValue
            let training = trainingSettings(kind, settings: settings, store: store)
            let trainStart = Date()
            if !settings.skipTraining {
                let outcome = try TrainingRun.run(training, world: world, programVersion: programVersion)
                guard !outcome.stopped else {
                    throw ProgramError(.failed, path: training.out, "stopped by a signal while training \(loss); the experiment is incomplete")
                }
            }
            let trainSeconds = Date().timeIntervalSince(trainStart)
            // best.h5 exists unless validation Dice was never a number; then the last weights stand in.
            let best = training.out + "/best.h5"
            let checkpoint = try world.broadcast(FileManager.default.fileExists(atPath: best) ? best : training.out + "/last.h5")
            let evaluateStart = Date()
            var options = CheckpointEvaluation.Options(checkpoint: checkpoint, store: store)
            options.out = training.out + "/eval"
            options.batch = settings.training.loop.batch
            let result = try CheckpointEvaluation.run(options, world: world)
            if let result {
                let metrics = try readMetrics(training.out + "/metrics.jsonl")
                runs.append(LossRun(loss: loss, checkpoint: checkpoint, evaluation: result, metrics: metrics,
                                    trainSeconds: settings.skipTraining ? metrics.reduce(0) { $0 + $1.seconds } : trainSeconds,
                                    evaluateSeconds: Date().timeIntervalSince(evaluateStart)))
                print("\(loss): test split\n" + ReportWriter.table(result.summary), terminator: "")
            }
        }
        try world.barrier()
        guard world.isRoot else { return nil }
        let report = ExperimentReport(settings: settings, store: store, reader: reader, runs: runs,
                                      worldSize: world.size, trainingWorldSize: trainingWorldSize,
                                      programVersion: programVersion)
        let path = try report.write(seconds: Date().timeIntervalSince(started))
        print(report.table1())
        print("report: \(path)")
        return path
    }

    /// The `train` settings of `loss` in this experiment.
    static func trainingSettings(_ loss: LossKind, settings: Settings, store: String) -> RunSettings {
        var training = settings.training
        (training.store, training.out, training.loss) = (store, "\(settings.out)/\(loss.rawValue)", loss)
        return training
    }

    /// The configuration shared by the runs already in `out/<loss>`: each must have a
    /// config.json, metrics.jsonl and last.h5, and all the same store, schedule and world size.
    static func existingRuns(_ settings: Settings) throws -> TrainingRun.Config {
        var configs: [TrainingRun.Config] = []
        for loss in settings.losses.map(\.rawValue) {
            let dir = "\(settings.out)/\(loss)"
            for file in ["config.json", "metrics.jsonl", "last.h5"] where !FileManager.default.fileExists(atPath: "\(dir)/\(file)") {
                throw ProgramError(.missingFile, path: "\(dir)/\(file)", "missing: --skip-training needs a finished \(loss) run in \(dir)")
            }
            do {
                configs.append(try JSONDecoder().decode(TrainingRun.Config.self,
                                                        from: Data(contentsOf: URL(fileURLWithPath: "\(dir)/config.json"))))
            } catch {
                throw ProgramError(.badInput, path: "\(dir)/config.json", "not a training run's config: \(error)")
            }
            guard configs.last!.settings.loss.rawValue == loss else {
                throw ProgramError(.badInput, path: "\(dir)/config.json", "is a \(configs.last!.settings.loss.rawValue) run, expected \(loss)")
            }
        }
        let first = configs[0]
        func schedule(_ c: TrainingRun.Config) -> [String] {
            let (s, loop) = (c.settings, c.settings.loop)
            return [c.store.checksum, "\(c.worldSize)", "\(loop.epochs)", "\(loop.batch)", "\(loop.accumulate)",
                    "\(s.learningRate)", "\(loop.seed)", "\(loop.maxStepsPerEpoch)"]
        }
        for (loss, config) in zip(settings.losses, configs) where schedule(config) != schedule(first) {
            throw ProgramError(.badInput, path: "\(settings.out)/\(loss)/config.json",
                               "store, world size or schedule differ from the \(settings.losses[0].rawValue) run's: the losses are not comparable")
        }
        return first
    }

    /// The epochs of a run's `metrics.jsonl`.
    static func readMetrics(_ path: String) throws -> [EpochMetrics] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try text.split(separator: "\n").map { try decoder.decode(EpochMetrics.self, from: Data($0.utf8)) }
    }
}
