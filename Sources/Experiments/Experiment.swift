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

/// `experiment`: the paper's comparison, over several seeds. Every cell (loss, seed) is trained
/// with the same store, schedule and world size by `TrainingRun.run` (the `train` code) in
/// `OUT/runs/<cell>/`, its best checkpoint evaluated on the test split by
/// `CheckpointEvaluation`, and `result.json` written; then `report.md` with Table 1 (mean ±
/// std over seeds), the paired Wilcoxon comparison of Mime with each Dice variant, training
/// curves and overlay figures is written on rank 0 from the finished cells.
///
/// A cell with a `result.json` is skipped, one with a checkpoint resumed, so the same command
/// run again continues where it stopped; `task` runs one cell (a SLURM array task) and
/// `merge` only writes the report.
public enum Experiment {
    public struct Settings {
        /// acdc or wmh: the built-in dataset when `store` is nil, and the report's title.
        public var dataset: String
        public var store: String?
        public var out: String
        /// How every cell is trained (the same schedule for all); each cell's store, output
        /// directory, loss, scope and seed are set per cell.
        public var training = RunSettings(store: "", out: "")
        public var losses = ExperimentLoss.defaults
        /// Seeds per loss: `training.loop.seed` and the ones after it.
        public var seeds = 3
        /// Test slices in the overlay figure.
        public var figureSlices = 4
        /// The command line, recorded in the report.
        public var command = ""
        /// Run only this cell (an index into `cells`), and write no report.
        public var task: Int?
        /// Train nothing: write the report from the cells finished in `out/runs`.
        public var merge = false
        /// Phase 2: every cell at each of `Experiment.sweepSides` (the built-in dataset
        /// preprocessed into a store per patch side).
        public var sweep = false

        public init(dataset: String, out: String, epochs: Int) {
            self.dataset = dataset
            self.out = out
            training.loop.epochs = epochs
            (training.loop.batch, training.learningRate) = (Experiment.defaultBatch, Experiment.defaultLearningRate)
            (training.loop.lrSchedule, training.loop.warmupEpochs) = (.cosine, 1)
        }

        /// The seeds of the cells.
        public var seedValues: [UInt64] { (0..<UInt64(max(seeds, 0))).map { training.loop.seed &+ $0 } }

        /// The patch sides of the cells: nil (the store as it is) unless `sweep`.
        public var patches: [Int?] {
            guard sweep, let recipe = try? Experiment.recipe(dataset) else { return [nil] }
            return Experiment.sweepSides(recipe).map(Optional.some)
        }

        /// Images per rank and step of the cells with patch side `patch`: `--batch` on the
        /// built-in store's own patch side, scaled by the ratio of patch areas elsewhere, so that
        /// every side trains on the same pixels per step and the same steps per epoch, and only
        /// how the slices are cut differs (wmh, batch 4 at 64: 1 whole slice of 128, 16 patches of
        /// 32). Nil when that is not a whole number of images.
        public func batch(patch: Int?) -> Int? {
            let batch = training.loop.batch
            guard let patch, let recipe = try? Experiment.recipe(dataset) else { return batch }
            let reference = recipe.patch ?? recipe.size
            let pixels = batch * reference * reference, area = patch * patch
            return pixels % area == 0 ? pixels / area : nil
        }

        /// Every cell, in `--task` order.
        public var cells: [ExperimentCell] { ExperimentCell.all(losses: losses, seeds: seedValues, patches: patches) }

        /// Checks every value before anything is built or trained: the dataset, the output
        /// directory, the task index and each cell's training settings (a bad one is
        /// `invalidValue`, exit 64).
        public func validate() throws {
            _ = try Experiment.recipe(dataset)
            guard !losses.isEmpty else { throw ProgramError.invalidValue("--losses: no loss to compare") }
            try Check.range(seeds, 1...1000, flag: "--seeds")
            try Check.outputDirectory(out)
            if sweep && store != nil {
                throw ProgramError.invalidValue("--sweep preprocesses the built-in dataset at each patch side: leave out --store")
            }
            if let recipe = try? Experiment.recipe(dataset), let patch = patches.compactMap({ $0 }).first(where: { batch(patch: $0) == nil }) {
                let reference = recipe.patch ?? recipe.size
                throw ProgramError.invalidValue("--batch \(training.loop.batch) with --sweep: at patch side \(patch) the pixels of "
                                                + "\(training.loop.batch) patches of \(reference)x\(reference) are not a whole number "
                                                + "of patches; use a multiple of \(max(1, patch * patch / (reference * reference)))")
            }
            if let task {
                guard cells.indices.contains(task) else {
                    throw ProgramError.invalidValue("--task \(task) is not a cell: there are \(cells.count) (0...\(cells.count - 1); see --list-cells)")
                }
                guard !merge else { throw ProgramError.invalidValue("--task and --merge exclude each other") }
            }
            for cell in cells {
                let run = Experiment.trainingSettings(cell, settings: self, store: store ?? "built-in")
                try run.validate()
                if run.diceScope == .global && run.loop.accumulate > 1 {
                    throw ProgramError.invalidValue("--losses \(cell.loss.name): the global scope needs --accumulate 1")
                }
            }
        }
    }

    /// Epochs per cell when none are given: the 18 default cells in about 30 minutes with
    /// `mpirun -n 2` on 2 cores (release build). Measured per epoch: acdc 10 s, wmh 5.7 s, plus
    /// about 3 s (acdc) and 2 s (wmh) per cell for start-up and evaluation; 100 s per cell gives
    /// 9 and 16 epochs (docs/evaluation.md).
    public static func defaultEpochs(_ dataset: String) -> Int { dataset == "wmh" ? 16 : 9 }

    /// The seeds when none are given.
    public static let defaultSeeds = 3

    /// Images per rank and step when `--batch` is not given: with `mpirun -n 2`, 8 per step, so
    /// an acdc epoch is 29 steps. Chosen with the learning rate and the cosine schedule (1 epoch
    /// of warm-up) by measurement: Mime on the built-in ACDC-like data, 8 images per step,
    /// validation foreground Dice 0.79 after 7 epochs, where `train`'s defaults (5e-4, constant)
    /// at 32 images per step peaked at 0.29 and fell (README, *Experiment*).
    public static let defaultBatch = 4

    /// Adam's peak learning rate when `--lr` is not given (see `defaultBatch`).
    public static let defaultLearningRate = 2e-3

    /// What the default cells take on 2 cores, in minutes (from `defaultEpochs`).
    public static let defaultMinutes = 30

    /// `--quick`: a smoke run of a few minutes (2 seeds, 2 epochs of at most 6 steps, 2
    /// validation volumes).
    public static func quick(_ settings: Settings) -> Settings {
        var settings = settings
        settings.seeds = 2
        settings.training.loop.epochs = 2
        settings.training.loop.maxStepsPerEpoch = 6
        settings.training.maxValidationVolumes = 2
        return settings
    }

    /// The sweep's patch sides: the whole slice, 1/2 and 1/4 of its side.
    public static func sweepSides(_ recipe: BuiltInDataset.Recipe) -> [Int] { [recipe.size, recipe.size / 2, recipe.size / 4] }

    /// The store of cells with patch side `patch`: `settings.store` or the built-in dataset when
    /// nil, else the built-in dataset preprocessed with that side (whole slices at the full side).
    static func store(patch: Int?, settings: Settings, world: Communicator, programVersion: String) throws -> String {
        var recipe = try recipe(settings.dataset)
        guard let patch else {
            return try settings.store ?? BuiltInDataset.store(recipe, world: world, programVersion: programVersion)
        }
        recipe.patch = patch == recipe.size ? nil : patch
        return try BuiltInDataset.store(recipe, world: world, programVersion: programVersion)
    }

    /// The built-in dataset for `dataset`.
    public static func recipe(_ dataset: String) throws -> BuiltInDataset.Recipe {
        switch dataset {
        case "acdc": return .acdc
        case "wmh": return .wmh
        default: throw ProgramError.invalidValue("--dataset '\(dataset)' is unknown: use acdc or wmh")
        }
    }

    /// Runs the experiment on every rank; returns the report's path on rank 0 (nil elsewhere,
    /// with `task`, or when a signal stopped training).
    @discardableResult
    public static func run(_ settings: Settings, world: Communicator, programVersion: String) throws -> String? {
        let started = Date()
        try settings.validate()
        if settings.merge {
            guard world.isRoot else { return nil }
            return try report(settings, seconds: nil, worldSize: world.size, programVersion: programVersion)
        }
        let cells = settings.task.map { [settings.cells[$0]] } ?? settings.cells
        var stores: [Int?: (path: String, checksum: String)] = [:]
        for patch in settings.patches where cells.contains(where: { $0.patch == patch }) {
            let store = try store(patch: patch, settings: settings, world: world, programVersion: programVersion)
            guard try !PatchStoreReader(path: store).volumes(.test).isEmpty else {
                throw ProgramError(.badInput, path: store, "the test split has no volumes: nothing to evaluate the losses on")
            }
            stores[patch] = (store, try FileChecksum.fnv1a64(store))
        }
        // Refuse before any training a cell that holds a run with other settings.
        for cell in cells {
            try checkComparable(cell, settings: settings, store: stores[cell.patch]!.path, checksum: stores[cell.patch]!.checksum)
        }
        for cell in cells {
            let (store, checksum) = stores[cell.patch]!
            let stopped = try CellRun(cell: cell, settings: settings, store: store, checksum: checksum,
                                      programVersion: programVersion).run(world: world)
            if stopped {
                if world.isRoot {
                    fputs("experiment: stopped by a signal while training \(cell.name): \(cell.directory(in: settings.out))/last.h5 "
                          + "written; run the same command again to resume\n", stderr)
                }
                return nil
            }
        }
        try world.barrier()
        guard settings.task == nil, world.isRoot else { return nil }
        return try report(settings, seconds: Date().timeIntervalSince(started), worldSize: world.size, programVersion: programVersion)
    }

    /// Writes the report from the finished cells in `settings.out` (rank 0); returns its path.
    static func report(_ settings: Settings, seconds: Double?, worldSize: Int, programVersion: String) throws -> String {
        let results = try ExperimentResults.read(settings)
        let report = ExperimentReport(settings: settings, results: results, worldSize: worldSize, programVersion: programVersion)
        let path = try report.write(seconds: seconds)
        print(report.table1())
        if !results.missing.isEmpty {
            print("not finished (left out of the report): " + results.missing.map(\.name).joined(separator: ", "))
        }
        print("report: \(path)")
        return path
    }

    /// The `train` settings of `cell` in this experiment.
    static func trainingSettings(_ cell: ExperimentCell, settings: Settings, store: String) -> RunSettings {
        var training = settings.training
        (training.store, training.out) = (store, cell.directory(in: settings.out))
        (training.loss, training.diceScope, training.loop.seed) = (cell.loss.kind, cell.loss.scope, cell.seed)
        training.loop.batch = settings.batch(patch: cell.patch) ?? training.loop.batch
        return training
    }

    /// `settings` with what may differ between comparable cells (paths, loss, seed, resume,
    /// threads and how the exchange runs) set to fixed values. With the cell's `patch` side (the
    /// sweep), the batch becomes pixels per step, since the sweep scales it with the patch area.
    static func schedule(_ settings: RunSettings, patch: Int? = nil) -> RunSettings {
        var s = settings
        if let patch { s.loop.batch *= patch * patch }
        (s.store, s.out, s.loss, s.diceScope, s.resume, s.threads) = ("", "", .mime, .patch, false, 1)
        let defaults = TrainingSettings()
        (s.loop.seed, s.loop.reduce, s.loop.bucketSizeMB) = (0, defaults.reduce, defaults.bucketSizeMB)
        (s.loop.stallTimeout, s.loop.checksumEvery) = (defaults.stallTimeout, defaults.checksumEvery)
        return s
    }

    /// A cell already trained (or started) in `out` must have been trained as this command
    /// would train it: same loss, seed, store and schedule; otherwise skipping or resuming it
    /// would mix different experiments.
    static func checkComparable(_ cell: ExperimentCell, settings: Settings, store: String, checksum: String) throws {
        let dir = cell.directory(in: settings.out)
        guard cell.status(in: settings.out) != .todo else { return }
        let config = try readConfig(dir + "/config.json")
        let wanted = trainingSettings(cell, settings: settings, store: store)
        let (got, expected) = (config.settings, wanted)
        guard got.loss == expected.loss, got.diceScope == expected.diceScope, got.loop.seed == expected.loop.seed,
              config.store.checksum == checksum, schedule(got) == schedule(expected) else {
            throw ProgramError(.busy, path: dir, "holds a run trained with another store, loss, seed or schedule: "
                               + "run the command that made it, or choose another --out")
        }
    }

    /// A run's `config.json`.
    static func readConfig(_ path: String) throws -> TrainingRun.Config {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ProgramError(.missingFile, path: path, "cannot be read: \(error.localizedDescription)")
        }
        do { return try JSONDecoder().decode(TrainingRun.Config.self, from: data) } catch {
            throw ProgramError(.badInput, path: path, "not a training run's config: \(error)")
        }
    }
}
