import ArgumentParser
import Cluster
import Common
import Experiments
import Foundation

/// `experiment`: the paper's Table 1 over several seeds, with the paired comparison and figures.
struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Train each loss with several seeds on one store, evaluate each on the test split, write report.md (Table 1).",
        discussion: """
        Each cell (loss, seed) is trained with the same store, schedule and world size (the `train` \
        code) in OUT/runs/<loss>-seed<seed>/, its best checkpoint evaluated on the test split (3D DSC, \
        HD95 in mm) and result.json written there. OUT/report.md then gives Table 1 (mean ± std over \
        seeds), a Wilcoxon signed-rank comparison of mime with each other loss per class, how each run \
        stopped, non-finite step counts, training curves and test overlays (PNG).

        Resumable: running the same command again skips finished cells and resumes started ones. \
        --list-cells prints the cells, --task I runs cell I only (a SLURM array task; \
        jobs/table1-array.sbatch), --merge writes the report from the finished cells. --sweep \
        trains every cell at 3 patch sides and adds the rare class against the patch side.

        Default: the 6 losses x 3 seeds = 18 cells, \(Experiment.defaultEpochs("acdc")) epochs each on \
        acdc, \(Experiment.defaultEpochs("wmh")) on wmh, about \(Experiment.defaultMinutes) minutes with \
        mpirun -n 2 on a 2-core machine (release build; from measured seconds per epoch, \
        docs/evaluation.md). --quick: 2 seeds, 2 epochs of at most 6 steps, 2 validation volumes \
        (acdc: about 3 minutes). --sweep: 3 times the cells.
        Without --store, uses the built-in ACDC-like or WMH-like dataset. Example:
          mpirun -n 2 swift-dist-train experiment --dataset acdc --out runs/table1-acdc
        """)

    @Option(help: "Dataset: acdc or wmh (the built-in one when --store is not given).")
    var dataset = "acdc"

    @Option(help: "Patch store (.h5); default: the built-in dataset.")
    var store: String?

    @Option(help: "Comma-separated losses (rows): a loss of `train --loss`, optionally with -batch or -global (its --dice-scope).")
    var losses = ExperimentLoss.defaults.map(\.name).joined(separator: ",")

    @Option(help: "Seeds per loss: --seed and the ones after it (default \(Experiment.defaultSeeds); --quick: 2).")
    var seeds: Int?

    @Option(help: "Epochs per cell (default: \(Experiment.defaultEpochs("acdc")) for acdc, \(Experiment.defaultEpochs("wmh")) for wmh; --quick: 2).")
    var epochs: Int?

    @Option(help: "Output directory (runs/<cell>/ per cell, report.md).")
    var out: String?

    @OptionGroup var schedule: ScheduleOptions

    @OptionGroup var eps: EpsOption

    @Option(help: "Test slices in the overlay figure.")
    var figureSlices = 4

    @Flag(help: "A smoke run: 2 seeds, 2 epochs of at most 6 steps, 2 validation volumes (explicit flags win).")
    var quick = false

    @Flag(help: "Print the cells (index, name, status) and exit.")
    var listCells = false

    @Option(help: "Run only cell I (0-based, see --list-cells; for a SLURM array) and write no report.")
    var task: Int?

    @Flag(help: "Train nothing: write the report from the finished cells in OUT/runs.")
    var merge = false

    @Flag(help: "Phase 2: every cell at 3 patch sides (whole slice, 1/2, 1/4; the built-in dataset preprocessed at each; --batch is at the built-in store's patch side and scaled by patch area, so each side trains the same pixels per step): rare-class DSC and HD95 vs patch side, empty-patch fractions, non-finite steps. 3x the cells.")
    var sweep = false

    /// Every value is checked before MPI starts (the same checks as `Experiment.run`): a bad one exits 64.
    func validate() throws {
        try validating {
            try Check.range(figureSlices, 0...64, flag: "--figure-slices")
            try settings().validate()
        }
    }

    /// The settings these flags give.
    func settings() throws -> Experiment.Settings {
        var settings = Experiment.Settings(dataset: dataset, out: out ?? "runs/table1-\(dataset)",
                                           epochs: Experiment.defaultEpochs(dataset))
        settings.store = store
        settings.training = schedule.applied(to: settings.training)
        settings.seeds = Experiment.defaultSeeds
        if quick { settings = Experiment.quick(settings) }
        // Flags given explicitly win over --quick's values.
        if let epochs { settings.training.loop.epochs = epochs }
        // The default warm-up (one epoch) leaves at least one epoch after it.
        if schedule.warmupEpochs == nil {
            let loop = settings.training.loop
            settings.training.loop.warmupEpochs = max(0, min(loop.warmupEpochs, loop.epochs - 1))
        }
        if let seeds { settings.seeds = seeds }
        if quick && schedule.maxSteps != 0 { settings.training.loop.maxStepsPerEpoch = schedule.maxSteps }
        if quick && schedule.maxValVolumes != 0 { settings.training.maxValidationVolumes = schedule.maxValVolumes }
        settings.losses = try ExperimentLoss.list(losses)
        settings.figureSlices = figureSlices
        settings.task = task
        settings.merge = merge
        settings.sweep = sweep
        settings.training.eps = eps.eps
        settings.command = CommandLine.arguments.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
        return settings
    }

    func run() throws {
        if listCells {
            let settings = try settings()
            for (i, cell) in settings.cells.enumerated() { print("\(i) \(cell.name) \(cell.status(in: settings.out).rawValue)") }
            return
        }
        Job.run {
            try Experiment.run(settings(), world: Communicator.world, programVersion: programVersion)
        }
    }
}
