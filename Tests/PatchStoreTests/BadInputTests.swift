import Common
import Foundation
import HDF5
@testable import PatchStore
import SyntheticData
import TestSupport
import XCTest

/// Every bad input of the issue: a typed error naming the file and the problem, and no output left behind.
final class BadInputTests: XCTestCase {
    var dir: URL!
    var output: URL { dir.appendingPathComponent("out/store.h5") }
    override func setUpWithError() throws {
        dir = try makeTemporaryDirectory("bad")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("out"), withIntermediateDirectories: true)
        try Fixtures.pairs(in: dir.appendingPathComponent("pairs"), count: 3)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func pairsFile(_ name: String) -> URL { dir.appendingPathComponent("pairs/" + name) }

    /// Preprocessing `input` fails with `kind`, naming `file`, and leaves nothing in out/.
    func assertPreprocessFails(_ kind: ProgramError.Kind, file: URL, _ words: String, input: URL? = nil,
                               dataset: DatasetKind = .pairs, classes: Int? = nil, line: UInt = #line) throws {
        assertStoreError(try Fixtures.preprocess(dataset, input: input ?? dir.appendingPathComponent("pairs"), output: output,
                                                 size: 16) { $0.classes = classes },
                         kind, file: file.path, words, line: line)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("out").path), [],
                       "output left behind", line: line)
    }

    func testMissingDirectory() throws {
        let missing = dir.appendingPathComponent("nowhere")
        try assertPreprocessFails(.missingFile, file: missing, "no such file or directory", input: missing, dataset: .acdc)
    }

    func testMissingLabelFile() throws {
        try FileManager.default.removeItem(at: pairsFile("case1_label.nii.gz"))
        try assertPreprocessFails(.missingFile, file: pairsFile("case1_label.nii.gz"), "no such file")
    }

    func testMissingACDCImage() throws {
        let acdc = dir.appendingPathComponent("acdc")
        _ = try Synth.generate(.acdc, to: acdc.path, count: 2, width: 32, slices: 3)
        let image = acdc.appendingPathComponent("patient002/patient002_frame01.nii.gz")
        try FileManager.default.removeItem(at: image)
        try assertPreprocessFails(.missingFile, file: image, "no such file", input: acdc, dataset: .acdc)
    }

    func testTruncatedNIfTI() throws {
        let raw = RawNIfTI(dims: [16, 16, 3], floats: [Float](repeating: 1, count: 768)).bytes
        try raw.prefix(raw.count - 100).write(to: pairsFile("case0_image.nii"))
        try FileManager.default.removeItem(at: pairsFile("case0_image.nii.gz"))
        try FileManager.default.moveItem(at: pairsFile("case0_label.nii.gz"), to: pairsFile("case0_label.nii.gz.bak"))
        try NIfTIWriter.write([Float](repeating: 0, count: 768), geometry: .init(shape: [16, 16, 3], spacing: [1, 1, 1]),
                              as: .uint8, to: pairsFile("case0_label.nii").path)
        try assertPreprocessFails(.truncated, file: pairsFile("case0_image.nii"), "truncated")
    }

    func testTruncatedCompressedNIfTI() throws {
        let data = try Data(contentsOf: pairsFile("case2_label.nii.gz"))
        try data.prefix(data.count / 2).write(to: pairsFile("case2_label.nii.gz"))
        try assertPreprocessFails(.notNIfTI, file: pairsFile("case2_label.nii.gz"), "truncated")
    }

    func testNotNIfTI() throws {
        try Data("image,label\nnot,an image\n".utf8).write(to: pairsFile("case1_image.nii.gz"))
        try assertPreprocessFails(.notNIfTI, file: pairsFile("case1_image.nii.gz"), "not a NIfTI file")
    }

    func testShapeMismatch() throws {
        try NIfTIWriter.write([Float](repeating: 0, count: 16 * 12 * 3), geometry: .init(shape: [16, 12, 3], spacing: [1, 1, 1]),
                              as: .uint8, to: pairsFile("case2_label.nii.gz").path)
        try assertPreprocessFails(.shapeMismatch, file: pairsFile("case2_label.nii.gz"), "label shape 16x12x3 differs from image shape 16x16x3")
    }

    func testFourDImage() throws {
        try FileManager.default.removeItem(at: pairsFile("case0_image.nii.gz"))
        try RawNIfTI(dims: [16, 16, 3, 2], floats: [Float](repeating: 0, count: 1536)).write(to: pairsFile("case0_image.nii"))
        try FileManager.default.moveItem(at: pairsFile("case0_label.nii.gz"), to: pairsFile("case0_label.nii.gz.bak"))
        try NIfTIWriter.write([Float](repeating: 0, count: 768), geometry: .init(shape: [16, 16, 3], spacing: [1, 1, 1]),
                              as: .uint8, to: pairsFile("case0_label.nii").path)
        try assertPreprocessFails(.notThreeD, file: pairsFile("case0_image.nii"), "expected a 3D volume")
    }

    func testLabelAtLeastK() throws {
        // The fixture's labels are 0...2; give one volume a 5 and declare K = 3.
        var (_, label) = Fixtures.volume(0, shape: [16, 16, 3], classes: 3)
        label[16 * 16 + 3] = 5
        try NIfTIWriter.write(label, geometry: .init(shape: [16, 16, 3], spacing: [1, 1, 1]), as: .uint8,
                              to: pairsFile("case0_label.nii.gz").path)
        try assertPreprocessFails(.labelOutOfRange, file: pairsFile("case0_label.nii.gz"),
                                  "label value 5.0 at voxel (3, 0, 1) >= number of classes K=3", classes: 3)
    }

    func testNaNIntensities() throws {
        var values = [Float](repeating: 1, count: 768)
        values[100] = .nan
        values[200] = -.infinity
        try FileManager.default.removeItem(at: pairsFile("case1_image.nii.gz"))
        try NIfTIWriter.write(values, geometry: .init(shape: [16, 16, 3], spacing: [1, 1, 1]), as: .float32,
                              to: pairsFile("case1_image.nii.gz").path)
        try assertPreprocessFails(.nonFinite, file: pairsFile("case1_image.nii.gz"), "2 non-finite (NaN or infinite) intensities")
    }

    func testEmptyDataset() throws {
        let empty = dir.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        for kind in DatasetKind.allCases {
            try assertPreprocessFails(.emptyDataset, file: empty, "empty dataset", input: empty, dataset: kind)
        }
        let manifest = dir.appendingPathComponent("empty.csv")
        try "image,label\n".write(to: manifest, atomically: true, encoding: .utf8)
        try assertPreprocessFails(.emptyDataset, file: manifest, "empty dataset", input: manifest)
    }

    /// A valid store to corrupt.
    func makeStore() throws -> URL {
        let store = dir.appendingPathComponent("valid.h5")
        try Fixtures.preprocess(.pairs, input: dir.appendingPathComponent("pairs"), output: store, size: 16)
        XCTAssertEqual(try StoreValidator.validate(store.path), [])
        return store
    }

    func testStoreOfAnotherSchemaVersion() throws {
        let store = try makeStore()
        try H5File.open(store.path, writable: true).setAttribute("schema_version", Int64(2))
        assertStoreError(try PatchStoreReader(path: store.path), .schemaVersion, file: store.path,
                         "schema version 2; this program reads version 1")
        assertStoreError(try StoreValidator.validate(store.path), .schemaVersion, file: store.path, "schema version 2")
        let other = dir.appendingPathComponent("other.h5")
        try H5File.create(other.path).write("x", [Float(1)])
        assertStoreError(try PatchStoreReader(path: other.path), .schemaVersion, file: other.path, "not a patch store")
    }

    func testStoreMissingRequiredDataset() throws {
        let store = try makeStore()
        do {
            let file = try H5File.open(store.path, writable: true)
            try file.removeLink("val/labels")
            try file.removeLink("mime_b")
        }
        assertStoreError(try PatchStoreReader(path: store.path), .schemaViolation, file: store.path, "missing required dataset 'mime_b'")
        let problems = try StoreValidator.validate(store.path)
        XCTAssertTrue(problems.contains("val/labels: missing required dataset"), "\(problems)")
        XCTAssertTrue(problems.contains("mime_b: missing required dataset"), "\(problems)")
    }

    /// The validator sees tampered contents, not just layout.
    func testValidatorListsEveryViolation() throws {
        let store = try makeStore()
        do {
            let file = try H5File.open(store.path, writable: true)
            try file.dataset("train/labels").write([UInt8(7)], start: [0, 0, 0], count: [1, 1, 1])
            try file.setAttribute("dataset_kind", "mri")
            try file.dataset("mime_a").write([1.0, 2.0, 3.0])
        }
        let problems = try StoreValidator.validate(store.path)
        XCTAssertTrue(problems.contains { $0.contains("train/labels: value 7 >= num_classes 3") }, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("train/class_voxel_counts") }, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("attribute 'dataset_kind': value 'mri' is not one of") }, "\(problems)")
        XCTAssertTrue(problems.contains { $0.hasPrefix("mime_a [1.0, 2.0, 3.0]") }, "\(problems)")
    }
}

extension BadInputTests {
    /// Info.cfg names the frames: a listed frame without its ground truth is an error naming that file.
    func testACDCInfoFrameWithoutGroundTruth() throws {
        let acdc = dir.appendingPathComponent("acdc")
        _ = try Synth.generate(.acdc, to: acdc.path, count: 2, width: 32, slices: 3)
        let info = try String(contentsOf: acdc.appendingPathComponent("patient001/Info.cfg"))
        let es = Int(info.split(separator: "\n")[1].dropFirst(4))!
        let gt = acdc.appendingPathComponent(String(format: "patient001/patient001_frame%02d_gt.nii.gz", es))
        try FileManager.default.removeItem(at: gt)
        try assertPreprocessFails(.missingFile, file: gt, "no such file", input: acdc, dataset: .acdc)
        // A broken Info.cfg is reported too.
        try "ED: 1\nGroup: NOR\n".write(to: acdc.appendingPathComponent("patient002/Info.cfg"), atomically: true, encoding: .utf8)
        try assertPreprocessFails(.badLayout, file: acdc.appendingPathComponent("patient002/Info.cfg"), "lacks an 'ED:' or 'ES:' line",
                                  input: acdc, dataset: .acdc)
    }
}
