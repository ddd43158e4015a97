import Foundation
import HDF5
import TestSupport
import XCTest

/// A stopped rank (`kill -STOP`) does not hang the job: the others wait at most the
/// stall limit, say whom they have not heard from, and end the job non-zero; the
/// last checkpoint stays as it was.
final class StallTests: TrainingTestCase {
    func testStoppedRankOfTwoEndsTheJob() throws {
        try stopRank(1, of: 2)
    }

    func testStoppedRankOfFourOversubscribedEndsTheJob() throws {
        try stopRank(2, of: 4)
    }

    func stopRank(_ stopped: Int, of ranks: Int, timeout: Double = 4) throws {
        let out = outDirectory("stall\(ranks)"), errors = out + ".stderr"
        // Batch 1: short steps, so a short limit (it is at least 10 median steps).
        let process = try startLongTraining(out: out, ranks: ranks, batch: 1, ["--stall-timeout", "\(timeout)"],
                                            errors: errors)
        waitForEpochs(1, in: out)
        try waitForCheckpoint(epoch: 1, in: out)
        let pids = childProcesses(of: process.processIdentifier)
        XCTAssertEqual(pids.count, ranks)
        guard pids.count == ranks else { return process.terminate() }
        let victim = pids[stopped]
        kill(victim, SIGSTOP)
        let stoppedAt = Date()
        defer {
            // Never leave a stopped process behind.
            kill(victim, SIGCONT)
            kill(victim, SIGKILL)
        }
        let lines = try metrics(out)
        let checkpoint = try Data(contentsOf: URL(fileURLWithPath: out + "/last.h5"))
        XCTAssertEqual(try checkpointEpoch(out), lines.count)
        // The limit: the timeout, or 10 median steps if longer (a debug build's steps are slow).
        let stepsPerEpoch = Double(lines[0]["step"] as! Int)
        let slowestStep = lines.map { ($0["seconds"] as! Double) / stepsPerEpoch }.max()!
        let limit = max(timeout, 10 * slowestStep)
        while process.isRunning && Date().timeIntervalSince(stoppedAt) < limit + 30 { usleep(50_000) }
        XCTAssertFalse(process.isRunning, "\(ranks) ranks: the job hung after rank \(stopped) was stopped")
        if process.isRunning { return process.terminate() }
        XCTAssertNotEqual(process.terminationStatus, 0)
        XCTAssertLessThan(Date().timeIntervalSince(stoppedAt), limit + 20, "ended within the limit and a margin")
        let report = try String(contentsOfFile: errors, encoding: .utf8)
        XCTAssertTrue(report.contains("stall: waited"), report)
        let named = report.components(separatedBy: "no message from rank(s) ").dropFirst().map { rest in
            rest.prefix { $0 != "\n" && $0 != ";" }.components(separatedBy: ", ")
        }
        XCTAssertTrue(named.contains { $0.contains("\(stopped)") }, "no report names rank \(stopped): \(report)")
        // Unless an epoch ended before the rank stopped, last.h5 is untouched; it is whole either way.
        if try checkpointEpoch(out) == lines.count {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/last.h5")), checkpoint)
        }
        XCTAssertNoThrow(try parameters(out + "/last.h5"))
    }

    /// The epoch recorded in `out/last.h5`.
    func checkpointEpoch(_ out: String) throws -> Int {
        let file = try H5File.open(out + "/last.h5")
        defer { file.close() }
        return try file.group("trainer").attribute("epoch", as: Int.self)[0]
    }

    /// Waits until `out/last.h5` holds epoch `epoch` (rank 0 writes it after the metrics line).
    func waitForCheckpoint(epoch: Int, in out: String) throws {
        let deadline = Date().addingTimeInterval(60)
        while (try? checkpointEpoch(out)) ?? -1 < epoch && Date() < deadline { usleep(20_000) }
    }
}
