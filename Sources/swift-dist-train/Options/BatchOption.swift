import ArgumentParser
import Common
import Training

/// `--batch`, shared by training, prediction and the benchmarks.
struct BatchOption: ParsableArguments {
    @Option(help: "Images (patches) per batch on each rank: a training micro-batch, or one forward pass.")
    var batch = TrainingSettings().batch

    func validate() throws {
        try validating { try Check.range(batch, Limits.batch, flag: "--batch") }
    }
}
