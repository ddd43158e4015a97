import Foundation
import TestSupport
import XCTest

/// `train`'s learning-rate schedule and early stopping end to end on `TinyStore`.
/// `--min-delta 1` makes every validation after the first one "no improvement", so
/// early stopping ends a run at a known epoch whatever the Dice.
final class ScheduleCommandTests: TrainingTestCase {
    let quick = ["--max-steps", "2", "--max-val-volumes", "1"]
    let noImprovement = ["--patience", "2", "--min-delta", "1"]

    /// metrics.jsonl's lr is the rate of the epoch's last step: warm-up, then cosine (2 steps per epoch).
    func testCosineWithWarmUpInTheMetrics() throws {
        let out = outDirectory("cosine")
        let result = try train(ranks: 0, quick + ["--epochs", "3", "--lr", "0.001", "--lr-schedule", "cosine",
                                                  "--warmup-epochs", "1", "--out", out])
        XCTAssertEqual(result.status, 0, result.stderr)
        let rates = try metrics(out).map { $0["lr"] as! Double }
        // Steps 1, 3, 5 of 6; warm-up 2 steps, then T = 4: t = 1 and 3.
        let expected = [1e-3, 0.5e-3 * (1 + cos(Double.pi / 4)), 0.5e-3 * (1 + cos(3 * Double.pi / 4))]
        XCTAssertEqual(rates.count, 3)
        // The peak is --lr as a Float, and the rate is applied as one: equal to float precision.
        for (rate, value) in zip(rates, expected) { XCTAssertEqual(rate, value, accuracy: value * 1e-6) }
        XCTAssertEqual(try endRecord(out)?["stop_reason"] as? String, "epoch_cap")
    }

    /// The default is today's constant rate, recorded per epoch.
    func testConstantByDefault() throws {
        let out = outDirectory("constant")
        let result = try train(ranks: 0, quick + ["--epochs", "2", "--out", out])
        XCTAssertEqual(result.status, 0, result.stderr)
        let rates = try metrics(out).map { $0["lr"] as! Double }
        XCTAssertEqual(rates.count, 2)
        for rate in rates { XCTAssertEqual(rate, Double(Float(5e-4)), accuracy: 1e-18) }  // JSON's last digit aside
        let end = try XCTUnwrap(try endRecord(out))
        XCTAssertEqual(end["stop_reason"] as? String, "epoch_cap")
        XCTAssertEqual(end["epochs_run"] as? Int, 2)
    }

    /// Two ranks stop together after `--patience` validations without improvement, before the cap.
    func testEarlyStopOnTwoRanks() throws {
        let out = outDirectory("early")
        let result = try train(ranks: 2, quick + noImprovement + ["--epochs", "20", "--out", out])
        XCTAssertEqual(result.status, 0, "every rank exits 0\n" + result.stderr)
        let lines = try metrics(out)
        XCTAssertEqual(lines.count, 3, "epochs 1 (the first best), 2 and 3 (no improvement)")
        let end = try XCTUnwrap(try endRecord(out))
        XCTAssertEqual(end["stop_reason"] as? String, "early_stop")
        XCTAssertEqual(end["epochs_run"] as? Int, 3)
        let bestEpoch = try XCTUnwrap(end["best_epoch"] as? Int)
        let best = try XCTUnwrap(end["best_val_dice"] as? Double)
        XCTAssertEqual(best, lines.map { $0["val_dice_fg"] as! Double }.max())
        XCTAssertEqual(lines[bestEpoch - 1]["val_dice_fg"] as? Double, best)
        XCTAssertTrue(result.stdout.contains("early stop at epoch 3: validation Dice did not improve for 2 epochs (best "),
                      result.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/best.h5"))
    }

    /// A run resumed after epoch 2 (one validation without improvement) stops after epoch 3,
    /// as the uninterrupted run does; a reset count would run to epoch 4.
    func testResumeKeepsThePatienceCount() throws {
        let out = outDirectory("resume")
        let first = try train(ranks: 0, quick + noImprovement + ["--epochs", "2", "--out", out])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(try endRecord(out)?["stop_reason"] as? String, "epoch_cap")
        let second = try train(ranks: 0, quick + noImprovement + ["--epochs", "10", "--resume", "--out", out])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(try metrics(out).map { $0["epoch"] as? Int }, [1, 2, 3])
        XCTAssertEqual(try metricsLines(out).filter { $0["event"] != nil }.count, 1, "the first run's end record is replaced")
        let end = try XCTUnwrap(try endRecord(out))
        XCTAssertEqual(end["stop_reason"] as? String, "early_stop")
        XCTAssertEqual(end["epochs_run"] as? Int, 3)
    }

    func testBadValuesExit64NamingTheFlag() throws {
        let cases: [([String], String)] = [
            (["--lr-schedule", "linear"], "--lr-schedule"),
            (["--warmup-epochs", "3", "--epochs", "3"], "--warmup-epochs must be in 0...2, got 3"),
            (["--warmup-epochs=-1"], "--warmup-epochs must be in"),
            (["--patience=-1"], "--patience must be in"),
            (["--min-delta", "2"], "--min-delta must be in 0...1"),
            (["--min-delta", "nan"], "--min-delta"),
        ]
        for (arguments, message) in cases {
            let out = outDirectory("bad")
            let result = try train(ranks: 0, arguments + ["--out", out])
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(arguments) created \(out)")
        }
    }
}
