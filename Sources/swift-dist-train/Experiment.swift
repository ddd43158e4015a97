import ArgumentParser
import Cluster
import Common
import Experiments
import Foundation

/// `experiment`: the paper's Table 1 for the four losses, with figures.
struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Train dice, vnet, gdl and mime on one store, evaluate each on the test split, write report.md (Table 1).",
        discussion: """
        Every loss is trained with the same store, seed, schedule and world size (the `train` \
        code), its best checkpoint evaluated on the test split (3D DSC, HD95 in mm), and OUT/report.md \
        written with Table 1, non-finite step counts, training curves and test overlays (PNG).
        Without --store, uses the built-in ACDC-like or WMH-like dataset. Example:
          mpirun -n 4 --oversubscribe swift-dist-train experiment --dataset acdc --out runs/table1-acdc
        """)

    @Option(help: "Dataset: acdc or wmh (the built-in one when --store is not given).")
    var dataset = "acdc"

    @Option(help: "Patch store (.h5); default: the built-in dataset.")
    var store: String?

    @Option(help: "Epochs per loss (default: 30 for acdc, 48 for wmh: about 7 minutes each on 4 ranks, 2 cores).")
    var epochs: Int?

    @Option(help: "Output directory (one sub-directory per loss, report.md).")
    var out: String?

    @OptionGroup var schedule: ScheduleOptions

    @Option(help: "Test slices in the overlay figure.")
    var figureSlices = 4

    @Flag(help: "Do not train: evaluate and report the runs already in OUT/<loss> (e.g. from jobs/table1-array.sbatch).")
    var skipTraining = false

    /// Every value is checked before MPI starts (the same checks as `Experiment.run`): a bad one exits 64.
    func validate() throws {
        try validating {
            try Check.range(figureSlices, 0...64, flag: "--figure-slices")
            try settings().validate()
        }
    }

    /// The settings these flags give.
    func settings() -> Experiment.Settings {
        var settings = Experiment.Settings(dataset: dataset, out: out ?? "runs/table1-\(dataset)",
                                           epochs: epochs ?? Experiment.defaultEpochs(dataset))
        settings.store = store
        settings.training = schedule.applied(to: settings.training)
        settings.figureSlices = figureSlices
        settings.skipTraining = skipTraining
        settings.command = CommandLine.arguments.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
        return settings
    }

    func run() throws {
        Job.run {
            try Experiment.run(settings(), world: Communicator.world, programVersion: programVersion)
        }
    }
}
