import ArgumentParser
import Cluster
import ENetTraining
import Foundation
import SyntheticData
import Training

/// `train`: the main job. One ENet replica per rank, gradients averaged by allreduce.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train ENet data-parallel over MPI ranks (the default command).",
        discussion: """
        Without --store, trains on the built-in ACDC-like dataset (generated and
        preprocessed once into ~/.cache/swift-dist-train). Examples:
          mpirun -n 4 swift-dist-train train --store acdc.h5 --loss mime --epochs 100 --out runs/acdc-mime
          swift-dist-train train --epochs 2            (one process, built-in data)
          srun --mpi=pmix swift-dist-train train ...   (inside a SLURM allocation)
        OUT gets config.json, metrics.jsonl (one JSON line per epoch), last.h5 and best.h5.
        SIGTERM, SIGINT or SIGUSR1 on any rank: finish the step, write last.h5, exit; --resume continues.
        """)

    @Option(help: "Patch store (.h5) from `preprocess`; default: the built-in ACDC-like dataset.")
    var store: String?

    @Option(help: "Output directory (default: runs/<loss>-<date>-<time>, a new one per run).")
    var out: String?

    @Option(help: "Epochs to train.")
    var epochs = TrainingSettings().epochs

    @OptionGroup var schedule: ScheduleOptions
    @OptionGroup var loss: LossOptions

    @Option(help: "Micro-batches whose gradients are accumulated before each step.")
    var accumulate = 1

    @Option(help: "Adam weight decay (L2).")
    var weightDecay = 0.0

    @Option(help: "On a non-finite loss or gradient: skip (the step, on every rank) or abort.")
    var nonfinite = NonfinitePolicy.skip

    @Option(help: "Compare a parameter checksum across ranks every N steps (0: never).")
    var checksumEvery = TrainingSettings().checksumEvery

    @Flag(help: "Continue from OUT/last.h5.")
    var resume = false

    func run() throws {
        Job.run {
            let world = Communicator.world
            let storePath = try store ?? BuiltInDataset.store(.acdc, world: world, programVersion: programVersion)
            // Every rank must use rank 0's choice of a fresh directory.
            let outPath = try out ?? world.broadcast(world.isRoot ? freshRunDirectory(loss.loss.rawValue) : "")
            var settings = loss.applied(to: schedule.applied(to: RunSettings(store: storePath, out: outPath)))
            settings.loop.epochs = epochs
            settings.loop.accumulate = accumulate
            settings.loop.nonfinite = nonfinite
            settings.loop.checksumEvery = checksumEvery
            settings.weightDecay = weightDecay
            settings.resume = resume
            try TrainingRun.run(settings, world: world, programVersion: programVersion)
        }
    }
}

/// `runs/<loss>-<yyyyMMdd-HHmmss>`, with a suffix if that exists already.
func freshRunDirectory(_ loss: String) -> String {
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyyMMdd-HHmmss"
    let base = "runs/\(loss.replacingOccurrences(of: "+", with: "-"))-\(formatter.string(from: Date()))"
    var candidate = base
    var n = 1
    while FileManager.default.fileExists(atPath: candidate) {
        n += 1
        candidate = "\(base)-\(n)"
    }
    return candidate
}
