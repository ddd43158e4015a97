import ArgumentParser
import Cluster
import ENetTraining
import Foundation
import SyntheticData
import Training

/// `train`: the main job. One ENet replica per rank, gradients summed over ranks in a fixed tree order.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train ENet data-parallel over MPI ranks (the default command).",
        discussion: """
        Without --store, trains on the built-in ACDC-like dataset (generated and
        preprocessed once into ~/.cache/swift-dist-train). Examples:
          mpirun -n 4 swift-dist-train train --store acdc.h5 --loss mime --epochs 100 --out runs/acdc-mime
          swift-dist-train train --epochs 2            (one process, built-in data)
          srun --mpi=pmix swift-dist-train train ...   (inside a SLURM allocation)
        OUT gets config.json, metrics.jsonl (one JSON line per epoch, then an end record
        {"event":"end","stop_reason":...}), last.h5 and best.h5 (the best validation Dice).
        The learning rate follows --lr-schedule after --warmup-epochs, set per step;
        --patience stops when validation Dice stops improving (all ranks at the same epoch).
        SIGTERM, SIGINT or SIGUSR1 on any rank: finish the step, write last.h5, exit; --resume continues.

        Reproducibility: a step has G = ranks x --accumulate workers (micro-batch m of
        rank r is worker r*A+m, with its own patches and dropout masks), and with
        --reduce ordered their gradients are added in one fixed tree order over the G
        workers. So every split of the same G with a power-of-two --accumulate
        (8 ranks x 1, 4 x --accumulate 2, 2 x 4, 1 x 8; also 3 x 2 and 1 x 6) ends with
        bit-identical weights and Adam state, as does the same split run twice. Other
        --accumulate values give the same bits only as the same split again; --reduce mpi
        only within float rounding. BatchNorm running statistics are per rank during an
        epoch and averaged over ranks before validation and each checkpoint.
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

    @Option(help: "How gradients are summed over ranks: ordered (a fixed tree order, the same bits for any rank count) or mpi (MPI_Allreduce).")
    var reduce = ReductionMethod.ordered

    @Option(help: ArgumentHelp("Gradient bucket size in MiB: buckets go out during backward as soon as their gradients are final.",
                               valueName: "MiB"))
    var bucketSize = TrainingSettings.defaultBucketSizeMB

    @Option(help: ArgumentHelp("End the job when a rank waits this long for the others in one phase (0: never); at least \(Int(StallWatchdog.stepTimeMultiple)) median steps.",
                               valueName: "seconds"))
    var stallTimeout = TrainingSettings().stallTimeout

    @Flag(help: "With --resume: continue on a store other than the one the checkpoint was trained on.")
    var allowDifferentStore = false

    /// Every value that does not depend on the data is checked before MPI starts: a bad one exits 64.
    func validate() throws {
        try validating { try settings(store: store ?? "", out: out ?? "runs").validate() }
    }

    /// The settings these flags give.
    func settings(store: String, out: String) -> RunSettings {
        var settings = loss.applied(to: schedule.applied(to: RunSettings(store: store, out: out)))
        settings.loop.epochs = epochs
        settings.loop.accumulate = accumulate
        settings.loop.nonfinite = nonfinite
        settings.loop.checksumEvery = checksumEvery
        settings.loop.reduce = reduce
        settings.loop.bucketSizeMB = bucketSize
        settings.loop.stallTimeout = stallTimeout
        settings.weightDecay = weightDecay
        settings.resume = resume
        return settings
    }

    func run() throws {
        Job.run {
            let world = Communicator.world
            let storePath = try store ?? BuiltInDataset.store(.acdc, world: world, programVersion: programVersion)
            // Every rank must use rank 0's choice of a fresh directory.
            let outPath = try out ?? world.broadcast(world.isRoot ? freshRunDirectory(loss.loss.rawValue) : "")
            try TrainingRun.run(settings(store: storePath, out: outPath), world: world, programVersion: programVersion,
                                allowDifferentStore: allowDifferentStore)
        }
    }
}

extension ReductionMethod: ExpressibleByArgument {}

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
