import Common
import XCTest
import Foundation
@testable import Evaluation

/// A reader serving volumes from memory, keyed by file name (the files on disk are empty).
struct MemoryReader: LabelVolumeReader {
    var volumes: [String: LabelVolume]
    func readLabels(_ path: String) throws -> LabelVolume {
        guard let v = volumes[path] else { throw ProgramError(.badInput, path: path, "not in the test reader") }
        return v
    }
}

final class LabelFileEvaluationTests: XCTestCase {
    var root = ""
    let shape = VolumeShape(depth: 2, height: 4, width: 4)
    let spacing = VoxelSpacing(z: 5, y: 1, x: 1)

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "eval-files-\(UUID().uuidString)"
        for dir in ["pred", "gt"] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(dir)", withIntermediateDirectories: true)
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func touch(_ path: String) { FileManager.default.createFile(atPath: "\(root)/\(path)", contents: Data()) }

    func volume(_ voxels: [Int: UInt8]) throws -> LabelVolume {
        var labels = [UInt8](repeating: 0, count: shape.count)
        for (i, l) in voxels { labels[i] = l }
        return try LabelVolume(shape: shape, spacing: spacing, labels: labels)
    }

    func testDirectoriesMatchedByNameAndScored() throws {
        for f in ["gt/b.nii.gz", "gt/a.nii", "gt/notes.txt", "pred/a.nii", "pred/b.nii.gz", "pred/extra.nii"] { touch(f) }
        let reader = MemoryReader(volumes: [
            "\(root)/gt/a.nii": try volume([0: 1, 1: 1, 20: 2]),
            "\(root)/pred/a.nii": try volume([0: 1, 20: 2]),
            "\(root)/gt/b.nii.gz": try volume([5: 1]),
            "\(root)/pred/b.nii.gz": try volume([5: 1]),
        ])
        let pairs = try LabelFileEvaluation.pairs(prediction: "\(root)/pred", reference: "\(root)/gt")
        XCTAssertEqual(pairs.map(\.name), ["a.nii", "b.nii.gz"])
        let out = "\(root)/out"
        let result = try LabelFileEvaluation.evaluate(prediction: "\(root)/pred", reference: "\(root)/gt",
                                                      outputDirectory: out, reader: reader)
        // K defaults to 1 + largest label = 3: classes 1 and 2 for both volumes.
        XCTAssertEqual(result.scores.map { "\($0.volume):\($0.classIndex)" }, ["a.nii:1", "a.nii:2", "b.nii.gz:1", "b.nii.gz:2"])
        XCTAssertEqual(result.scores[0].dice, 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(result.scores[1].dice, 1)
        XCTAssertEqual(result.scores[3].dice, 1)  // class 2 absent from both volumes of b
        XCTAssertEqual(result.scores[3].hd95, 0)
        XCTAssertEqual(result.summary.volumes, 2)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/per_volume.csv"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/summary.json"))

        // A label the given classes do not include is an error naming the file, not a silent score.
        XCTAssertThrowsError(try LabelFileEvaluation.evaluate(prediction: "\(root)/pred", reference: "\(root)/gt",
                                                              classes: 2, reader: reader)) {
            XCTAssertEqual(($0 as? ProgramError)?.kind, .labelOutOfRange, "\($0)")
            XCTAssertTrue("\($0)".contains("\(self.root)/") && "\($0)".contains("label 2"), "\($0)")
        }
        let threeClasses = try LabelFileEvaluation.evaluate(prediction: "\(root)/pred", reference: "\(root)/gt",
                                                            classes: 3, reader: reader)
        XCTAssertEqual(threeClasses.scores.map(\.classIndex), [1, 2, 1, 2])
    }

    func testMissingPredictionIsAnError() throws {
        for f in ["gt/a.nii", "gt/b.nii", "pred/a.nii"] { touch(f) }
        XCTAssertThrowsError(try LabelFileEvaluation.pairs(prediction: "\(root)/pred", reference: "\(root)/gt")) {
            XCTAssertTrue("\($0)".contains("b.nii"), "\($0)")
        }
    }

    func testSingleFilesAndBadArguments() throws {
        touch("pred/x.nii.gz")
        touch("gt/y.nii.gz")
        let pairs = try LabelFileEvaluation.pairs(prediction: "\(root)/pred/x.nii.gz", reference: "\(root)/gt/y.nii.gz")
        XCTAssertEqual(pairs, [LabelFilePair(name: "y.nii.gz", prediction: "\(root)/pred/x.nii.gz",
                                             reference: "\(root)/gt/y.nii.gz")])
        XCTAssertThrowsError(try LabelFileEvaluation.pairs(prediction: "\(root)/pred", reference: "\(root)/gt/y.nii.gz"))
        XCTAssertThrowsError(try LabelFileEvaluation.pairs(prediction: "\(root)/nope", reference: "\(root)/gt")) {
            XCTAssertTrue("\($0)".contains("\(root)/nope"), "\($0)")
        }
        XCTAssertThrowsError(try LabelFileEvaluation.pairs(prediction: "\(root)/pred", reference: "\(root)/gt")) // gt has no match for y
        let reader = MemoryReader(volumes: [:])
        XCTAssertThrowsError(try LabelFileEvaluation.evaluate(prediction: "\(root)/pred/x.nii.gz",
                                                              reference: "\(root)/gt/y.nii.gz", classes: 1, reader: reader))
    }

    func testFloatVoxelsMustBeLabels() throws {
        let ok = try LabelVolume(shape: VolumeShape(depth: 1, height: 1, width: 3), spacing: .unit,
                                 values: [0, 2, 255], name: "seg.nii.gz")
        XCTAssertEqual(ok.labels, [0, 2, 255])
        XCTAssertThrowsError(try LabelVolume(shape: VolumeShape(depth: 1, height: 1, width: 3), spacing: .unit,
                                             values: [0, 1.5, 1], name: "seg.nii.gz")) {
            XCTAssertEqual("\($0)", "seg.nii.gz: voxel (x 1, y 0, z 0) holds 1.5, not a label in 0...255")
        }
        XCTAssertThrowsError(try LabelVolume(shape: VolumeShape(depth: 1, height: 1, width: 1), spacing: .unit,
                                             values: [-1], name: "seg.nii.gz"))
        XCTAssertEqual(try VoxelSpacing(z: 10, y: 1.5, x: 1.25, name: "seg.nii.gz"), VoxelSpacing(z: 10, y: 1.5, x: 1.25))
        XCTAssertThrowsError(try VoxelSpacing(z: 0, y: 1, x: 1, name: "seg.nii.gz")) {
            XCTAssertEqual("\($0)", "seg.nii.gz: voxel spacing along z is 0.0 mm; it must be positive and finite")
        }
        XCTAssertThrowsError(try VoxelSpacing(z: 1, y: .nan, x: 1, name: "seg.nii.gz"))
    }
}
