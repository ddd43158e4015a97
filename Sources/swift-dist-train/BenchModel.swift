import ArgumentParser
import Benchmarks
import Cluster
import Common
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
    @Flag(help: "Also report when each part of the gradient buffer is final during backward (gradient_readiness: offset, seconds), what the exchange can overlap.")
    var readiness = false

    func validate() throws {
        try validating {
            try Check.side(size, flag: "--size")
            try Check.range(classes, Limits.classes, flag: "--classes")
            try Check.range(inChannels, Limits.channels, flag: "--in-channels")
            try Check.range(steps, 1...100_000, flag: "--steps")
            try Check.range(warmup, 0...100_000, flag: "--warmup")
            try Check.batchSize(batch.batch, channels: inChannels, height: size, width: size)
        }
    }

    func run() throws {
        Job.run {
            let report = try ModelBenchmark.run(size: size, batch: batch.batch, classes: classes, inChannels: inChannels,
                                                threads: threads.count, loss: loss, steps: steps, warmup: warmup,
                                                readiness: readiness)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
    }
}
