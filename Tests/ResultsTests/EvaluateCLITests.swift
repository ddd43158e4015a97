import Foundation
import Network
import PatchStore
import TestSupport
import XCTest

/// `evaluate` through the built executable: label files, checkpoints on a store (1 and 2 ranks), bad input.
final class EvaluateCLITests: XCTestCase {
    /// Hand-made label volumes whose scores follow from the definitions alone.
    func testPredictionAgainstReferenceFiles() throws {
        let dir = try TinyFixture.shared().scratch("predgt")
        let (nx, ny, nz) = (6, 5, 4)
        let geometry = NIfTIWriter.Geometry(shape: [nx, ny, nz], spacing: [2, 1, 3])
        func index(_ x: Int, _ y: Int, _ z: Int) -> Int { x + nx * (y + ny * z) }
        var reference = [Float](repeating: 0, count: nx * ny * nz), prediction = reference
        // Class 1: one voxel each, 3 columns apart along x (2 mm): every surface distance is 6 mm.
        reference[index(0, 2, 1)] = 1
        prediction[index(3, 2, 1)] = 1
        // Class 2: the same 2x2x2 block in both: DSC 1, HD95 0.
        for z in 2...3 { for y in 0...1 { for x in 4...5 { reference[index(x, y, z)] = 2; prediction[index(x, y, z)] = 2 } } }
        // Class 3: in the reference only: DSC 0, HD95 = the scan's diagonal.
        reference[index(1, 4, 0)] = 3
        reference[index(2, 4, 0)] = 3
        let gt = dir.appendingPathComponent("gt.nii.gz").path, pred = dir.appendingPathComponent("pred.nii").path
        try NIfTIWriter.write(reference, geometry: geometry, as: .uint8, to: gt)
        try NIfTIWriter.write(prediction, geometry: geometry, as: .int16, to: pred)
        let out = dir.appendingPathComponent("eval").path
        let result = try cli(["evaluate", "--pred", pred, "--gt", gt, "--out", out])
        assertSucceeded(result, "evaluate --pred --gt")
        XCTAssertTrue(result.stdout.contains("All (foreground)"), result.stdout)
        let rows = try csvRows(out + "/per_volume.csv")
        XCTAssertEqual(rows.map { $0[1] }, ["1", "2", "3"])
        let dsc = rows.map { Double($0[2])! }, hd95 = rows.map { Double($0[3])! }
        XCTAssertEqual(dsc, [0, 1, 0])
        XCTAssertEqual(hd95[0], 6, accuracy: 1e-9)
        XCTAssertEqual(hd95[1], 0)
        XCTAssertEqual(hd95[2], (Double(nz * 3 * nz * 3) + Double(ny * ny) + Double(nx * 2 * nx * 2)).squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(rows.map { Int($0[4])! }, [1, 8, 2])  // label voxels
        XCTAssertEqual(rows.map { Int($0[5])! }, [1, 8, 0])  // predicted voxels
    }

    func testCheckpointOnTestSplitOneAndTwoRanks() throws {
        let fixture = try TinyFixture.shared()
        let dir = try fixture.scratch("ckpt")
        let reader = try PatchStoreReader(path: fixture.store)
        let volumes = try reader.volumes(.test)
        XCTAssertGreaterThan(volumes.count, 0)
        let out1 = dir.appendingPathComponent("one").path
        let one = try cli(["evaluate", "--checkpoint", fixture.checkpoint, "--store", fixture.store, "--out", out1])
        assertSucceeded(one, "evaluate --checkpoint")
        XCTAssertTrue(one.stdout.contains("All (foreground)"), one.stdout)
        let rows = try csvRows(out1 + "/per_volume.csv")
        XCTAssertEqual(rows.count, volumes.count * (reader.numClasses - 1))
        XCTAssertEqual(Set(rows.map { $0[0] }), Set(volumes.map(\.id)))
        // The rebuilt reference holds exactly the store's test label pixels of each class.
        let counts = try reader.classVoxelCounts(.test)
        for k in 1..<reader.numClasses {
            XCTAssertEqual(rows.filter { $0[1] == "\(k)" }.map { Int($0[4])! }.reduce(0, +), counts[k], "class \(k)")
        }
        for row in rows {
            let (dsc, hd) = (Double(row[2])!, Double(row[3])!)
            XCTAssertTrue((0...1).contains(dsc) && hd >= 0 && hd.isFinite, "\(row)")
        }
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out1 + "/summary.json"))) as? [String: Any]
        XCTAssertEqual(summary?["volumes"] as? Int, volumes.count)
        XCTAssertEqual((summary?["classes"] as? [Any])?.count, reader.numClasses - 1)
        XCTAssertNotNil(summary?["foreground"] as? [String: Any])

        // Two ranks share the volumes and gather the scores: the same file.
        let out2 = dir.appendingPathComponent("two").path
        let two = try mpirun(2, "swift-dist-train", ["evaluate", "--checkpoint", fixture.checkpoint, "--store", fixture.store,
                                                     "--out", out2], timeout: 180)
        assertSucceeded(two, "mpirun -n 2 evaluate")
        XCTAssertEqual(try String(contentsOfFile: out2 + "/per_volume.csv", encoding: .utf8),
                       try String(contentsOfFile: out1 + "/per_volume.csv", encoding: .utf8))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out2 + "/summary.json")),
                       try Data(contentsOf: URL(fileURLWithPath: out1 + "/summary.json")))
    }

    func testCheckpointForOtherClassesIsRefused() throws {
        let fixture = try TinyFixture.shared()
        let dir = try fixture.scratch("classes")
        let weights = dir.appendingPathComponent("three-classes.h5").path
        try ENet(inChannels: 1, classes: 3).saveWeights(to: weights)
        let out = dir.appendingPathComponent("eval").path
        let result = try cli(["evaluate", "--checkpoint", weights, "--store", fixture.store, "--out", out])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("error: \(weights): the model takes 1 channel(s) and predicts 3 classes"), result.stderr)
        XCTAssertTrue(result.stderr.contains("4 classes"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testStoreWithoutTestSplitIsRefused() throws {
        let fixture = try TinyFixture.shared()
        let dir = try fixture.scratch("notest")
        let store = dir.appendingPathComponent("no-test.h5").path
        assertSucceeded(try cli(["preprocess", "--dataset", "acdc", "--in", fixture.nifti, "--out", store, "--size", "32",
                                 "--split", "70,30,0"]), "preprocess without a test split")
        let out = dir.appendingPathComponent("eval").path
        let result = try cli(["evaluate", "--checkpoint", fixture.checkpoint, "--store", store, "--out", out])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("error: \(store): the test split has no volumes"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        // experiment refuses it too, before training anything.
        let runs = dir.appendingPathComponent("runs").path
        let experiment = try cli(["experiment", "--store", store, "--epochs", "1", "--max-steps", "1", "--batch", "2", "--out", runs])
        XCTAssertEqual(experiment.status, 1)
        XCTAssertTrue(experiment.stderr.contains("the test split has no volumes"), experiment.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: runs))
    }

    func testModesAreExclusive() throws {
        let fixture = try TinyFixture.shared()
        let result = try cli(["evaluate", "--checkpoint", fixture.checkpoint])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("--checkpoint and --store"), result.stderr)
        XCTAssertNotEqual(try cli(["evaluate"]).status, 0)
    }
}
