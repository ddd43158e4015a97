import Common
import Evaluation
import Foundation

/// `OUT/runs/<cell>/result.json`: a trained cell's test scores, written once it has been
/// evaluated. Its presence marks the cell finished; `--merge` reads only these (and each
/// cell's `config.json` and `metrics.jsonl`).
public struct CellResult: Codable, Equatable {
    /// The cell's name (its folder), loss row, seed and patch side.
    public var cell: String
    public var loss: String
    public var seed: UInt64
    public var patch: Int?
    /// The checkpoint evaluated, relative to the cell's folder (`best.h5`, else `last.h5`).
    public var checkpoint: String
    /// The store it was trained and evaluated on, and that store's checksum.
    public var store: String
    public var storeChecksum: String
    /// Per (test volume, foreground class), volumes in the split's order.
    public var scores: [VolumeScore]
    public var classNames: [String]
    /// Ranks the cell was trained on.
    public var trainingWorldSize: Int
    public var trainSeconds: Double
    public var evaluateSeconds: Double

    enum CodingKeys: String, CodingKey {
        case cell, loss, seed, patch, checkpoint, store, classNames = "class_names", scores
        case storeChecksum = "store_checksum", trainingWorldSize = "training_world_size"
        case trainSeconds = "train_s", evaluateSeconds = "evaluate_s"
    }

    /// Writes `path` atomically.
    public func write(_ path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try AtomicFile.write(path, data: try encoder.encode(self))
    }

    /// Reads `path`; an unreadable or malformed file is an error naming it.
    public static func read(_ path: String) throws -> CellResult {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ProgramError(.missingFile, path: path, "cannot be read: \(error.localizedDescription)")
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { return try decoder.decode(CellResult.self, from: data) } catch {
            throw ProgramError(.badInput, path: path, "is not a cell's result: \(error)")
        }
    }

    /// The scores of foreground class `k` by volume name.
    public func scores(ofClass k: Int) -> [String: VolumeScore] {
        Dictionary(scores.filter { $0.classIndex == k }.map { ($0.volume, $0) }, uniquingKeysWith: { a, _ in a })
    }
}
