import ArgumentParser
import Cluster
import Common
import Foundation
import Training

/// `bench model`: training and inference throughput of the whole ENet.
struct BenchModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Time the ENet training step (forward, softmax + loss, backward, Adam) and inference; print one JSON line.",
        discussion: "Compare with ../shared/bench/enet_torch.py --bench at the same size, batch, classes and threads.")

    @Option(help: "Input height and width (divisible by 8).")
    var size = 256
    @Option(help: "Images per batch.")
    var batch = 8
    @Option(help: "Classes K (with background).")
    var classes = 4
    @Option(help: "Input channels.")
    var inChannels = 1
    @Option(help: "OpenMP threads for oneDNN.")
    var threads = 1
    @Option(help: "Loss of the training step (dice, ce, ...).")
    var loss = "dice"
    @Option(help: "Timed steps (the median is reported).")
    var steps = 15
    @Option(help: "Untimed warm-up steps.")
    var warmup = 3

    func validate() throws {
        try validating {
            try Check.side(size, flag: "--size")
            try Check.range(batch, Limits.batch, flag: "--batch")
            try Check.range(classes, Limits.classes, flag: "--classes")
            try Check.range(inChannels, Limits.channels, flag: "--in-channels")
            try Check.range(threads, Limits.threads, flag: "--threads")
            try Check.range(steps, 1...100_000, flag: "--steps")
            try Check.range(warmup, 0...100_000, flag: "--warmup")
            try Check.batchSize(batch, channels: inChannels, height: size, width: size)
        }
    }

    func run() throws {
        Job.run {
            let report = try ModelBenchmark.run(size: size, batch: batch, classes: classes, inChannels: inChannels,
                                                threads: threads, loss: loss, steps: steps, warmup: warmup)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
    }
}
