import ArgumentParser
import Cluster
import Foundation
import PatchStore

/// `preprocess`: NIfTI volumes to an HDF5 patch store.
struct Preprocess: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn ACDC, WMH or image/label NIfTI pairs into an HDF5 patch store (schema in hdf5-schema/).")

    @Option(help: "Input layout.")
    var dataset: DatasetKind

    @Option(name: .customLong("in"), help: "Input directory (or, for pairs, a CSV manifest image,label[,subject]).")
    var input: String

    @Option(help: "Output store (.h5); written to a temporary file and renamed when complete.")
    var out: String

    @Option(help: "In-plane size every slice is resampled to.")
    var size = 256

    @Option(help: "Sub-patch side (default: whole slices).")
    var patch: Int?

    @Option(help: "Step between sub-patches (default: the patch side).")
    var stride: Int?

    @Option(help: "Train,val,test fractions of patients/subjects.")
    var split = "70,10,20"

    @Flag(inversion: .prefixedNo, help: ArgumentHelp(
        "Stratify the split by class presence: every class held by at least 3 subjects lands in every split "
            + "with a positive fraction (a warning names a class that cannot). Off by default for your data (the "
            + "plain seeded shuffle and cut, as before); the built-in datasets are always stratified."))
    var stratify = false

    @OptionGroup var seed: SeedOption

    @Option(help: "Volumes loaded and resampled in parallel.")
    var workers = 1

    @Option(help: "WMH modalities, comma separated: flair, t1.")
    var modalities = "flair"

    @Option(help: "pairs: number of classes K including background (default: largest label + 1).")
    var classes: Int?

    @Option(help: "pairs: comma-separated class names (K of them).")
    var classNames: String?

    /// The --split fractions, when they are three numbers.
    var fractions: [Double]? {
        let values = split.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        return values.count == 3 && values.allSatisfy { $0 != nil } ? values.map { $0! } : nil
    }

    func validate() throws {
        guard fractions != nil else { throw ValidationError("--split needs three numbers, e.g. 70,10,20") }
    }

    func run() throws {
        Job.run {
            let fractions = self.fractions!
            var options = PreprocessOptions(kind: dataset, input: input, output: out)
            options.size = size
            options.patch = patch
            options.stride = stride
            options.fractions = fractions
            options.seed = seed.seed
            options.stratify = stratify
            options.workers = workers
            options.modalities = modalities.split(separator: ",").map { String($0) }
            options.classes = classes
            options.classNames = classNames?.split(separator: ",").map { String($0) }
            options.programVersion = programVersion
            let bar = ProgressLine(label: "preprocess")
            let report = try Preprocessor.run(options) { bar.update($0) }
            bar.finish()
            for warning in report.warnings { fputs("warning: \(warning)\n", stderr) }
            let volumes = report.volumes.values.reduce(0, +)
            let splits = Split.allCases.map { "\($0) \(report.volumes[$0] ?? 0) volumes/\(report.patches[$0] ?? 0) patches" }
            print("wrote \(out): " + splits.joined(separator: ", ") + (report.stratified ? " (stratified by class presence)" : ""))
            print(String(format: "%d volumes in %.2f s: %.1f volumes/s", volumes, report.seconds, report.volumesPerSecond))
        }
    }
}

/// Progress on stderr: a redrawn bar on a terminal, plain lines otherwise (logs, pipes).
final class ProgressLine {
    let label: String
    let terminal = isatty(STDERR_FILENO) != 0
    private var lastLine = Date.distantPast

    init(label: String) { self.label = label }

    func update(_ p: PreprocessProgress) {
        let rate = Double(p.slicesDone) / max(p.seconds, 1e-9)
        let eta = p.volumesDone > 0 ? p.seconds / Double(p.volumesDone) * Double(p.volumesTotal - p.volumesDone) : 0
        let text = String(format: "%d/%d volumes, %.0f slices/s, ETA %.0f s", p.volumesDone, p.volumesTotal, rate, eta)
        if terminal {
            let width = 30, filled = p.volumesTotal > 0 ? width * p.volumesDone / p.volumesTotal : width
            let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
            fputs("\r\(label) [\(bar)] \(text)\u{1B}[K", stderr)
        } else if Date().timeIntervalSince(lastLine) >= 1 || p.volumesDone == p.volumesTotal {
            fputs("\(label): \(text)\n", stderr)
            lastLine = Date()
        }
    }

    func finish() { if terminal { fputs("\n", stderr) } }
}
