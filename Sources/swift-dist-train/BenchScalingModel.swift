import ArgumentParser
import Cluster
import Common
import Foundation
import ScalingModel

/// `bench scaling-model`: the scaling model from saved measurements (`scripts/scaling-model`).
struct BenchScalingModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scaling-model",
        abstract: "Fit α, β, γ to saved bench allreduce runs and predict weak scaling; write the tables, figures and model.json.",
        discussion: """
        Reads DATA/allreduce.jsonl, DATA/model-<size>.json, DATA/training.jsonl and DATA/io.json (as
        scripts/scaling-model saves them) and the networks file; writes OUT/table.md (the README's
        table), OUT/details.md (docs/scaling.md), OUT/scaling-<size>.png and OUT/model.json.
        """)

    @Option(help: "Directory of the saved measurements.")
    var data: String
    @Option(help: "JSON list of networks: name, alpha_us, bandwidth_gb_per_s, source.")
    var networks: String
    @Option(help: "Directory for the tables, figures and model.json (created if missing).")
    var out: String

    func run() throws {
        Job.run {
            let report = try ScalingReport(try ScalingInputs.load(directory: data, networksFile: networks))
            try AtomicFile.createDirectories(out)
            try AtomicFile.write(out + "/table.md", data: Data(report.readmeTable.utf8))
            try AtomicFile.write(out + "/details.md", data: Data(report.details.utf8))
            try report.writeFigures(to: out)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(out + "/model.json", data: try encoder.encode(report.summary))
            print(report.readmeTable)
        }
    }
}
