import Foundation
import HDF5
import TestSupport
import XCTest

/// The `train` command end to end: real mpirun jobs on a tiny store built with
/// the real `synth` and `preprocess` commands.
final class TrainCommandTests: TrainingTestCase {
    /// R ranks x batch b and 1 rank x `--accumulate R` x batch b see the same patches
    /// in the same groups with the same dropout masks (BatchNorm statistics are per
    /// micro-batch) and add the gradients in the same tree: they end bit for bit equal.
    func testRanksEqualOneRankAccumulating() throws {
        let initial = try initialParameters()
        for ranks in [2, 4] {
            let distributed = outDirectory("ranks\(ranks)"), accumulated = outDirectory("acc\(ranks)")
            let args = ["--epochs", "2", "--loss", "dice+ce", "--checksum-every", "1"]
            let a = try train(ranks: ranks, args + ["--out", distributed])
            XCTAssertEqual(a.status, 0, a.stderr)
            let b = try train(ranks: 0, args + ["--out", accumulated, "--accumulate", "\(ranks)"])
            XCTAssertEqual(b.status, 0, b.stderr)
            let p = try parameters(distributed + "/last.h5", optimizer: true)
            let q = try parameters(accumulated + "/last.h5", optimizer: true)
            XCTAssertEqual(p.count, initial.count + 2)
            XCTAssertEqual(differingBits(p, q), [], "\(ranks) ranks vs accumulate \(ranks)")
            // The runs really trained: the weights moved.
            XCTAssertGreaterThan(relativeDifference(initial, p.filter { initial[$0.key] != nil }), 1e-3)
        }
    }

    func testSameSeedSameLosses() throws {
        let first = outDirectory("det1"), second = outDirectory("det2")
        for out in [first, second] {
            let result = try train(ranks: 2, ["--epochs", "2", "--out", out])
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        let a = try metrics(first).map { $0["train_loss"] as! Double }
        let b = try metrics(second).map { $0["train_loss"] as! Double }
        XCTAssertEqual(a.count, 2)
        XCTAssertEqual(a, b)
    }

    func testOutputsOfARun() throws {
        let out = outDirectory("outputs")
        let result = try train(ranks: 2, ["--epochs", "2", "--loss", "mime", "--out", out])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("epoch 2/2"), result.stdout)
        let lines = try metrics(out)
        XCTAssertEqual(lines.map { $0["epoch"] as? Int }, [1, 2])
        for line in lines {
            for key in ["train_loss", "val_dice", "val_dice_fg", "images_per_s", "exposed_comm_fraction",
                        "exposed_comm_s_per_step", "exposed_comm_min_s_per_step", "comm_bytes_per_step",
                        "data_wait_fraction", "skipped_nonfinite", "lr", "step"] {
                XCTAssertNotNil(line[key], "metrics line lacks \(key)")
            }
            // Per step the least over ranks, so at most the mean over ranks.
            let least = try XCTUnwrap(line["exposed_comm_min_s_per_step"] as? Double)
            let mean = try XCTUnwrap(line["exposed_comm_s_per_step"] as? Double)
            XCTAssertGreaterThan(least, 0)
            XCTAssertLessThanOrEqual(least, mean * (1 + 1e-9))
            XCTAssertEqual((line["val_dice"] as? [Double])?.count, 4)
        }
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/config.json"))) as! [String: Any]
        XCTAssertEqual(config["worldSize"] as? Int, 2)
        XCTAssertEqual((config["store"] as? [String: Any])?["schemaVersion"] as? Int, 1)
        XCTAssertEqual(((config["store"] as? [String: Any])?["checksum"] as? String)?.count, 16)
        XCTAssertNotNil(config["programVersion"])
        for name in ["last.h5", "best.h5"] {
            let file = try H5File.open(out + "/" + name)
            XCTAssertEqual(try file.dataset("initial.conv.weight").shape, [15, 1, 3, 3])
            XCTAssertTrue(file.exists("trainer/adam_m"))
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.contains(".tmp") }
        XCTAssertEqual(leftovers, [])
    }

    /// A signal to one rank stops every rank after the current step with a checkpoint; --resume continues.
    func testSignalCheckpointsAndResumeContinues() throws {
        let out = outDirectory("signal")
        let process = try startLongTraining(out: out)
        // Wait for the first epoch, then signal one rank (not the launcher).
        waitForEpochs(1, in: out)
        let ranks = childProcesses(of: process.processIdentifier)
        XCTAssertEqual(ranks.count, 2)
        kill(ranks.last!, SIGTERM)
        let stopDeadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < stopDeadline { usleep(100_000) }
        XCTAssertFalse(process.isRunning, "the job did not stop after SIGTERM")
        if process.isRunning { process.terminate(); return }
        XCTAssertEqual(process.terminationStatus, 0)
        let file = try H5File.open(out + "/last.h5")
        let stoppedAt = try file.group("trainer").attribute("step", as: Int.self)[0]
        file.close()
        XCTAssertGreaterThan(stoppedAt, 0)
        let epochsDone = try metrics(out).count
        let resumed = try train(ranks: 2, ["--epochs", "\(epochsDone + 2)", "--out", out, "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("resuming at epoch"), resumed.stdout)
        XCTAssertEqual(try metrics(out).map { $0["epoch"] as! Int }, Array(1...(epochsDone + 2)))
    }

    /// SIGKILL on one rank ends the job within seconds; the last checkpoint stays intact and resumable.
    func testKilledRankEndsTheJobAndCheckpointSurvives() throws {
        let out = outDirectory("kill")
        let process = try startLongTraining(out: out)
        waitForEpochs(2, in: out)
        let ranks = childProcesses(of: process.processIdentifier)
        XCTAssertEqual(ranks.count, 2)
        let killed = Date()
        kill(ranks[1], SIGKILL)
        while process.isRunning && Date().timeIntervalSince(killed) < 30 { usleep(50_000) }
        XCTAssertFalse(process.isRunning, "the job hung after a rank was killed")
        if process.isRunning { process.terminate(); return }
        XCTAssertNotEqual(process.terminationStatus, 0)
        XCTAssertLessThan(Date().timeIntervalSince(killed), 15)
        XCTAssertNoThrow(try parameters(out + "/last.h5"))
        let resumed = try train(ranks: 2, ["--epochs", "\(try metrics(out).count + 1)", "--out", out, "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
    }

    func testNonFiniteStepsAreSkippedOrAbort() throws {
        // GDL with eps 0 divides by zero on every patch where a class is absent.
        let skip = outDirectory("skip")
        let skipped = try train(ranks: 2, ["--epochs", "1", "--loss", "gdl", "--eps", "0", "--out", skip])
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
        XCTAssertGreaterThan(try metrics(skip)[0]["skipped_nonfinite"] as! Int, 0)
        let abort = outDirectory("abort")
        let aborted = try train(ranks: 2, ["--epochs", "1", "--loss", "gdl", "--eps", "0", "--nonfinite", "abort",
                                           "--out", abort])
        XCTAssertNotEqual(aborted.status, 0)
        XCTAssertTrue(aborted.stderr.contains("non-finite loss or gradient"), aborted.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: abort + "/last.h5"))
    }

    func testBadInputIsAClearErrorAndWritesNothing() throws {
        let cases: [(ranks: Int, arguments: [String], message: String)] = [
            (0, ["--store", "/nonexistent/store.h5"], "/nonexistent/store.h5: no such file"),
            (0, ["--batch", "0"], "--batch must be in 1...1024, got 0"),
            (0, ["--loss", "bogus"], "The value 'bogus' is invalid for '--loss <loss>'"),
            (0, ["--nonfinite", "maybe"], "Please provide one of 'skip' and 'abort'"),
            (4, ["--batch", "8"], "fewer than one global batch"),
        ]
        for (ranks, arguments, message) in cases {
            let out = outDirectory("bad")
            let result = try train(ranks: ranks, arguments + ["--out", out])
            XCTAssertNotEqual(result.status, 0, "\(arguments)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertFalse(result.stderr.contains("Fatal error"), result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(arguments) created \(out)")
        }
    }

    func testResumeFromACheckpointOfAnotherModelShape() throws {
        let out = outDirectory("shape")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let weights = out + "/last.h5"
        let saved = try runProcess(tool, ["model", "--export-weights", weights, "--classes", "3"])
        XCTAssertEqual(saved.status, 0, saved.stderr)
        let result = try train(ranks: 0, ["--epochs", "1", "--out", out, "--resume"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains(weights), result.stderr)
        XCTAssertTrue(result.stderr.contains("head.out"), result.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), ["last.h5"])
    }

    /// Under SLURM a job step of N tasks that each see a world of one is an error, not N copies.
    func testSlurmSingletonsAreRefused() throws {
        let out = outDirectory("slurm")
        let result = try runProcess(tool, ["train", "--store", TinyStore.path, "--out", out],
                                    environment: ["SLURM_NTASKS": "2", "SLURM_STEP_ID": "0"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("SLURM_NTASKS is 2 but the MPI world has 1 rank"), result.stderr)
    }
}
