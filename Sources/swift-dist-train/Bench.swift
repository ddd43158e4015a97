import ArgumentParser
import Benchmarks
import Common
import Foundation
import Tensors

/// `bench`: microbenchmarks of the compute kernels (build with `-c release`).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Microbenchmarks of the compute kernels, store reads and the gradient sum (use a release build).",
        subcommands: [BenchModel.self, Conv.self, BenchIO.self, BenchAllreduce.self, BenchScalingModel.self])

    /// `bench conv`: forward + backward of every distinct ENet convolution.
    struct Conv: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time forward + backward of every distinct ENet convolution; print one JSON line.")

        @Option(help: "Input height and width (divisible by 8).")
        var size = 256
        @OptionGroup var batch: BatchOption
        @OptionGroup var threads: ThreadsOption
        @Option(help: "Timed repetitions per convolution (the median is reported).")
        var steps = 5
        @Option(help: "Comma-separated activation layouts DNNLConv2D may choose from, in order (any,nhwc,nChw8c,nchw).")
        var layouts = ConvLayout.allCases.map(\.rawValue).joined(separator: ",")
        @Option(help: "How each kernel picks its layout: first (in --layouts order), heuristic, fastest (timed).")
        var choice = "heuristic"
        @Flag(help: "Include each distinct convolution's timings and oneDNN implementations.")
        var layers = false

        func validate() throws {
            try validating {
                try Check.side(size, flag: "--size")
                try Check.range(steps, 1...100_000, flag: "--steps")
                try Check.batchSize(batch.batch, channels: 16, height: size, width: size)
            }
        }

        func run() throws {
            let choices = try layouts.split(separator: ",").map { name in
                guard let layout = ConvLayout(rawValue: String(name)) else {
                    throw ValidationError("unknown layout '\(name)' in --layouts")
                }
                return layout
            }
            let layoutChoice: LayoutChoice
            switch choice {
            case "first": layoutChoice = .first
            case "heuristic": layoutChoice = .heuristic
            case "fastest": layoutChoice = .fastest
            default: throw ValidationError("--choice must be first, heuristic or fastest")
            }
            var report = try ConvBenchmark.run(size: size, batch: batch.batch, threads: threads.count, steps: steps,
                                               layouts: choices, choice: layoutChoice)
            if !layers { report.layers = nil }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
    }
}
