import ArgumentParser
import Benchmarks
import Cluster
import Foundation
import Losses

/// `bench model`: training and inference throughput of the whole ENet.
struct BenchModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Time the ENet training step (forward, softmax + loss, backward, Adam) and inference; print one JSON line.",
        discussion: "Compare with reference/enet_torch.py --bench at the same size, batch, classes and threads.")

    @Option(help: "Input height and width (divisible by 8).")
    var size = 256
    @OptionGroup var batch: BatchOption
    @Option(help: "Classes K (with background).")
    var classes = 4
    @Option(help: "Input channels.")
    var inChannels = 1
    @OptionGroup var threads: ThreadsOption
    @Option(help: "Loss of the training step.")
    var loss = LossKind.dice
    @Option(help: "Timed steps (the median is reported).")
    var steps = 15
    @Option(help: "Untimed warm-up steps.")
    var warmup = 3

    func validate() throws {
        guard size > 0, size % 8 == 0 else { throw ValidationError("--size must be a positive multiple of 8") }
        guard classes > 0, steps > 0, warmup >= 0 else {
            throw ValidationError("--classes and --steps must be positive, --warmup not negative")
        }
    }

    func run() throws {
        Job.run {
            let report = try ModelBenchmark.run(size: size, batch: batch.batch, classes: classes, inChannels: inChannels,
                                                threads: threads.count, loss: loss, steps: steps, warmup: warmup)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
    }
}
