import TestSupport
import XCTest

/// Launches real `mpirun` jobs of the `mpi-check` program.
final class MultiRankTests: XCTestCase {
    func testCollectivesOnTwoRanks() throws {
        let result = try mpirun(2, "mpi-check", ["collectives"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout.split(separator: "\n"), ["ok allreduce size=2", "ok broadcast", "ok gather"])
    }

    func testCollectivesOnFourOversubscribedRanks() throws {
        let result = try mpirun(4, "mpi-check", ["collectives"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout.split(separator: "\n"), ["ok allreduce size=4", "ok broadcast", "ok gather"])
    }

    func testSingletonWithoutLauncher() throws {
        let result = try runProcess(Products.executable("mpi-check"), ["collectives"], environment: mpirunEnvironment)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout.split(separator: "\n"), ["ok allreduce size=1", "ok broadcast", "ok gather"])
    }

    /// Every sum algorithm against a plain tree sum, for 1 to 8 ranks (powers of two and
    /// not, more ranks than values): the ordered ones bit for bit, MPI's within rounding.
    func testSumsMatchTheReferenceTreeOnOneToEightRanks() throws {
        for ranks in 1...8 {
            let result = try mpirun(ranks, "mpi-check", ["sums"], timeout: 60)
            XCTAssertEqual(result.status, 0, "\(ranks) ranks: \(result.stderr)")
            XCTAssertEqual(result.stdout.split(separator: "\n"), ["ok sums size=\(ranks)"])
        }
    }

    /// A rank that throws while the others wait in a collective must end the whole job, quickly.
    func testFailingRankAbortsTheJob() throws {
        for (ranks, failing) in [(2, 1), (4, 0), (4, 3)] {
            let result = try mpirun(ranks, "mpi-check", ["fail", "\(failing)"], timeout: 30)
            XCTAssertFalse(result.timedOut, "job with \(ranks) ranks hung after rank \(failing) failed")
            XCTAssertNotEqual(result.status, 0)
            XCTAssertLessThan(result.seconds, 15)
            XCTAssertTrue(result.stderr.contains("[rank \(failing)] error: rank \(failing) fails on purpose"), result.stderr)
        }
    }

    func testDoctorPrintsEveryRankInOrder() throws {
        let result = try mpirun(4, "swift-dist-train", ["doctor"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").filter { $0.hasPrefix("rank ") }
        XCTAssertEqual(lines.map { String($0.prefix(8)) }, ["rank 0/4", "rank 1/4", "rank 2/4", "rank 3/4"])
        for line in lines {
            XCTAssertTrue(line.contains("mpi=\"Open MPI"), String(line))
            XCTAssertTrue(line.contains("hdf5=1."), String(line))
            XCTAssertTrue(line.contains("onednn=2."), String(line))
            XCTAssertTrue(line.contains("nifti=\"NIFTI"), String(line))
            XCTAssertTrue(line.contains("omp_threads=1"), String(line))
        }
    }

    func testDoctorJSONOnRankZero() throws {
        let result = try mpirun(2, "swift-dist-train", ["doctor", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let reports = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
        XCTAssertEqual(reports?.count, 2)
        XCTAssertEqual(reports?.map { $0["rank"] as? Int }, [0, 1])
        XCTAssertEqual(reports?.first?["size"] as? Int, 2)
    }
}
