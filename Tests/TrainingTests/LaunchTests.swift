import Common
import Foundation
import Training
import XCTest

final class LaunchTests: XCTestCase {
    func testSlurmWorldMustMatchTasks() {
        let step = ["SLURM_NTASKS": "2", "SLURM_STEP_ID": "0"]
        XCTAssertNoThrow(try LaunchCheck.verify(worldSize: 2, environment: step))
        XCTAssertThrowsError(try LaunchCheck.verify(worldSize: 1, environment: step)) { error in
            XCTAssertEqual(error as? ProgramError, TrainingError.slurmMismatch(worldSize: 1, tasks: 2))
        }
        // Outside a job step (e.g. the batch script itself) there is nothing to check.
        XCTAssertNoThrow(try LaunchCheck.verify(worldSize: 1, environment: ["SLURM_NTASKS": "2"]))
        XCTAssertNoThrow(try LaunchCheck.verify(worldSize: 1, environment: [:]))
    }
}
