import Foundation
import TestSupport
import XCTest

/// `bench allreduce` under real mpirun, at small sizes: the ordered sum's bytes per rank,
/// counted by the program, are those of a bandwidth-optimal sum, 2·P·(R−1)/R, and its
/// memory does not grow with R, unlike the allgather's.
final class SumBenchmarkTests: XCTestCase {
    func testOrderedSumSendsOptimalBytesForTwoToEightRanks() throws {
        let floats = 10_007
        for ranks in [2, 3, 4, 8] {
            let result = try mpirun(ranks, "swift-dist-train", ["bench", "allreduce", "--floats", "\(floats)",
                                                                 "--multiples", "1", "--repeats", "3", "--warmup", "1"],
                                    timeout: 60)
            XCTAssertEqual(result.status, 0, result.stderr)
            let lines = try result.stdout.split(separator: "\n").map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
            }
            XCTAssertEqual(lines.map { $0["method"] as? String },
                           ["allgather", "ordered", "mpi-iallreduce", "mpi-allreduce"])
            let ordered = try XCTUnwrap(lines.first { $0["method"] as? String == "ordered" })
            let optimal = Double(2 * floats * (ranks - 1) / ranks * 4)
            for key in ["bytes_sent_per_rank", "bytes_received_per_rank"] {
                let bytes = try XCTUnwrap(ordered[key] as? Int, key)
                XCTAssertEqual(Double(bytes), optimal, accuracy: 0.1 * optimal, "\(ranks) ranks: \(key)")
            }
            XCTAssertEqual(ordered["algorithm"] as? String, ranks == 3 ? "direct-slices" : "halving-doubling")
            XCTAssertLessThanOrEqual(ordered["extra_bytes"] as! Int, floats * 4)
            let allgather = try XCTUnwrap(lines.first)
            XCTAssertEqual(allgather["extra_bytes"] as? Int, ranks * floats * 4)
            XCTAssertNil(allgather["bytes_sent_per_rank"], "not visible to the program")
            XCTAssertGreaterThan(ordered["median_s"] as! Double, 0)
        }
    }
}
