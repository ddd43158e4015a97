import Foundation
import Common
import Training
import XCTest

final class LaunchTests: XCTestCase {
    func testSlurmWorldMustMatchTasks() {
        let step = ["SLURM_NTASKS": "2", "SLURM_STEP_ID": "0"]
        XCTAssertNoThrow(try LaunchCheck.verify(worldSize: 2, environment: step))
        XCTAssertThrowsError(try LaunchCheck.verify(worldSize: 1, environment: step)) { error in
            XCTAssertEqual(error as? TrainingError, .slurmMismatch(worldSize: 1, tasks: 2))
        }
        // Outside a job step (e.g. the batch script itself) there is nothing to check.
        XCTAssertNoThrow(try LaunchCheck.verify(worldSize: 1, environment: ["SLURM_NTASKS": "2"]))
        XCTAssertNoThrow(try LaunchCheck.verify(worldSize: 1, environment: [:]))
    }

    func testAtomicWriteLeavesNothingOnError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("out.json").path
        try AtomicFile.write(target, data: Data("old".utf8))
        struct Boom: Error {}
        XCTAssertThrowsError(try AtomicFile.write(target) { temp in
            try Data("half".utf8).write(to: URL(fileURLWithPath: temp))
            throw Boom()
        })
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "old")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["out.json"])
    }

    func testDurationFormat() {
        XCTAssertEqual(ProgressReporter.format(75), "1:15")
        XCTAssertEqual(ProgressReporter.format(3725), "1:02:05")
    }
}
