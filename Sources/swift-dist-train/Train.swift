import ArgumentParser
import Cluster
import Foundation
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

    @Option(help: "Loss: ce, dice, vnet, gdl, mime, dice+ce, gdl+ce.")
    var loss = "mime"

    @Option(help: "Epochs to train.")
    var epochs = 10

    @Option(help: "Patches per rank per micro-batch.")
    var batch = 8

    @Option(help: "Micro-batches whose gradients are accumulated before each step.")
    var accumulate = 1

    @Option(help: "Adam learning rate.")
    var lr = 5e-4

    @Option(help: "Adam weight decay (L2).")
    var weightDecay = 0.0

    @Option(help: "Seed of the initial weights, the data order and the dropout masks.")
    var seed: UInt64 = 0

    @Option(help: "Smoothing of the Dice family's numerator and denominator (0: the raw formulas).")
    var eps = 1e-10

    @Option(help: "Where a Dice ratio is formed: patch, batch (the rank's batch) or global (all ranks).")
    var diceScope = "patch"

    @Flag(help: "Leave the background out of the Dice family and Mime.")
    var excludeBackground = false

    @Option(parsing: .upToNextOption, help: "Mime a_k per class (with --mime-b; default: from the store).")
    var mimeA: [Double] = []

    @Option(parsing: .upToNextOption, help: "Mime b_k per class.")
    var mimeB: [Double] = []

    @Option(help: "On a non-finite loss or gradient: skip (the step, on every rank) or abort.")
    var nonfinite = "skip"

    @Option(help: "OpenMP threads per rank (default: OMP_NUM_THREADS, SLURM_CPUS_PER_TASK, else 1).")
    var threads: Int?

    @Option(help: "Compare a parameter checksum across ranks every N steps (0: never).")
    var checksumEvery = 50

    @Option(help: "Stop each epoch after N steps (0: the whole split), for quick runs.")
    var maxSteps = 0

    @Option(help: "Validate on at most N volumes (0: all).")
    var maxValVolumes = 0

    @Flag(help: "Continue from OUT/last.h5.")
    var resume = false

    @Flag(help: "With --resume: continue on a store other than the one the checkpoint was trained on.")
    var allowDifferentStore = false

    func run() throws {
        Job.run {
            let world = Communicator.world
            let storePath = try store ?? BuiltInDataset.store(.acdc, world: world, programVersion: programVersion)
            // Every rank must use rank 0's choice of a fresh directory.
            let outPath = try out ?? world.broadcast(world.isRoot ? freshRunDirectory(loss) : "")
            var settings = TrainingSettings(store: storePath, out: outPath)
            settings.loss = loss
            settings.epochs = epochs
            settings.batch = batch
            settings.accumulate = accumulate
            settings.learningRate = lr
            settings.weightDecay = weightDecay
            settings.seed = seed
            settings.eps = eps
            settings.diceScope = diceScope
            settings.excludeBackground = excludeBackground
            settings.mimeA = mimeA
            settings.mimeB = mimeB
            settings.nonfinite = nonfinite
            settings.threads = threads ?? defaultThreads()
            settings.checksumEvery = checksumEvery
            settings.maxStepsPerEpoch = maxSteps
            settings.maxValidationVolumes = maxValVolumes
            settings.resume = resume
            try TrainingRun.run(settings, world: world, programVersion: programVersion, allowDifferentStore: allowDifferentStore)
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

/// Threads per rank from the launcher's environment.
func defaultThreads(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
    for key in ["OMP_NUM_THREADS", "SLURM_CPUS_PER_TASK", "SRUN_CPUS_PER_TASK"] {
        if let value = environment[key].flatMap(Int.init), value > 0 { return value }
    }
    return 1
}
