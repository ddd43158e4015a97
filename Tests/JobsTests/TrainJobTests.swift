import Foundation
import XCTest

/// The whole pipeline with the real program: jobs/preprocess.sbatch (SYNTH=1), then
/// jobs/train.sbatch with 2 tasks, then jobs/evaluate.sbatch.
///
/// INTEGRATOR: this runs by itself once `swift-dist-train` has the `synth`, `preprocess`,
/// `train` and `evaluate` subcommands (it skips while `swift-dist-train --help` does not list them). Set the
/// tiny-run flags below to whatever keeps the training to a few seconds on 2 cores.
final class TrainJobTests: XCTestCase {
    /// Extra flags that keep synthetic data and training tiny (adjust to the real options).
    private let synthArgs = ""
    private let trainArgs = ""

    func testTrainJobWithTwoTasksWritesMetricsAndCheckpoint() throws {
        try Slurm.requireCluster()
        let bin = Slurm.product("swift-dist-train")
        // The SUBCOMMANDS section of --help lists each as "  name   abstract".
        let help = try runCommand(bin, ["--help"]).stdout.split(separator: "\n")
        for subcommand in ["synth", "preprocess", "train", "evaluate"] {
            guard help.contains(where: { $0.hasPrefix("  \(subcommand) ") }) else {
                throw XCTSkip("swift-dist-train has no `\(subcommand)` subcommand yet")
            }
        }
        let dir = try Slurm.temporaryDirectory()
        let data = dir.appendingPathComponent("acdc").path, store = dir.appendingPathComponent("acdc.h5").path
        let out = dir.appendingPathComponent("run").path
        let common = ["BIN": bin, "STORE": store]

        let pre = try Slurm.submit("jobs/preprocess.sbatch", environment: common.merging([
            "SYNTH": "1", "DATA": data, "SYNTH_ARGS": synthArgs]) { $1 },
            outputFile: dir.appendingPathComponent("preprocess.out"), timeout: 300)
        XCTAssertEqual(pre.status, 0, pre.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: store), pre.output)

        let train = try Slurm.submit("jobs/train.sbatch", ["--ntasks=2", "--cpus-per-task=1"],
                                     environment: common.merging([
                                         "OUT": out, "EPOCHS": "1", "BATCH": "2", "TRAIN_ARGS": trainArgs]) { $1 },
                                     outputFile: dir.appendingPathComponent("train.out"), timeout: 600)
        XCTAssertEqual(train.status, 0, train.output)
        let metrics = (try? String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8)) ?? ""
        XCTAssertEqual(metrics.split(separator: "\n").count, 1, "one epoch, one metrics line\n" + train.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/last.h5"), train.output)
        XCTAssertTrue(train.output.contains("rank 1/2 "), "doctor preflight saw both ranks\n" + train.output)

        let eval = try Slurm.submit("jobs/evaluate.sbatch", environment: common.merging([
            "CHECKPOINT": out + "/last.h5", "OUT": dir.appendingPathComponent("eval").path]) { $1 },
            outputFile: dir.appendingPathComponent("evaluate.out"), timeout: 300)
        XCTAssertEqual(eval.status, 0, eval.output)
    }
}
