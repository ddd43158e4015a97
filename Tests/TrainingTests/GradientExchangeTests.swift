import Foundation
import HDF5
import TestSupport
import XCTest

/// The gradient exchange in real `mpirun` training runs: the same bits for every
/// split of a global batch, buckets that change timing but not bits, MPI's allreduce
/// within rounding, the same running statistics on every rank.
final class GradientExchangeTests: TrainingTestCase {
    /// 8 ranks x 1, 4 x --accumulate 2, 2 x 4 and 1 x 8 micro-batches of one patch: the
    /// same 8 workers, the same patches and masks, the same tree of additions, so the
    /// same weights and Adam moments after 4 steps, bit for bit (running statistics are
    /// averaged over different numbers of ranks, so they are left out).
    func testEverySplitOfTheGlobalBatchEndsBitIdentical() throws {
        var runs: [(String, [String: [Float]])] = []
        for (ranks, accumulate) in [(8, 1), (4, 2), (2, 4), (1, 8)] {
            let out = outDirectory("split\(ranks)x\(accumulate)")
            let result = try train(ranks: ranks, ["--batch", "1", "--accumulate", "\(accumulate)", "--epochs", "2",
                                                  "--loss", "dice+ce", "--max-val-volumes", "1", "--out", out])
            XCTAssertEqual(result.status, 0, "\(ranks) x \(accumulate): \(result.stderr)")
            XCTAssertEqual(try metrics(out).last?["step"] as? Int, 4)
            runs.append(("\(ranks) x \(accumulate)", try parameters(out + "/last.h5", optimizer: true)))
        }
        let (reference, weights) = runs[0]
        XCTAssertGreaterThan(relativeDifference(try initialParameters(), weights.filter { !$0.key.hasPrefix("trainer") }),
                             1e-3, "the runs trained")
        for (name, other) in runs.dropFirst() {
            XCTAssertEqual(differingBits(weights, other), [], "\(name) vs \(reference)")
        }
    }

    /// One bucket per step or a hundred and more: a bucket that went out before its last
    /// gradient was written would change the sum, so equal bits mean every bucket waited.
    func testBucketSizeChangesTimingNotBits() throws {
        var runs: [[String: [Float]]] = []
        for size in ["0.01", "64"] {
            let out = outDirectory("bucket\(size)")
            let result = try train(ranks: 2, ["--epochs", "2", "--bucket-size", size, "--max-val-volumes", "1",
                                              "--out", out])
            XCTAssertEqual(result.status, 0, result.stderr)
            runs.append(try parameters(out + "/last.h5", optimizer: true))
        }
        XCTAssertEqual(differingBits(runs[0], runs[1]), [])
    }

    /// `--reduce mpi` (MPI_Iallreduce) against the ordered sum on 3 ranks (direct slices).
    func testMPIAllreduceMatchesTheOrderedSumWithinRounding() throws {
        var runs: [[String: [Float]]] = []
        for method in ["ordered", "mpi"] {
            let out = outDirectory(method)
            let result = try train(ranks: 3, ["--epochs", "2", "--reduce", method, "--max-val-volumes", "1",
                                              "--checksum-every", "1", "--out", out])
            XCTAssertEqual(result.status, 0, result.stderr)
            runs.append(try parameters(out + "/last.h5"))
            let line = try XCTUnwrap(try metrics(out).last)
            XCTAssertEqual(line["comm_bytes_per_step"] == nil, method == "mpi", "bytes are counted for ordered only")
        }
        XCTAssertLessThanOrEqual(relativeDifference(runs[0], runs[1]), 1e-5)
    }

    /// Running statistics are averaged over ranks before every validation and checkpoint;
    /// the run then checks parameters and statistics against every rank (a mismatch ends it
    /// with "replicas diverged"), so a run that ends well had them equal on every rank.
    func testRunningStatisticsAgreeOnEveryRank() throws {
        for ranks in [2, 4] {
            let out = outDirectory("statistics\(ranks)")
            let result = try train(ranks: ranks, ["--epochs", "2", "--max-val-volumes", "1", "--out", out])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertFalse(result.stderr.contains("diverged"), result.stderr)
            XCTAssertFalse(try runningStatistics(out + "/last.h5").isEmpty)
        }
    }

    func testBadExchangeFlagsExit64() throws {
        let cases: [([String], String)] = [
            (["--bucket-size", "0"], "--bucket-size must be between"),
            (["--bucket-size=-1"], "--bucket-size must be between"),
            (["--bucket-size", "1e9"], "--bucket-size must be between"),
            (["--bucket-size", "nan"], "--bucket-size must be between"),
            (["--reduce", "fast"], "Please provide one of 'ordered' and 'mpi'"),
            (["--stall-timeout=-5"], "--stall-timeout must be"),
        ]
        for (arguments, message) in cases {
            let out = outDirectory("badflag")
            let result = try train(ranks: 0, arguments + ["--out", out])
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        }
    }
}
