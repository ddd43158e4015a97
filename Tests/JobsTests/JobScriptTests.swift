import Foundation
import XCTest

struct TimedOut: Error, CustomStringConvertible { var description: String }

/// The jobs/ scripts on the local cluster, with a fake program (FakeProgram) as BIN: what
/// each rank is started with (subcommand, flags, rank, world size, threads), and the
/// checkpoint-before-time-limit / requeue / --resume cycle.
final class JobScriptTests: XCTestCase {
    private var dir: URL!
    private var log: URL!
    private var fake: String!

    override func setUpWithError() throws {
        try Slurm.requireCluster()
        dir = try Slurm.temporaryDirectory(for: self)
        log = dir.appendingPathComponent("calls.log")
        fake = try FakeProgram.install(in: dir)
    }

    private func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// The scripts' settings, empty (so the scripts use their defaults whatever the test
    /// runner's environment holds), plus the fake as BIN and `environment`.
    private func jobEnvironment(_ environment: [String: String]) -> [String: String] {
        let settings = ["STORE", "LOSS", "EPOCHS", "BATCH", "OUT", "OUT_ROOT", "TRAIN_ARGS", "RESUME", "PREFLIGHT",
                        "DATASET", "DATA", "SYNTH", "SYNTH_ARGS", "PREPROCESS_ARGS", "RUN", "CHECKPOINT", "SPLIT",
                        "EVALUATE_ARGS", "JOBS_DIR", "EXPERIMENT_ARGS", "ARRAY_LIMIT", "REPORT", "FAKE_CELLS", "FAKE_SINGLETON", "FAKE_WAIT_FOR_TERM", "FAKE_FAIL_ON_TERM"]
        let empty = Dictionary(uniqueKeysWithValues: settings.map { ($0, "") })
        return empty.merging(["BIN": fake, "FAKE_LOG": log.path, "SRUN_MPI": "pmix"]) { $1 }.merging(environment) { $1 }
    }

    private func submit(_ script: String, _ options: [String] = [], _ environment: [String: String] = [:],
                        timeout: Double = 90) throws -> Slurm.Job {
        try Slurm.submit(script, options, environment: jobEnvironment(environment),
                         outputFile: dir.appendingPathComponent("job.out"), timeout: timeout)
    }

    func testTrainStartsEveryRankWithTheTrainCommandLine() throws {
        let out = path("run")
        let job = try submit("jobs/train.sbatch", [], [
            "STORE": "/data/s.h5", "LOSS": "gdl", "EPOCHS": "3", "BATCH": "4", "OUT": out,
            "TRAIN_ARGS": "--lr 1e-3",
        ])
        XCTAssertEqual(job.status, 0, job.output)
        let args = "--store /data/s.h5 --loss gdl --epochs 3 --batch 4 --out \(out) --lr 1e-3"
        XCTAssertEqual(FakeProgram.calls(in: log), [
            "doctor rank=0/2 omp=1 restart=0 args=", "doctor rank=1/2 omp=1 restart=0 args=",
            "train rank=0/2 omp=1 restart=0 args=\(args)", "train rank=1/2 omp=1 restart=0 args=\(args)",
        ], job.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/metrics.jsonl"), job.output)
    }

    func testCpusPerTaskBecomeThreadsPerRank() throws {
        let job = try submit("jobs/train.sbatch", ["--ntasks=1", "--cpus-per-task=2"], ["OUT": path("run")])
        XCTAssertEqual(job.status, 0, job.output)
        let train = FakeProgram.calls(in: log).filter { $0.hasPrefix("train ") }
        XCTAssertEqual(train.map { $0.components(separatedBy: " args=")[0] }, ["train rank=0/1 omp=2 restart=0"], job.output)
    }

    func testSingletonWorldIsRefusedBeforeTraining() throws {
        let job = try submit("jobs/train.sbatch", [], ["OUT": path("run"), "FAKE_SINGLETON": "1"])
        XCTAssertNotEqual(job.status, 0, job.output)
        XCTAssertTrue(job.output.contains("error: srun did not start one MPI job of 2 ranks"), job.output)
        XCTAssertEqual(FakeProgram.calls(in: log).filter { $0.hasPrefix("train ") }, [], job.output)
    }

    /// A real time limit: with --time=1 --signal=B:USR1@55 Slurm sends USR1 to the batch
    /// script near the limit (Slurm checks limits about every 30 s, so 5-35 s after the start);
    /// the ranks get SIGTERM and checkpoint, the job requeues itself, and the restart resumes.
    func testTimeLimitSignalCheckpointsRequeuesAndResumes() throws {
        let out = path("run")
        let submitted = try runCommand("sbatch", ["--parsable", "--time=1", "--signal=B:USR1@55",
                                                  "--output=\(path("job.out"))", "jobs/train.sbatch"],
                                       environment: jobEnvironment(["OUT": out, "FAKE_WAIT_FOR_TERM": "1",
                                                                    "PREFLIGHT": "0"]),
                                       in: Slurm.root)
        XCTAssertEqual(submitted.status, 0, submitted.output)
        let id = submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? runCommand("scancel", [id]) }
        // The requeued job may start again after AuthInfo=cred_expire (10 s on slurm-local).
        try waitFor("job \(id) to be signalled, requeued and completed", timeout: 100) {
            try Slurm.hasEnded(Slurm.states(id))
        }
        let state = try runCommand("scontrol", ["show", "job", id]).stdout
        let output = (try? String(contentsOfFile: path("job.out"), encoding: .utf8)) ?? ""
        XCTAssertTrue(state.contains("JobState=COMPLETED") && state.contains("Restarts=1"), state + output)
        let args = "--store data/acdc.h5 --loss mime --epochs 100 --batch 8 --out \(out)"
        XCTAssertEqual(FakeProgram.calls(in: log), [
            "checkpointed rank=0", "checkpointed rank=1",
            "train rank=0/2 omp=1 restart=0 args=\(args)", "train rank=0/2 omp=1 restart=1 args=\(args) --resume",
            "train rank=1/2 omp=1 restart=0 args=\(args)", "train rank=1/2 omp=1 restart=1 args=\(args) --resume",
        ], output)
        XCTAssertTrue(output.contains("time limit near: asking the ranks to checkpoint"), output)
        XCTAssertTrue(output.contains("checkpoint written; requeueing job \(id) to resume"), output)
    }

    /// A trainer that fails while checkpointing must not be requeued (it would fail again,
    /// forever). USR1 is sent by hand here, as Slurm would near the time limit.
    func testFailedCheckpointIsNotRequeued() throws {
        let out = path("run")
        let submitted = try runCommand("sbatch", ["--parsable", "--output=\(path("job.out"))", "jobs/train.sbatch"],
                                       environment: jobEnvironment(["OUT": out, "FAKE_WAIT_FOR_TERM": "1",
                                                                    "FAKE_FAIL_ON_TERM": "1", "PREFLIGHT": "0"]),
                                       in: Slurm.root)
        XCTAssertEqual(submitted.status, 0, submitted.output)
        let id = submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? runCommand("scancel", [id]) }
        try waitFor("both ranks to start training", timeout: 30) {
            (0..<2).allSatisfy { FileManager.default.fileExists(atPath: "\(out)/started.\($0)") }
        }
        XCTAssertEqual(try runCommand("scancel", ["--batch", "--signal=USR1", id]).status, 0)
        try waitFor("job \(id) to end", timeout: 30) {
            try Slurm.hasEnded(Slurm.states(id))
        }
        let state = try runCommand("scontrol", ["show", "job", id]).stdout
        let output = (try? String(contentsOfFile: path("job.out"), encoding: .utf8)) ?? ""
        XCTAssertTrue(state.contains("JobState=FAILED") && state.contains("Restarts=0"), state + output)
        XCTAssertTrue(output.contains("the ranks ended with status 1 and \(out)/last.h5 is missing; not requeueing"), output)
    }

    /// Run with bash, the script counts the cells (`experiment --list-cells`), submits itself as
    /// an array of that size and the report job after it; each task runs `experiment --task I`.
    func testTable1ArraySubmitsOneTaskPerCellThenTheReport() throws {
        let root = path("table1")
        let environment = jobEnvironment(["OUT_ROOT": root, "PREFLIGHT": "0", "FAKE_CELLS": "3",
                                          "EXPERIMENT_ARGS": "--seeds 1", "SBATCH_OUTPUT": path("job-%j.out")])
        let submitted = try runCommand("bash", ["jobs/table1-array.sbatch"], environment: environment, in: Slurm.root)
        XCTAssertEqual(submitted.status, 0, submitted.output)
        let ids = submitted.stdout.split(separator: "\n").compactMap { line in
            line.split(separator: " ").dropFirst(2).first.map { String($0.prefix { $0 != ":" }) }
        }
        XCTAssertEqual(ids.count, 2, submitted.output)
        defer { for id in ids { _ = try? runCommand("scancel", [id]) } }
        XCTAssertTrue(submitted.stdout.contains("3 cells into \(root)/runs"), submitted.output)
        try waitFor("the array and the report job to end", timeout: 120) {
            try ids.allSatisfy { try Slurm.hasEnded(Slurm.states($0)) }
        }
        let states = try ids.flatMap { try Slurm.states($0) }
        let outputs = (try? FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("job-") }
            .map { (try? String(contentsOfFile: path($0), encoding: .utf8)) ?? "" }.joined(separator: "\n")) ?? ""
        XCTAssertEqual(states, ["COMPLETED", "COMPLETED", "COMPLETED", "COMPLETED"], outputs)
        let common = "--dataset acdc --out \(root) --store data/acdc.h5 --seeds 1"
        let tasks = (0..<3).flatMap { task in (0..<2).map { "experiment rank=\($0)/2 omp=1 restart=0 args=\(common) --task \(task)" } }
        XCTAssertEqual(FakeProgram.calls(in: log).filter { $0.contains("--task") || $0.contains("--merge") },
                       (tasks + ["experiment rank=0/1 omp=2 restart=0 args=--merge \(common)"]).sorted(), outputs)
        for cell in 0..<3 {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(root)/runs/cell\(cell)/result.json"), "cell \(cell)")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/report.md"), outputs)
    }

    /// Submitted by hand: the tasks given run; without --array the job stops with a clear error.
    func testTable1ArrayByHandRunsTheTasksGiven() throws {
        let root = path("table1")
        let job = try submit("jobs/table1-array.sbatch", ["--array=1"], ["OUT_ROOT": root, "PREFLIGHT": "0", "FAKE_CELLS": "2"])
        XCTAssertEqual(job.status, 0, job.output)
        XCTAssertEqual(FakeProgram.calls(in: log).filter { $0.contains("--task") }, (0..<2).map {
            "experiment rank=\($0)/2 omp=1 restart=0 args=--dataset acdc --out \(root) --store data/acdc.h5 --task 1"
        }, job.output)
        let outside = try submit("jobs/table1-array.sbatch", ["--array=2"], ["OUT_ROOT": root, "PREFLIGHT": "0", "FAKE_CELLS": "2"])
        XCTAssertNotEqual(outside.status, 0, outside.output)
        XCTAssertTrue(outside.output.contains("error: array index 2 is not a cell"), outside.output)
        let single = try submit("jobs/table1-array.sbatch", [], ["OUT_ROOT": root, "PREFLIGHT": "0"])
        XCTAssertNotEqual(single.status, 0, single.output)
        XCTAssertTrue(single.output.contains("not an array task"), single.output)
    }

    /// One node here, so the multi-node script runs with its allocation overridden to 1 node.
    func testMultinodeScriptRunsTrainOverItsAllocation() throws {
        let out = path("run")
        let job = try submit("jobs/train-multinode.sbatch", ["--nodes=1", "--ntasks-per-node=2", "--cpus-per-task=1"],
                             ["OUT": out, "LOSS": "dice"])
        XCTAssertEqual(job.status, 0, job.output)
        let train = FakeProgram.calls(in: log).filter { $0.hasPrefix("train ") }
        XCTAssertEqual(train, (0..<2).map {
            "train rank=\($0)/2 omp=1 restart=0 args=--store data/acdc.h5 --loss dice --epochs 100 --batch 8 --out \(out)"
        }, job.output)
    }

    func testPreprocessSynthesisesThenPreprocesses() throws {
        let data = path("acdc"), store = path("stores/acdc.h5")
        let job = try submit("jobs/preprocess.sbatch", [], ["SYNTH": "1", "DATA": data, "STORE": store])
        XCTAssertEqual(job.status, 0, job.output)
        // Calls sort alphabetically: preprocess before synth (the job runs synth first).
        XCTAssertEqual(FakeProgram.calls(in: log), [
            "preprocess rank=0/1 omp=2 restart=0 args=--dataset acdc --in \(data) --out \(store)",
            "synth rank=0/1 omp=2 restart=0 args=--dataset acdc --out \(data)",
        ], job.output)
        XCTAssertTrue(job.output.contains("generating the synthetic acdc dataset"), job.output)
    }

    func testPreprocessWithoutInputFailsClearly() throws {
        let job = try submit("jobs/preprocess.sbatch", [], ["DATA": path("missing")])
        XCTAssertNotEqual(job.status, 0, job.output)
        XCTAssertTrue(job.output.contains("error: input directory \(path("missing")) does not exist"), job.output)
        XCTAssertEqual(FakeProgram.calls(in: log), [], job.output)
    }

    func testEvaluateScoresTheRunsBestCheckpoint() throws {
        let runDir = path("run")
        try FileManager.default.createDirectory(atPath: runDir, withIntermediateDirectories: true)
        try Data("weights".utf8).write(to: URL(fileURLWithPath: runDir + "/best.h5"))
        let job = try submit("jobs/evaluate.sbatch", [], ["RUN": runDir, "STORE": "/data/s.h5"])
        XCTAssertEqual(job.status, 0, job.output)
        XCTAssertEqual(FakeProgram.calls(in: log), [
            "evaluate rank=0/1 omp=2 restart=0 args=--checkpoint \(runDir)/best.h5 --store /data/s.h5 --split test --out \(runDir)/eval-test",
        ], job.output)
    }

    func testEvaluateWithoutCheckpointFailsClearly() throws {
        let job = try submit("jobs/evaluate.sbatch", [], ["RUN": path("no-run")])
        XCTAssertNotEqual(job.status, 0, job.output)
        XCTAssertTrue(job.output.contains("error: checkpoint \(path("no-run"))/best.h5 does not exist"), job.output)
    }

    /// Polls `condition` every 0.2 s; fails the test after `timeout` seconds.
    private func waitFor(_ what: String, timeout: Double, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try !condition() {
            if Date() > deadline { throw TimedOut(description: "timed out after \(timeout)s waiting for \(what)") }
            usleep(200_000)
        }
    }
}
