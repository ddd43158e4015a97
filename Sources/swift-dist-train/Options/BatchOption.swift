import ArgumentParser
import Training

/// `--batch`, shared by training, prediction and the benchmarks.
struct BatchOption: ParsableArguments {
    @Option(help: "Images (patches) per batch on each rank: a training micro-batch, or one forward pass.")
    var batch = TrainingSettings().batch

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
    }
}
