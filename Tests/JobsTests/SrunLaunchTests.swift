import Foundation
import XCTest

/// How Slurm starts our MPI programs: `srun -n 2` must give one world of 2 ranks (through
/// PMIx), not 2 singletons. These use the real built products on the local cluster.
final class SrunLaunchTests: XCTestCase {
    /// The "ok" lines mpi-check prints from rank 0 when every collective agreed.
    private let collectivesOK = ["ok allreduce size=2", "ok broadcast", "ok gather"]

    func testSrunInBatchJobStartsOneWorldOfTwoRanks() throws {
        try Slurm.requireCluster()
        let dir = try Slurm.temporaryDirectory(for: self)
        let script = try Slurm.script(["srun --ntasks=2 \(Slurm.product("mpi-check")) collectives"], in: dir)
        let job = try Slurm.submit(script, ["--ntasks=2"], outputFile: dir.appendingPathComponent("out.txt"))
        XCTAssertEqual(job.status, 0, job.output)
        // Rank 0 alone prints these; 2 singletons would print "size=1" twice.
        let lines = job.output.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.filter { $0.hasPrefix("ok ") }, collectivesOK, job.output)
    }

    func testDoctorUnderSrunReportsEveryRankOfTheWorld() throws {
        try Slurm.requireCluster()
        let result = try runCommand("srun", ["--ntasks=2", Slurm.product("swift-dist-train"), "doctor"], in: Slurm.root)
        XCTAssertEqual(result.status, 0, result.output)
        let ranks = result.stdout.split(separator: "\n").compactMap { line in
            line.split(separator: " ").first { $0.contains("/") }.map(String.init)
        }
        XCTAssertEqual(ranks, ["0/2", "1/2"], result.output)
    }

    /// The fallback launch style: Open MPI's mpirun inside the allocation reads it from Slurm.
    func testMpirunInsideAllocationAlsoStartsTwoRanks() throws {
        try Slurm.requireCluster()
        let dir = try Slurm.temporaryDirectory(for: self)
        let script = try Slurm.script([
            "export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1",
            "mpirun \(Slurm.product("mpi-check")) collectives",
        ], in: dir)
        let job = try Slurm.submit(script, ["--ntasks=2"], outputFile: dir.appendingPathComponent("out.txt"))
        XCTAssertEqual(job.status, 0, job.output)
        let lines = job.output.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.filter { $0.hasPrefix("ok ") }, collectivesOK, job.output)
    }

    /// train.sbatch checks the launch with `doctor` before training: with a launcher that
    /// cannot start Open MPI ranks (--mpi=none) the job must fail with our message, not train.
    func testTrainJobRefusesAMisLaunchedWorld() throws {
        try Slurm.requireCluster()
        let dir = try Slurm.temporaryDirectory(for: self)
        let job = try Slurm.submit("jobs/train.sbatch", environment: [
            "BIN": Slurm.product("swift-dist-train"), "SRUN_MPI": "none",
            "OUT": dir.appendingPathComponent("run").path,
        ], outputFile: dir.appendingPathComponent("out.txt"))
        XCTAssertNotEqual(job.status, 0, job.output)
        XCTAssertTrue(job.output.contains("error: srun did not start one MPI job of 2 ranks"), job.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("run").path), job.output)
    }
}
