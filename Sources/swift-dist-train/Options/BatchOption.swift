import ArgumentParser
import Common
import Training

/// `--batch`, shared by training, prediction and the benchmarks.
struct BatchOption: ParsableArguments {
    @Option(name: .customLong("batch"),
            help: "Images (patches) per batch on each rank: a training micro-batch, or one forward pass (default: 8; experiment: 4).")
    var given: Int?

    /// The batch given, or the default of `train`, `predict` and the benchmarks.
    var batch: Int { given ?? TrainingSettings().batch }

    func validate() throws {
        try validating { try Check.range(batch, Limits.batch, flag: "--batch") }
    }
}
