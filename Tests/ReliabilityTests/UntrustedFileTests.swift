import Foundation
import HDF5
import TestSupport
import XCTest

/// Files whose sizes, shapes and values cannot be trusted: each defect of the issue, through
/// the built binary, ends in one clear error naming the file, never in a trap or a wrong result.
final class UntrustedFileTests: XCTestCase {
    var fixture: TinyFixture!
    var dir: URL!

    override func setUpWithError() throws {
        fixture = try TinyFixture.shared()
        dir = try fixture.scratch("untrusted")
    }

    /// A copy of the HDF5 file at `original`, changed by `change`.
    func mutatedCopy(of original: String, _ change: (H5File) throws -> Void) throws -> String {
        let path = dir.appendingPathComponent("copy-\(UUID().uuidString).h5").path
        try FileManager.default.copyItem(atPath: original, toPath: path)
        let file = try H5File.open(path, writable: true)
        try change(file)
        file.close()
        return path
    }

    func mutatedStore(_ change: (H5File) throws -> Void) throws -> String { try mutatedCopy(of: fixture.store, change) }
    func mutatedCheckpoint(_ change: (H5File) throws -> Void) throws -> String { try mutatedCopy(of: fixture.checkpoint, change) }

    func assertCleanFailure(_ arguments: [String], naming file: String, codes: Set<Int32> = [1], line: UInt = #line) throws {
        let result = try cli(arguments, timeout: 120)
        XCTAssertEqual(result.cleanFailureProblems(codes: codes, mentioning: file), [], "\(arguments)", line: line)
    }

    /// NIfTI dims of 32767^3 (NIfTI-1, gz) or 1e9 (NIfTI-2) used to trap allocating terabytes or
    /// crash in nifticlib (preprocess, predict, evaluate --pred/--gt).
    func testHugeNIfTIDimensionsAreRefusedBeforeAllocation() throws {
        var one = RawNIfTI(dims: [32767, 32767, 32767], uint8s: [UInt8](repeating: 0, count: 64))
        let big1 = dir.appendingPathComponent("big1.nii.gz")
        try one.write(to: big1)
        one.version = .two
        one.dims = [1_000_000_000, 1_000_000_000, 1_000_000_000]
        let big2 = dir.appendingPathComponent("big2.nii.gz"), big2raw = dir.appendingPathComponent("big2.nii")
        try one.write(to: big2)
        try one.write(to: big2raw)
        for file in [big1, big2, big2raw] {
            try assertCleanFailure(["evaluate", "--pred", file.path, "--gt", file.path], naming: file.path)
            let out = dir.appendingPathComponent("seg-\(UUID().uuidString).nii.gz")
            try assertCleanFailure(["predict", "--checkpoint", fixture.checkpoint, "--in", file.path, "--out", out.path],
                                   naming: file.path)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        }
        // preprocess: one image of the pairs manifest is the huge file.
        let label = fixture.nifti + "/patient001/patient001_frame01_gt.nii.gz"
        let manifest = dir.appendingPathComponent("pairs.csv")
        try "image,label\n\(big1.path),\(label)\n".write(to: manifest, atomically: true, encoding: .utf8)
        let store = dir.appendingPathComponent("pairs.h5")
        try assertCleanFailure(["preprocess", "--dataset", "pairs", "--in", manifest.path, "--out", store.path, "--size", "32"],
                               naming: big1.path)
        XCTAssertEqual(temporaryFiles(in: dir.path), [])
    }

    /// Store counts and shapes used to trap (`decompose` with a negative num_patches) or try to
    /// allocate 65 TB (`evaluate` with a huge original_shape).
    func testStoreCountsAndShapesAreBoundedBeforeAllocation() throws {
        let negativeCount = try mutatedStore { try $0.dataset("test/volumes/num_patches").write([Int32(-5)], start: [0], count: [1]) }
        try assertCleanFailure(["decompose", "--store", negativeCount, "--volumes", "1"], naming: negativeCount)
        try assertCleanFailure(["evaluate", "--checkpoint", fixture.checkpoint, "--store", negativeCount], naming: negativeCount)
        let negativeShape = try mutatedStore {
            try $0.dataset("test/volumes/original_shape").write([Int32(-3)], start: [0, 2], count: [1, 1])
        }
        try assertCleanFailure(["evaluate", "--checkpoint", fixture.checkpoint, "--store", negativeShape], naming: negativeShape)
        let hugeShape = try mutatedStore {
            try $0.dataset("test/volumes/original_shape").write([Int32(2_000_000_000), 2_000_000_000], start: [0, 1], count: [1, 2])
        }
        try assertCleanFailure(["evaluate", "--checkpoint", fixture.checkpoint, "--store", hugeShape], naming: hugeShape)
        let splitCount = try mutatedStore { try $0.group("train").setAttribute("num_patches", Int64(-5)) }
        try assertCleanFailure(["decompose", "--store", splitCount, "--split", "train", "--volumes", "1"], naming: splitCount)
        let farSlice = try mutatedStore { try $0.dataset("test/patch_slice").write([Int32(1000)], start: [1], count: [1]) }
        try assertCleanFailure(["evaluate", "--checkpoint", fixture.checkpoint, "--store", farSlice], naming: farSlice)
    }

    /// A label of 200 in a training patch failed with "losses: label 200 at element 5", naming
    /// no file; a NaN pixel was "skipped" while it poisoned BatchNorm; a test label of 9 with
    /// 4 classes evaluated with exit 0.
    func testBadStoreValuesNameTheStoreAndThePatch() throws {
        let badLabel = try mutatedStore { try $0.dataset("train/labels").write([UInt8(200)], start: [1, 0, 5], count: [1, 1, 1]) }
        let out = dir.appendingPathComponent("run-\(UUID().uuidString)").path
        try assertCleanFailure(["train", "--store", badLabel, "--epochs", "1", "--batch", "2", "--out", out], naming: badLabel)
        let nanPixel = try mutatedStore { try $0.dataset("train/images").write([Float.nan], start: [1, 0, 3, 4], count: [1, 1, 1, 1]) }
        let result = try cli(["train", "--store", nanPixel, "--epochs", "1", "--batch", "2", "--out", out + "-nan"])
        XCTAssertEqual(result.cleanFailureProblems(codes: [1], mentioning: nanPixel), [])
        XCTAssertTrue(result.stderr.contains("train patch 1"), result.stderr)
        let testLabel = try mutatedStore { try $0.dataset("test/labels").write([UInt8(9)], start: [0, 0, 5], count: [1, 1, 1]) }
        try assertCleanFailure(["evaluate", "--checkpoint", fixture.checkpoint, "--store", testLabel], naming: testLabel)
    }

    /// A corrupt chunk printed HDF5's own diagnostic stack before the `error:` line.
    func testCorruptChunkIsOneErrorLine() throws {
        let corrupt = try mutatedStore { file in
            let extent = try XCTUnwrap(try file.dataset("train/images").storageExtent(chunk: 0))
            let (offset, size) = extent
            file.close()
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: file.path))
            try handle.seek(toOffset: UInt64(offset) + UInt64(size) / 2)
            try handle.write(contentsOf: Data(repeating: 0xA5, count: 16))
            try handle.close()
        }
        let out = dir.appendingPathComponent("run-\(UUID().uuidString)").path
        try assertCleanFailure(["train", "--store", corrupt, "--epochs", "1", "--batch", "2", "--out", out], naming: corrupt)
    }

    /// A checkpoint with NaN weights was accepted silently by evaluate (DSC 0) and predict (all background).
    func testCheckpointWithNonFiniteWeightsIsRefused() throws {
        let poisoned = try mutatedCheckpoint {
            try $0.dataset("initial.conv.weight").write([Float.nan], start: [0, 0, 0, 0], count: [1, 1, 1, 1])
        }
        try assertCleanFailure(["evaluate", "--checkpoint", poisoned, "--store", fixture.store], naming: poisoned)
        let out = dir.appendingPathComponent("seg.nii.gz").path
        try assertCleanFailure(["predict", "--checkpoint", poisoned, "--in", fixture.nifti + "/patient001/patient001_frame01.nii.gz",
                                "--out", out], naming: poisoned)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        let statistics = try mutatedCheckpoint {
            try $0.dataset("b1_0.bn0.running_var").write([Float(-1)], start: [0], count: [1])
        }
        try assertCleanFailure(["evaluate", "--checkpoint", statistics, "--store", fixture.store], naming: statistics)
    }

    /// `evaluate --pred --gt --classes 4` scored a prediction holding label 7 as if it were fine.
    func testEvaluateRejectsLabelsOutOfRange() throws {
        var labels = [UInt8](repeating: 0, count: 8 * 8 * 2)
        labels[3] = 2
        let reference = dir.appendingPathComponent("gt.nii.gz"), prediction = dir.appendingPathComponent("pred.nii.gz")
        try RawNIfTI(dims: [8, 8, 2], uint8s: labels).write(to: reference)
        labels[10] = 7
        try RawNIfTI(dims: [8, 8, 2], uint8s: labels).write(to: prediction)
        try assertCleanFailure(["evaluate", "--pred", prediction.path, "--gt", reference.path, "--classes", "4"],
                               naming: prediction.path)
    }

    /// `--resume --epochs N` below the checkpoint's epoch trapped; resuming on another store
    /// continued silently although the checkpoint records the store's checksum.
    func testResumeChecksTheEpochsAndTheStore() throws {
        let out = dir.appendingPathComponent("run").path
        func train(epochs: Int, store: String, _ extra: [String] = []) throws -> ProcessResult {
            try cli(["train", "--store", store, "--epochs", "\(epochs)", "--max-steps", "1", "--batch", "2", "--out", out] + extra)
        }
        try train(epochs: 2, store: fixture.store).requireSuccess("train")
        let fewer = try train(epochs: 1, store: fixture.store, ["--resume"])
        XCTAssertEqual(fewer.cleanFailureProblems(codes: [64], mentioning: "--epochs"), [])
        let other = try mutatedStore { try $0.setAttribute("source", "another dataset") }
        let different = try train(epochs: 3, store: other, ["--resume"])
        XCTAssertEqual(different.cleanFailureProblems(codes: [1], mentioning: other), [])
        XCTAssertTrue(different.stderr.contains("--allow-different-store"), different.stderr)
        let allowed = try train(epochs: 3, store: other, ["--resume", "--allow-different-store"])
        XCTAssertEqual(allowed.status, 0, allowed.stderr)
    }

    /// An empty validation split reported Dice 0.000 and picked best.h5 on it, with no warning.
    func testEmptyValidationSplitWarnsAndPicksNoBestCheckpoint() throws {
        let store = dir.appendingPathComponent("noval.h5").path
        try cli(["preprocess", "--dataset", "acdc", "--in", fixture.nifti, "--out", store, "--size", "32", "--split", "2,0,1"])
            .requireSuccess("preprocess")
        let out = dir.appendingPathComponent("noval").path
        let result = try cli(["train", "--store", store, "--epochs", "2", "--max-steps", "1", "--batch", "2", "--out", out])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("warning:") && result.stderr.contains("no validation volumes"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/best.h5"), "best.h5 picked without validation")
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/last.h5"))
        let lines = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .filter { !$0.contains("\"event\"") }  // the end record
        XCTAssertEqual(lines.count, 2)
        for line in lines {
            let metrics = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            XCTAssertEqual(metrics["val_dice"] as? [String], ["nan", "nan", "nan", "nan"], String(line))
            XCTAssertEqual(metrics["val_dice_fg"] as? String, "nan", String(line))
        }
    }

    /// Two runs with the same `--out` both succeeded and interleaved metrics.jsonl.
    func testSecondRunOnTheSameOutputFailsAtOnce() throws {
        let out = dir.appendingPathComponent("shared").path
        let first = Process()
        first.executableURL = Products.executable("swift-dist-train")
        first.arguments = ["train", "--store", fixture.store, "--epochs", "500", "--batch", "2", "--out", out, "--threads", "1"]
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        try first.run()
        defer { if first.isRunning { first.terminate(); first.waitUntilExit() } }
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: out + "/last.h5") && Date() < deadline { usleep(50_000) }
        let second = try cli(["train", "--store", fixture.store, "--epochs", "1", "--batch", "2", "--out", out, "--resume"],
                             timeout: 60)
        XCTAssertEqual(second.cleanFailureProblems(codes: [1], mentioning: out), [])
        XCTAssertTrue(second.stderr.contains("another"), second.stderr)
        XCTAssertTrue(first.isRunning, "the first run was disturbed")
    }
}
