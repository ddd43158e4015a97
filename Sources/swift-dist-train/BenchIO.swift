import ArgumentParser
import Benchmarks
import Cluster
import Common
import Foundation
import PatchStore

/// `bench io`: patches/s one rank reads from a store in random order.
/// (A subcommand of `bench`: add `BenchIO.self` to Bench's subcommands.)
struct BenchIO: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "io",
        abstract: "Patches per second read by one rank from a patch store, in random order as training reads.")

    @Option(help: "The patch store (.h5).")
    var store: String

    @Option(help: "Split to read.")
    var split = Split.train

    @Option(help: "Number of patches to read (default: the whole split once).")
    var reads: Int?

    @OptionGroup var seed: SeedOption

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    func validate() throws {
        try validating { if let reads { try Check.range(reads, 1...Int(Int32.max), flag: "--reads") } }
    }

    func run() throws {
        Job.run {
            let r = try IOBenchmark.run(store: store, split: split, reads: reads, seed: seed.seed)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(r), as: UTF8.self))
            } else {
                print(String(format: "bench io: %d patches of %@ from %@/%@ in %.3f s: %.0f patches/s (%.1f MB/s uncompressed)",
                             r.patches, r.patchShape.map(String.init).joined(separator: "x"), store, r.split, r.seconds,
                             r.patchesPerSecond, r.megabytesPerSecond))
            }
        }
    }
}
