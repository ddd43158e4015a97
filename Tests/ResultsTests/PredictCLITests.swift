import Foundation
import Network
import PatchStore
import TestSupport
import XCTest

/// `predict` through the built executable: geometry of the output, agreement with `evaluate`, bad input.
final class PredictCLITests: XCTestCase {
    /// A smooth scan with a bright disc (values need not look like anything: geometry is checked).
    func writeScan(_ path: String, shape: [Int], spacing: [Double], origin: [Double], seed: Double = 0) throws {
        let (nx, ny, nz) = (shape[0], shape[1], shape[2])
        var voxels = [Float](repeating: 0, count: nx * ny * nz)
        for z in 0..<nz {
            for y in 0..<ny {
                for x in 0..<nx {
                    let dx = Double(x) - Double(nx) / 2, dy = Double(y) - Double(ny) / 2 - seed
                    let disc = dx * dx + dy * dy < Double(nx * ny) / 12 ? 300.0 : 0
                    voxels[x + nx * (y + ny * z)] = Float(100 + disc + 20 * sin(Double(x + 2 * y + 3 * z) + seed))
                }
            }
        }
        try NIfTIWriter.write(voxels, geometry: .init(shape: shape, spacing: spacing, origin: origin), as: .int16, to: path)
    }

    func testOutputHasTheInputGeometryAndLabelsInRange() throws {
        let fixture = try TinyFixture.shared()
        let dir = try fixture.scratch("predict")
        let scans = dir.appendingPathComponent("scans")
        try FileManager.default.createDirectory(at: scans, withIntermediateDirectories: true)
        let scan = scans.appendingPathComponent("a.nii.gz").path
        try writeScan(scan, shape: [20, 28, 3], spacing: [1.3, 0.9, 7], origin: [10, -5, 3])
        try writeScan(scans.appendingPathComponent("b.nii").path, shape: [40, 36, 2], spacing: [0.7, 0.7, 10], origin: [0, 0, 0], seed: 1)
        let seg = dir.appendingPathComponent("a-seg.nii.gz").path
        assertSucceeded(try cli(["predict", "--checkpoint", fixture.checkpoint, "--in", scan, "--out", seg]), "predict")

        let input = try NIfTIVolume.read(scan), output = try NIfTIVolume.read(seg)
        XCTAssertEqual(output.shape, input.shape)
        XCTAssertEqual(output.header.dims, input.header.dims)
        XCTAssertEqual(output.spacing, input.spacing)
        XCTAssertEqual(output.header.affine, input.header.affine)
        XCTAssertEqual(output.header.qformCode, input.header.qformCode)
        XCTAssertEqual(output.header.sformCode, input.header.sformCode)
        XCTAssertEqual(output.header.dataType, NIfTIDataType.uint8.rawValue)
        XCTAssertTrue(output.voxels.allSatisfy { $0 == $0.rounded() && (0..<4).contains($0) })

        // A directory of scans gives a directory of segmentations, the same file for the same scan.
        let segs = dir.appendingPathComponent("segs").path
        assertSucceeded(try cli(["predict", "--checkpoint", fixture.checkpoint, "--in", scans.path, "--out", segs]), "predict dir")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: segs).sorted(), ["a.nii.gz", "b.nii"])
        XCTAssertEqual(try NIfTIVolume.read(segs + "/a.nii.gz").voxels, output.voxels)
        let b = try NIfTIVolume.read(segs + "/b.nii"), bIn = try NIfTIVolume.read(scans.appendingPathComponent("b.nii").path)
        XCTAssertEqual(b.shape, [40, 36, 2])
        XCTAssertEqual(b.header.affine, bIn.header.affine)
    }

    /// On a store whose slices are the scans' own grid (32 x 32, so resampling is the identity
    /// both ways), `predict` on a test scan and `evaluate` on the store must predict the same
    /// number of voxels per class: the same normalisation, patches and argmax.
    func testPredictAgreesWithEvaluateOnTheStoreGrid() throws {
        let fixture = try TinyFixture.shared()
        let dir = try fixture.scratch("agree")
        let pairs = dir.appendingPathComponent("pairs")
        try FileManager.default.createDirectory(at: pairs, withIntermediateDirectories: true)
        for i in 0..<5 {
            let image = pairs.appendingPathComponent("case\(i)_image.nii.gz").path
            try writeScan(image, shape: [32, 32, 2], spacing: [1.5, 1.5, 8], origin: [0, 0, 0], seed: Double(i))
            let volume = try NIfTIVolume.read(image)
            let labels = volume.voxels.map { Float(min(max(Int(($0 - 80) / 90), 0), 3)) }
            try NIfTIWriter.write(labels, like: volume.header, as: .uint8, to: pairs.appendingPathComponent("case\(i)_label.nii.gz").path)
        }
        let store = dir.appendingPathComponent("pairs.h5").path
        assertSucceeded(try cli(["preprocess", "--dataset", "pairs", "--in", pairs.path, "--out", store, "--size", "32",
                                 "--classes", "4"]), "preprocess pairs")
        let out = dir.appendingPathComponent("eval").path
        assertSucceeded(try cli(["evaluate", "--checkpoint", fixture.checkpoint, "--store", store, "--out", out]), "evaluate")
        let rows = try csvRows(out + "/per_volume.csv")
        let tests = try PatchStoreReader(path: store).volumes(.test)
        XCTAssertFalse(tests.isEmpty)
        for volume in tests {
            let seg = dir.appendingPathComponent("\(volume.id)-seg.nii.gz").path
            assertSucceeded(try cli(["predict", "--checkpoint", fixture.checkpoint, "--in", volume.imageFiles[0], "--out", seg]), "predict")
            let labels = try NIfTIVolume.read(seg).voxels
            XCTAssertGreaterThan(labels.filter { $0 != 0 }.count, 0, "a trivial all-background prediction would prove little")
            for k in 1..<4 {
                let row = try XCTUnwrap(rows.first { $0[0] == volume.id && $0[1] == "\(k)" })
                XCTAssertEqual(labels.filter { $0 == Float(k) }.count, Int(row[5])!, "\(volume.id) class \(k)")
            }
        }
    }

    func testBadInputIsRefusedAndNothingWritten() throws {
        let fixture = try TinyFixture.shared()
        let dir = try fixture.scratch("badpredict")
        func patchDims(_ path: String, _ dims: [Int16]) throws {
            // dim[0...] is at byte 40 of an uncompressed NIfTI-1 header (little-endian here).
            var data = try Data(contentsOf: URL(fileURLWithPath: path))
            for (i, d) in dims.enumerated() { withUnsafeBytes(of: d.littleEndian) { data.replaceSubrange((40 + 2 * i)..<(42 + 2 * i), with: $0) } }
            try data.write(to: URL(fileURLWithPath: path))
        }
        let flat = dir.appendingPathComponent("flat.nii").path
        try writeScan(flat, shape: [16, 16, 1], spacing: [1, 1, 1], origin: [0, 0, 0])
        try patchDims(flat, [2, 16, 16, 1])
        let series = dir.appendingPathComponent("series.nii").path
        try writeScan(series, shape: [16, 16, 2], spacing: [1, 1, 1], origin: [0, 0, 0])
        try patchDims(series, [4, 16, 16, 1, 2])
        let good = dir.appendingPathComponent("good.nii.gz").path
        try writeScan(good, shape: [16, 16, 2], spacing: [1, 1, 1], origin: [0, 0, 0])

        func refused(_ input: String, _ output: String, checkpoint: String? = nil, _ message: String) throws {
            let result = try cli(["predict", "--checkpoint", checkpoint ?? fixture.checkpoint, "--in", input, "--out", output])
            XCTAssertEqual(result.status, 1, "\(input) -> \(output)")
            XCTAssertTrue(result.stderr.contains(message), result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: output), output)
        }
        try refused(flat, dir.appendingPathComponent("o1.nii.gz").path, "is 2D")
        try refused(series, dir.appendingPathComponent("o2.nii.gz").path, "expected a 3D volume")
        try refused(good, dir.appendingPathComponent("missing/o3.nii.gz").path, "cannot write")
        try refused(good, dir.appendingPathComponent("o4.txt").path, "must end in .nii or .nii.gz")
        let weights = dir.appendingPathComponent("plain.h5").path
        try ENet(inChannels: 1, classes: 4).saveWeights(to: weights)
        try refused(good, dir.appendingPathComponent("o5.nii.gz").path, checkpoint: weights, "not a training checkpoint")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") || $0.hasPrefix("o") }, [])
    }
}
