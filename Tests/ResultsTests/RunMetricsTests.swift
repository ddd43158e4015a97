@testable import Experiments
import Foundation
import XCTest

/// metrics.jsonl as the experiment reads it: epoch lines, event lines skipped, the end record.
final class RunMetricsTests: XCTestCase {
    private func epoch(_ n: Int, skipped: Int) -> String {
        #"{"data_wait_fraction":0,"epoch":\#(n),"exposed_comm_fraction":0,"images_per_s":10,"lr":0.0005,"#
            + #""seconds":1.5,"skipped_nonfinite":\#(skipped),"step":\#(n),"train_loss":0.5,"val_dice":[0.9,"nan"],"val_dice_fg":"nan"}"#
    }

    private func write(_ lines: [String]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID().uuidString).jsonl").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testEndRecordGivesTheStopReason() throws {
        let path = try write([epoch(1, skipped: 2), #"{"event":"lr_drop","epoch":1}"#, epoch(2, skipped: 1),
                              #"{"event":"end","stop_reason":"early_stop","epochs_run":2,"best_epoch":1,"best_val_dice":0.75}"#])
        let metrics = try RunMetrics.read(path)
        XCTAssertEqual(metrics.epochs.count, 2)
        XCTAssertEqual(metrics.skippedSteps, 3)
        XCTAssertEqual(metrics.seconds, 3)
        XCTAssertEqual(metrics.stopReason, .earlyStop)
        XCTAssertEqual(metrics.end?.epochsRun, 2)
        XCTAssertEqual(metrics.end?.bestEpoch, 1)
        XCTAssertEqual(metrics.end?.bestValDice, 0.75)
    }

    func testWithoutEndRecordTheEpochCapIsInferred() throws {
        let metrics = try RunMetrics.read(try write([epoch(1, skipped: 0)]))
        XCTAssertNil(metrics.end)
        XCTAssertEqual(metrics.stopReason, .epochCap)
        let signal = try RunMetrics.read(try write([epoch(1, skipped: 0),
            #"{"event":"end","stop_reason":"signal","epochs_run":1,"best_epoch":null,"best_val_dice":"nan"}"#]))
        XCTAssertEqual(signal.stopReason, .signal)
        XCTAssertNil(signal.end?.bestEpoch)
    }

    func testBadLineNamesTheFile() throws {
        let path = try write([epoch(1, skipped: 0), "{\"epoch\":"])
        XCTAssertThrowsError(try RunMetrics.read(path)) { error in
            XCTAssertTrue("\(error)".contains(path) && "\(error)".contains("line 2"), "\(error)")
        }
    }
}
