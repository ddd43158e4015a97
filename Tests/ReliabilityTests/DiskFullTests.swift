import Foundation
import HDF5
import TestSupport
import XCTest

/// Real full disks: a small tmpfs mounted for the test (root only; skipped with a message
/// elsewhere). Every writer must fail with "no space left on device" naming the file it was
/// writing, leave the previous file byte for byte, and leave no temporary file.
final class DiskFullTests: XCTestCase {
    var fixture: TinyFixture!

    override func setUpWithError() throws {
        fixture = try TinyFixture.shared()
    }

    /// Mounts a tmpfs of `kilobytes` for `body`, unmounting it afterwards.
    func withSmallDisk(kilobytes: Int, _ body: (URL) throws -> Void) throws {
        let mountPoint = try fixture.scratch("disk")
        let mount = try runProcess(URL(fileURLWithPath: "/bin/mount"),
                                   ["-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", mountPoint.path], timeout: 30)
        guard mount.status == 0 else {
            throw XCTSkip("cannot mount a tmpfs here (needs root): \(mount.stderr)")
        }
        defer { _ = try? runProcess(URL(fileURLWithPath: "/bin/umount"), [mountPoint.path], timeout: 30) }
        try body(mountPoint)
    }

    /// Fills `directory`'s file system until at most `leaving` bytes are free (or it is full).
    func fill(_ directory: URL, leaving: Int) throws {
        var stats = statvfs()
        XCTAssertEqual(statvfs(directory.path, &stats), 0)
        var remaining = Int(stats.f_bavail) * Int(stats.f_frsize) - leaving
        guard let file = fopen(directory.appendingPathComponent("filler").path, "wb") else { return XCTFail("cannot fill") }
        defer { fclose(file) }
        let chunk = [UInt8](repeating: 0, count: 1 << 16)
        while remaining > 0, fwrite(chunk, 1, min(chunk.count, remaining), file) == min(chunk.count, remaining), fflush(file) == 0 {
            remaining -= chunk.count
        }
    }

    func assertNoSpaceError(_ result: ProcessResult, naming path: String, line: UInt = #line) {
        XCTAssertEqual(result.cleanFailureProblems(codes: [1], mentioning: path), [], line: line)
        XCTAssertTrue(result.stderr.contains("no space left on device"), result.stderr, line: line)
    }

    /// The case: `--resume` on a 16 MB disk holding a good last.h5 crashed in libhdf5
    /// and could leave a corrupt last.h5 in place of the good one.
    func testCheckpointOnAFullDiskKeepsThePreviousOne() throws {
        try withSmallDisk(kilobytes: 16 * 1024) { disk in
            let out = disk.appendingPathComponent("run").path
            let train = ["train", "--store", fixture.store, "--max-steps", "1", "--batch", "2", "--out", out]
            try cli(train + ["--epochs", "1"]).requireSuccess("train")
            let good = try Data(contentsOf: URL(fileURLWithPath: out + "/last.h5"))
            let resumed = try cli(train + ["--epochs", "4", "--resume"])
            assertNoSpaceError(resumed, naming: out + "/last.h5")
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/last.h5")), good, "last.h5 changed")
            XCTAssertEqual(temporaryFiles(in: out), [])
        }
    }

    /// A fresh run on ~5.6 MB: the first checkpoint fits, the second does not.
    func testFreshRunOnAFullDiskLeavesOnlyCompleteCheckpoints() throws {
        try withSmallDisk(kilobytes: 5760) { disk in
            let out = disk.appendingPathComponent("run").path
            let result = try cli(["train", "--store", fixture.store, "--epochs", "1", "--max-steps", "1", "--batch", "2",
                                  "--out", out])
            XCTAssertEqual(result.cleanFailureProblems(codes: [1]), [])
            XCTAssertTrue(result.stderr.contains("no space left on device"), result.stderr)
            for name in ["last.h5", "best.h5"] where FileManager.default.fileExists(atPath: out + "/" + name) {
                let file = try H5File.open(out + "/" + name)
                XCTAssertEqual(try file.read("initial.conv.weight", as: Float.self).count, 135, name)
                XCTAssertTrue(file.exists("trainer/adam_v"), name)
            }
            XCTAssertEqual(temporaryFiles(in: out), [])
        }
    }

    /// `preprocess --size 256` into a nearly full file system exited 0 with "wrote ..." and left an unreadable store.
    func testPreprocessOnAFullDisk() throws {
        try withSmallDisk(kilobytes: 4096) { disk in
            try fill(disk, leaving: 1 << 20)
            let store = disk.appendingPathComponent("store.h5").path
            let result = try cli(["preprocess", "--dataset", "acdc", "--in", fixture.nifti, "--out", store, "--size", "256"])
            assertNoSpaceError(result, naming: store)
            XCTAssertFalse(FileManager.default.fileExists(atPath: store))
            XCTAssertEqual(temporaryFiles(in: disk.path), [])
        }
    }

    /// evaluate's CSV and JSON and predict's NIfTI on a full disk: a clear error, nothing half-written.
    func testEvaluateAndPredictOnAFullDisk() throws {
        try withSmallDisk(kilobytes: 1024) { disk in
            try fill(disk, leaving: 0)
            let eval = disk.appendingPathComponent("eval").path
            let evaluated = try cli(["evaluate", "--checkpoint", fixture.checkpoint, "--store", fixture.store, "--out", eval])
            XCTAssertEqual(evaluated.cleanFailureProblems(codes: [1], mentioning: eval), [])
            XCTAssertTrue(evaluated.stderr.contains("no space left on device"), evaluated.stderr)
            XCTAssertEqual(temporaryFiles(in: eval), [])
            XCTAssertFalse(FileManager.default.fileExists(atPath: eval + "/per_volume.csv"))
            let seg = disk.appendingPathComponent("seg.nii.gz").path
            let predicted = try cli(["predict", "--checkpoint", fixture.checkpoint,
                                     "--in", fixture.nifti + "/patient001/patient001_frame01.nii.gz", "--out", seg])
            assertNoSpaceError(predicted, naming: seg)
            XCTAssertFalse(FileManager.default.fileExists(atPath: seg))
            XCTAssertEqual(temporaryFiles(in: disk.path), [])
        }
    }
}
