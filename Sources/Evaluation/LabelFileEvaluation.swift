import Common
import Foundation

/// Reads one label volume from a file. The CLI provides one backed by the NIfTI reader in
/// PatchStore (so this target needs no C library); tests provide in-memory ones.
public protocol LabelVolumeReader {
    /// The labels and voxel spacing stored in the file at `path`.
    func readLabels(_ path: String) throws -> LabelVolume
}

/// A prediction file and the reference file it is scored against.
public struct LabelFilePair: Equatable, Sendable {
    /// The volume's name in the report: the reference's file name.
    public let name: String
    public let prediction: String
    public let reference: String
}

/// The outcome of scoring label volumes: every row and their summary.
public struct EvaluationResult: Equatable, Sendable {
    public let scores: [VolumeScore]
    public let summary: ScoreSummary
}

/// Scoring label volumes that already exist on disk, whatever made them (MedPy-style scorer).
public enum LabelFileEvaluation {
    /// File name endings recognised as label volumes when matching directories.
    public static let extensions = [".nii", ".nii.gz"]

    /// The pairs to score. Two files make one pair. Two directories are matched by file name:
    /// every `.nii`/`.nii.gz` file of `reference` must have a prediction of the same name
    /// (missing ones are an error, listing them); predictions with no reference are ignored.
    /// Pairs come sorted by name.
    public static func pairs(prediction: String, reference: String) throws -> [LabelFilePair] {
        let predictionIsDirectory = try kind(of: prediction)
        let referenceIsDirectory = try kind(of: reference)
        switch (predictionIsDirectory, referenceIsDirectory) {
        case (false, false):
            return [LabelFilePair(name: (reference as NSString).lastPathComponent,
                                  prediction: prediction, reference: reference)]
        case (true, true):
            let names = try labelFiles(in: reference)
            guard !names.isEmpty else {
                throw ProgramError(.badInput, path: reference, "no .nii or .nii.gz files in the reference directory")
            }
            let available = Set(try labelFiles(in: prediction))
            let missing = names.filter { !available.contains($0) }
            guard missing.isEmpty else {
                let shown = missing.prefix(5).joined(separator: ", ") + (missing.count > 5 ? ", ..." : "")
                throw ProgramError(.badInput, path: prediction, "no prediction for \(missing.count) of the \(names.count) references: \(shown)")
            }
            return names.map { LabelFilePair(name: $0, prediction: prediction + "/" + $0, reference: reference + "/" + $0) }
        default:
            throw ProgramError(.badInput, path: prediction, "the prediction and the reference must both be files or both be directories")
        }
    }

    /// Reads and scores every pair, then summarises. `classes` is K, the number of classes
    /// including background: classes 1..<K are scored, and a label >= K in any file is an error
    /// naming the file and the voxel. nil takes K = 1 + the largest label in any
    /// of the files. With `outputDirectory`, writes `per_volume.csv` and `summary.json` there.
    public static func evaluate(prediction: String, reference: String, classes: Int? = nil,
                                classNames: [String] = [], outputDirectory: String? = nil,
                                reader: LabelVolumeReader) throws -> EvaluationResult {
        if let k = classes, !(2...256).contains(k) {
            throw ProgramError.invalidValue("--classes \(k): need 2...256 (background included)")
        }
        var volumes: [(LabelFilePair, LabelVolume, LabelVolume)] = []
        for pair in try pairs(prediction: prediction, reference: reference) {
            let predicted = try reader.readLabels(pair.prediction), labels = try reader.readLabels(pair.reference)
            if let k = classes {
                // A label the classes do not include is a wrong file or a wrong --classes, not a score.
                for (file, volume) in [(pair.prediction, predicted), (pair.reference, labels)] {
                    if let i = volume.labels.firstIndex(where: { Int($0) >= k }) {
                        let (w, h) = (volume.shape.width, volume.shape.height)
                        throw ProgramError(.labelOutOfRange, path: file, "voxel (x \(i % w), y \(i / w % h), z \(i / (w * h))) holds label "
                                           + "\(volume.labels[i]), not a class of --classes \(k) (0..<\(k))")
                    }
                }
            }
            volumes.append((pair, predicted, labels))
        }
        let k = classes ?? 1 + Int(volumes.map { max($0.1.maxLabel, $0.2.maxLabel) }.max() ?? 0)
        let scored = k > 1 ? Array(1..<k) : []
        var scores: [VolumeScore] = []
        for (pair, predicted, labels) in volumes {
            do {
                scores += try scoreVolume(name: pair.name, prediction: predicted, reference: labels, classes: scored)
            } catch let error as ProgramError {
                throw ProgramError(.badInput, path: pair.prediction, "against \(pair.reference): \(error.message)")
            }
        }
        let result = EvaluationResult(scores: scores, summary: ScoreSummary(scores, classNames: classNames))
        if let outputDirectory {
            try ReportWriter.write(scores: result.scores, summary: result.summary, to: outputDirectory)
        }
        return result
    }

    /// True for a directory, false for a file; throws when nothing is there.
    private static func kind(of path: String) throws -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ProgramError(.missingFile, path: path, "no such file or directory")
        }
        return isDirectory.boolValue
    }

    private static func labelFiles(in directory: String) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw ProgramError(.badInput, path: directory, "cannot list the directory: \(error.localizedDescription)")
        }
        return names.filter { name in extensions.contains { name.hasSuffix($0) } }.sorted()
    }
}
