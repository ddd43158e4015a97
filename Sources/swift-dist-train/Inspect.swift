import ArgumentParser
import Cluster
import Common
import Foundation
import PatchStore

/// `inspect`: summary (and validation) of a patch store.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarise a patch store per split; --validate checks it against hdf5-schema/ and lists every violation.")

    @Argument(help: "The store (.h5).")
    var store: String

    @Flag(help: "Check the store against the specification; exit 1 if it has violations.")
    var validate = false

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    func run() throws {
        Job.run {
            let report = try StoreInspection(path: store, validate: validate)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(report.text)
            }
            if let violations = report.violations, !violations.isEmpty {
                throw ProgramError(.schemaViolation, path: store, "\(violations.count) violation(s) of the patch store specification")
            }
        }
    }
}
