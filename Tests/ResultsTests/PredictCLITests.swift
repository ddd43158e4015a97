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

    /// Five 32 x 32 x 2 scans with labels (`X_image`/`X_label`) made into a `pairs` store on their
    /// own grid (slice size 32: resampling is the identity both ways).
    func makePairsStore(_ dir: URL, extra: [String] = []) throws -> String {
        let pairs = dir.appendingPathComponent("pairs")
        try FileManager.default.createDirectory(at: pairs, withIntermediateDirectories: true)
        for i in 0..<5 {
            let image = pairs.appendingPathComponent("case\(i)_image.nii.gz").path
            try writeScan(image, shape: [32, 32, 2], spacing: [1.5, 1.5, 8], origin: [0, 0, 0], seed: Double(i))
            let volume = try NIfTIVolume.read(image)
            // Class 3: the bright disc; 1 and 2: bands along the left and top edges.
            let labels = volume.voxels.indices.map { v -> Float in
                let (x, y) = (v % 32, (v / 32) % 32)
                return volume.voxels[v] > 250 ? 3 : x < 6 ? 1 : y < 6 ? 2 : 0
            }
            try NIfTIWriter.write(labels, like: volume.header, as: .uint8, to: pairs.appendingPathComponent("case\(i)_label.nii.gz").path)
        }
        let store = dir.appendingPathComponent("pairs.h5").path
        assertSucceeded(try cli(["preprocess", "--dataset", "pairs", "--in", pairs.path, "--out", store, "--size", "32",
                                 "--classes", "4"] + extra), "preprocess pairs")
        return store
    }

    /// On a store whose slices are the scans' own grid, `predict` on a test scan and `evaluate`
    /// on the store must predict the same number of voxels per class: the same normalisation,
    /// patches and argmax.
    func testPredictAgreesWithEvaluateOnTheStoreGrid() throws {
        let fixture = try TinyFixture.shared()
        let dir = try fixture.scratch("agree")
        let store = try makePairsStore(dir)
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

    /// Overlapping 16 x 16 sub-patches (stride 8): evaluation rebuilds the whole reference volume
    /// (label voxels equal the label file's), and predict works with a sub-patch model.
    func testOverlappingSubPatches() throws {
        let fixture = try TinyFixture.shared()
        let dir = try fixture.scratch("subpatch")
        let store = try makePairsStore(dir, extra: ["--patch", "16", "--stride", "8"])
        let run = dir.appendingPathComponent("run").path
        assertSucceeded(try cli(["train", "--store", store, "--loss", "dice", "--epochs", "1", "--max-steps", "1", "--batch", "2",
                                 "--out", run]), "train")
        let out = dir.appendingPathComponent("eval").path
        assertSucceeded(try cli(["evaluate", "--checkpoint", run + "/best.h5", "--store", store, "--out", out]), "evaluate")
        let rows = try csvRows(out + "/per_volume.csv")
        let tests = try PatchStoreReader(path: store).volumes(.test)
        XCTAssertEqual(rows.count, tests.count * 3)
        for volume in tests {
            XCTAssertEqual(volume.numPatches, 2 * 9)  // 2 slices x 3 x 3 origins (0, 8, 16)
            let labels = try NIfTIVolume.read(volume.labelFile).voxels
            for k in 1..<4 {
                let row = try XCTUnwrap(rows.first { $0[0] == volume.id && $0[1] == "\(k)" })
                XCTAssertEqual(Int(row[4])!, labels.filter { $0 == Float(k) }.count, "\(volume.id) class \(k)")
            }
        }
        let seg = dir.appendingPathComponent("seg.nii.gz").path
        assertSucceeded(try cli(["predict", "--checkpoint", run + "/best.h5", "--in", tests[0].imageFiles[0], "--out", seg]), "predict")
        XCTAssertEqual(try NIfTIVolume.read(seg).shape, [32, 32, 2])
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
