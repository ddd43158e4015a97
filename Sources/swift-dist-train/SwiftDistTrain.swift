import ArgumentParser

/// The program's version, printed by `--version` and recorded in every output file.
let programVersion = "0.1.0"

@main
struct SwiftDistTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swift-dist-train",
        abstract: "Data-parallel ENet training for 2D medical-image segmentation over MPI.",
        discussion: """
        Runs as a single process, or one rank per process under mpirun or srun:
          mpirun -n 4 swift-dist-train train --store S.h5 --loss mime --out runs/x
          srun --mpi=pmix swift-dist-train train ...
        With no subcommand it runs `train` on the built-in ACDC-like dataset.
        As root, mpirun also needs --allow-run-as-root (and --oversubscribe for
        more ranks than cores).
        """,
        version: programVersion,
        subcommands: [Train.self, Synth.self, Preprocess.self, Inspect.self, Evaluate.self, Predict.self,
                      ExperimentCommand.self, Decompose.self, Model.self, Bench.self, Doctor.self],
        defaultSubcommand: Train.self
    )
}
