import ArgumentParser
import Cluster
import Foundation
import PatchStore
import SyntheticData

/// `synth`: writes a synthetic dataset in the layout of the real download.
struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a deterministic ACDC-like or WMH-like NIfTI dataset in the real download's layout.")

    @Option(help: "Which dataset's layout.")
    var dataset: SynthDataset

    @Option(help: "Output directory (created if missing).")
    var out: String

    @Option(help: "Number of patients/subjects (default 12 for acdc, 10 for wmh).")
    var patients: Int?

    @OptionGroup var seed: SeedOption

    @Option(help: "In-plane size before per-subject variation (default 96 for acdc, 128 for wmh).")
    var width: Int?

    @Option(help: "Slices per volume before variation (default 8 for acdc, 12 for wmh).")
    var slices: Int?

    func run() throws {
        Job.run {
            let summary = try SyntheticData.Synth.generate(dataset, to: out, count: patients, seed: seed.seed,
                                                        width: width, slices: slices)
            print("wrote \(summary.subjects) \(dataset == .acdc ? "patients" : "subjects") (\(summary.files.count) files) to \(out)")
        }
    }
}
