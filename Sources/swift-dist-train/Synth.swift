import ArgumentParser
import Cluster
import Foundation
import PatchStore

/// `synth`: writes a synthetic dataset in the layout of the real download.
struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a deterministic ACDC-like or WMH-like NIfTI dataset in the real download's layout.")

    @Option(help: "acdc or wmh.")
    var dataset: String

    @Option(help: "Output directory (created if missing).")
    var out: String

    @Option(help: "Number of patients/subjects (default 12 for acdc, 10 for wmh).")
    var patients: Int?

    @Option(help: "Seed of the generator; the same seed gives the same files.")
    var seed: UInt64 = 0

    @Option(help: "In-plane size before per-subject variation (default 96 for acdc, 128 for wmh).")
    var width: Int?

    @Option(help: "Slices per volume before variation (default 8 for acdc, 12 for wmh).")
    var slices: Int?

    func validate() throws {
        guard SynthDataset(rawValue: dataset) != nil else { throw ValidationError("--dataset must be acdc or wmh, not '\(dataset)'") }
    }

    func run() throws {
        Job.run {
            let kind = SynthDataset(rawValue: dataset)!
            let summary = try PatchStore.Synth.generate(kind, to: out, count: patients, seed: seed,
                                                        width: width, slices: slices)
            print("wrote \(summary.subjects) \(kind == .acdc ? "patients" : "subjects") (\(summary.files.count) files) to \(out)")
        }
    }
}
