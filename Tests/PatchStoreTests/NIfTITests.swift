import Common
import Foundation
@testable import PatchStore
import TestSupport
import XCTest

final class NIfTITests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try makeTemporaryDirectory("nifti") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// A hand-built float32 file reads back voxel for voxel, x fastest, with its spacing.
    func testReadsHandBuiltFloatFile() throws {
        let values = (0..<(4 * 3 * 2)).map { Float($0) * 0.5 - 3 }
        var raw = RawNIfTI(dims: [4, 3, 2], floats: values)
        raw.pixdim = [1.5, 1.25, 10]
        try raw.write(to: dir.appendingPathComponent("a.nii"))
        let volume = try NIfTIVolume.read(path("a.nii"))
        XCTAssertEqual(volume.shape, [4, 3, 2])
        XCTAssertEqual(volume.spacing, [1.5, 1.25, 10])
        XCTAssertEqual(volume.voxels, values)
    }

    /// scl_slope/scl_inter are applied to int16 data: v = stored * slope + inter.
    func testAppliesScaling() throws {
        let stored: [Int16] = [0, 1, -2, 300, 7, 8]
        try RawNIfTI(dims: [3, 2, 1], int16s: stored, slope: 0.5, inter: 10).write(to: dir.appendingPathComponent("s.nii"))
        let volume = try NIfTIVolume.read(path("s.nii"))
        XCTAssertEqual(volume.voxels, [10, 10.5, 9, 160, 13.5, 14])
        // slope 0 means "no scaling" by the standard.
        try RawNIfTI(dims: [3, 2, 1], int16s: stored, slope: 0, inter: 10).write(to: dir.appendingPathComponent("n.nii"))
        XCTAssertEqual(try NIfTIVolume.read(path("n.nii")).voxels, stored.map(Float.init))
    }

    /// Written files round-trip through nifticlib for every datatype, compressed or not,
    /// with spacing, origin (affine) and scaling, and the raw header holds what the standard says.
    func testWriteRoundTrip() throws {
        let shape = [5, 4, 3]
        let values = (0..<60).map { Float(($0 * 37) % 200) }
        let geometry = NIfTIWriter.Geometry(shape: shape, spacing: [1.5, 1.5, 10], origin: [-10, 20, 3])
        for type in NIfTIDataType.allCases {
            for ext in [".nii", ".nii.gz"] {
                let file = path("rt-\(type)\(ext)")
                let v = type == .int8 ? values.map { $0 - 100 } : values
                try NIfTIWriter.write(v, geometry: geometry, as: type, to: file)
                let back = try NIfTIVolume.read(file)
                XCTAssertEqual(back.voxels, v, "\(type)\(ext)")
                XCTAssertEqual(back.shape, shape)
                XCTAssertEqual(back.spacing, [1.5, 1.5, 10])
                XCTAssertEqual(back.header.dataType, type.rawValue)
                let a = back.header.affine
                XCTAssertEqual(a[0], [1.5, 0, 0, -10])
                XCTAssertEqual(a[1], [0, 1.5, 0, 20])
                XCTAssertEqual(a[2], [0, 0, 10, 3])
            }
        }
        // Scaled int16: stored (v - inter) / slope, read back v.
        let scaled = path("scaled.nii")
        try NIfTIWriter.write([0, 5, 10.5, -4, 2, 8], geometry: .init(shape: [3, 2, 1], spacing: [1, 1, 1]),
                              as: .int16, slope: 0.5, inter: 2, to: scaled)
        XCTAssertEqual(try NIfTIVolume.read(scaled).voxels, [0, 5, 10.5, -4, 2, 8])
        let header = try Data(contentsOf: URL(fileURLWithPath: scaled))
        func f32(_ o: Int) -> Float { header.subdata(in: o..<(o + 4)).withUnsafeBytes { $0.load(as: Float.self) } }
        func i16(_ o: Int) -> Int16 { header.subdata(in: o..<(o + 2)).withUnsafeBytes { $0.load(as: Int16.self) } }
        XCTAssertEqual(header.subdata(in: 0..<4).withUnsafeBytes { $0.load(as: Int32.self) }, 348)
        XCTAssertEqual(i16(70), 4)                 // DT_INT16
        XCTAssertEqual(f32(112), 0.5)              // scl_slope
        XCTAssertEqual(f32(116), 2)                // scl_inter
        XCTAssertEqual(i16(352 + 2), 6)            // (5 - 2) / 0.5 stored
        // No temporary files left beside the outputs.
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir.path).contains { $0.contains(".tmp-") })
    }

    /// A label map written like an input keeps the input's header (spacing, transform).
    func testWriteLikeTemplate() throws {
        let geometry = NIfTIWriter.Geometry(shape: [4, 4, 2], spacing: [0.9, 0.8, 3], origin: [1, 2, 3])
        try NIfTIWriter.write([Float](repeating: 100, count: 32), geometry: geometry, as: .float32, to: path("img.nii.gz"))
        let image = try NIfTIVolume.read(path("img.nii.gz"))
        let labels = (0..<32).map { Float($0 % 3) }
        try NIfTIWriter.write(labels, like: image.header, as: .uint8, to: path("pred.nii.gz"))
        let back = try NIfTIVolume.read(path("pred.nii.gz"))
        XCTAssertEqual(back.voxels, labels)
        XCTAssertEqual(back.header.dataType, NIfTIDataType.uint8.rawValue)
        XCTAssertEqual(back.spacing.map { Float($0) }, [0.9, 0.8, 3])
        XCTAssertEqual(back.header.affine, image.header.affine)
    }

    func assertFails(_ file: String, _ kind: ProgramError.Kind, _ words: String,
                     line: UInt = #line) {
        XCTAssertThrowsError(try NIfTIVolume.read(file), line: line) { error in
            guard let e = error as? ProgramError else { return XCTFail("\(error)", line: line) }
            XCTAssertEqual(e.kind, kind, "\(e)", line: line)
            XCTAssertTrue(e.description.contains(file), "\(e)", line: line)
            XCTAssertTrue(e.description.contains(words), "\(e)", line: line)
        }
    }

    func testMissingFile() { assertFails(path("nope.nii.gz"), .missingFile, "no such file") }

    func testNotNIfTI() throws {
        try Data("hello, this is not an image".utf8).write(to: dir.appendingPathComponent("x.nii"))
        assertFails(path("x.nii"), .notNIfTI, "not a NIfTI file")
        try Data(repeating: 7, count: 1000).write(to: dir.appendingPathComponent("y.nii.gz"))
        assertFails(path("y.nii.gz"), .notNIfTI, "not a NIfTI file")
    }

    func testTruncated() throws {
        let raw = RawNIfTI(dims: [8, 8, 4], floats: [Float](repeating: 1, count: 256)).bytes
        try raw.prefix(352 + 100).write(to: dir.appendingPathComponent("t.nii"))
        assertFails(path("t.nii"), .truncated, "truncated")
        try raw.prefix(200).write(to: dir.appendingPathComponent("h.nii"))
        assertFails(path("h.nii"), .notNIfTI, "not a NIfTI file")
        // A compressed file cut in half.
        try NIfTIWriter.write((0..<4096).map { Float($0 % 17) }, geometry: .init(shape: [16, 16, 16], spacing: [1, 1, 1]),
                              as: .float32, to: path("full.nii.gz"))
        let gz = try Data(contentsOf: dir.appendingPathComponent("full.nii.gz"))
        try gz.prefix(gz.count / 2).write(to: dir.appendingPathComponent("cut.nii.gz"))
        assertFails(path("cut.nii.gz"), .notNIfTI, "truncated")
    }

    func testFourD() throws {
        try RawNIfTI(dims: [2, 2, 2, 3], floats: [Float](repeating: 0, count: 24)).write(to: dir.appendingPathComponent("4d.nii"))
        assertFails(path("4d.nii"), .notThreeD, "expected a 3D volume")
    }

    /// A negative pixdim gives its magnitude; nifticlib reads a zero or NaN pixdim as 1.
    func testSpacingIsPositive() throws {
        var raw = RawNIfTI(dims: [2, 2, 2], floats: [Float](repeating: 0, count: 8))
        raw.pixdim = [-1.5, 0, .nan]
        try raw.write(to: dir.appendingPathComponent("odd.nii"))
        XCTAssertEqual(try NIfTIVolume.read(path("odd.nii")).spacing, [1.5, 1, 1])
    }

    func testNonFinite() throws {
        try RawNIfTI(dims: [2, 2, 1], floats: [1, .nan, 2, .infinity]).write(to: dir.appendingPathComponent("nan.nii"))
        assertFails(path("nan.nii"), .nonFinite, "2 non-finite")
    }
}
