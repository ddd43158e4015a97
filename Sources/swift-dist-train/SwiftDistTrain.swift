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
          mpirun -n 2 swift-dist-train doctor
        As root, mpirun also needs --allow-run-as-root (and --oversubscribe for
        more ranks than cores).
        """,
        version: programVersion,
        subcommands: [Train.self, Synth.self, Preprocess.self, Inspect.self, Evaluate.self, Predict.self,
                      ExperimentCommand.self, Decompose.self, Model.self, Bench.self, Doctor.self],
        defaultSubcommand: Train.self
    )
}
