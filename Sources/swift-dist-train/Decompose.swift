import ArgumentParser
import Cluster
import Common
import Decompose

/// `decompose`: does a loss computed on patches spread over ranks equal the loss of the whole volume?
struct Decompose: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare each loss and its gradients on whole volumes with the same assembled from patches over ranks.",
        discussion: """
        Deals each volume's patches out across the ranks (patch j to rank
        j mod R), runs a fixed ENet in inference mode and, for ce, mime, dice,
        vnet and gdl, compares the loss and its gradients (w.r.t. the logits
        and the parameters) on the whole volume, all its pixels as one image,
        with the same assembled from the pieces: summed (ce, mime), averaged
        per patch as trained (scope patch) or from statistics summed over all
        patches and ranks before the ratio (scope global). Example:
          mpirun -n 2 swift-dist-train decompose --store acdc.h5 --volumes 4
        """)

    @Option(help: "Patch store (.h5) from `preprocess`.")
    var store: String

    @Option(help: "Split whose volumes are decomposed: train, val or test.")
    var split = "test"

    @Option(help: "Number of volumes, in store order (0: all).")
    var volumes = 0

    @OptionGroup var eps: EpsOption

    @Option(help: "ENet weights (a checkpoint from `train`) instead of the seeded random initialisation.")
    var checkpoint: String?

    @OptionGroup var seed: SeedOption
    @OptionGroup var threads: ThreadsOption

    @Flag(help: "Print one JSON document (on rank 0) instead of the table.")
    var json = false

    func validate() throws {
        guard ["train", "val", "test"].contains(split) else { throw ValidationError("--split must be train, val or test") }
        try validating { try Check.range(volumes, 0...Int(Int32.max), flag: "--volumes") }
    }

    func run() throws {
        Job.run {
            let world = Communicator.world
            var settings = DecomposeSettings(store: store)
            settings.split = split
            settings.volumes = volumes
            settings.eps = eps.eps
            settings.checkpoint = checkpoint
            settings.seed = seed.seed
            settings.threads = threads.count
            let report = try Decomposition(settings, world: world).run()
            if world.isRoot { print(json ? try report.json() : report.table) }
        }
    }
}
