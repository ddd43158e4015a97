import Foundation
import HDF5
import TestSupport
import XCTest

/// A tiny ACDC-like store (16 training slices of 32x32) built once per test process
/// with the real `synth` and `preprocess` commands, removed at exit.
enum TinyStore {
    static let directory: URL = {
        do {
            let directory = try makeTemporaryDirectory("train")
            atexit { try? FileManager.default.removeItem(at: TinyStore.directory) }
            return directory
        } catch {
            preconditionFailure("cannot make a temporary directory: \(error)")
        }
    }()

    static let path: String = {
        let nifti = directory.appendingPathComponent("nifti").path
        let store = directory.appendingPathComponent("tiny.h5").path
        let tool = Products.executable("swift-dist-train")
        do {
            let synth = try runProcess(tool, ["synth", "--dataset", "acdc", "--out", nifti, "--patients", "4",
                                              "--width", "32", "--slices", "3"])
            precondition(synth.status == 0, synth.stderr)
            let preprocess = try runProcess(tool, ["preprocess", "--dataset", "acdc", "--in", nifti, "--out", store,
                                                   "--size", "32"])
            precondition(preprocess.status == 0, preprocess.stderr)
        } catch {
            preconditionFailure("cannot build the test store: \(error)")
        }
        return store
    }()
}

/// `train` end to end under real `mpirun` on `TinyStore`, and what its runs leave behind.
class TrainingTestCase: XCTestCase {
    let tool = Products.executable("swift-dist-train")

    func outDirectory(_ name: String) -> String {
        TinyStore.directory.appendingPathComponent("\(name)-\(UUID().uuidString)").path
    }

    /// `train` on `ranks` ranks (0: one process without mpirun), batch 2, seed 3, one thread.
    func train(ranks: Int, _ arguments: [String], timeout: Double = 180) throws -> ProcessResult {
        let common: [String] = ["train", "--store", TinyStore.path, "--batch", "2", "--seed", "3", "--threads", "1"]
        if ranks == 0 { return try runProcess(tool, common + arguments, environment: mpirunEnvironment, timeout: timeout) }
        return try mpirun(ranks, "swift-dist-train", common + arguments, timeout: timeout)
    }

    /// The learnable parameters of a checkpoint, and with `optimizer` Adam's moments
    /// (`trainer/adam_m`, `trainer/adam_v`). Running statistics are left out.
    func parameters(_ path: String, optimizer: Bool = false) throws -> [String: [Float]] {
        let file = try H5File.open(path)
        defer { file.close() }
        var tensors: [String: [Float]] = [:]
        for name in try file.children() where !name.hasSuffix("running_mean") && !name.hasSuffix("running_var")
            && name != "trainer" {
            tensors[name] = try file.read(name, as: Float.self)
        }
        if optimizer {
            for name in ["trainer/adam_m", "trainer/adam_v"] { tensors[name] = try file.read(name, as: Float.self) }
        }
        return tensors
    }

    /// The running statistics of a checkpoint.
    func runningStatistics(_ path: String) throws -> [String: [Float]] {
        let file = try H5File.open(path)
        defer { file.close() }
        var tensors: [String: [Float]] = [:]
        for name in try file.children() where name.hasSuffix("running_mean") || name.hasSuffix("running_var") {
            tensors[name] = try file.read(name, as: Float.self)
        }
        return tensors
    }

    /// Names of the tensors whose values differ in any bit (or that only one side has).
    func differingBits(_ a: [String: [Float]], _ b: [String: [Float]]) -> [String] {
        Set(a.keys).union(b.keys).filter { name in
            guard let x = a[name], let y = b[name] else { return true }
            return x.map(\.bitPattern) != y.map(\.bitPattern)
        }.sorted()
    }

    func relativeDifference(_ a: [String: [Float]], _ b: [String: [Float]]) -> Double {
        var diff = 0.0, norm = 0.0
        for (name, x) in a {
            guard let y = b[name], y.count == x.count else { return .infinity }
            for i in x.indices {
                diff += Double(x[i] - y[i]) * Double(x[i] - y[i])
                norm += Double(y[i]) * Double(y[i])
            }
        }
        return (diff / norm).squareRoot()
    }

    /// The epochs' lines of `out/metrics.jsonl` (event lines left out: `endRecord`).
    func metrics(_ out: String) throws -> [[String: Any]] {
        try metricsLines(out).filter { $0["event"] == nil }
    }

    /// The run's end record, the line with `"event":"end"`, if any.
    func endRecord(_ out: String) throws -> [String: Any]? {
        try metricsLines(out).last { $0["event"] as? String == "end" }
    }

    func metricsLines(_ out: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8)
        return try text.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    /// The initial weights of seed 3 (what the runs start from).
    func initialParameters() throws -> [String: [Float]] {
        let initial = outDirectory("init") + ".h5"
        let exported = try runProcess(tool, ["model", "--export-weights", initial, "--seed", "3"])
        XCTAssertEqual(exported.status, 0, exported.stderr)
        return try parameters(initial)
    }

    /// Starts a run of many epochs in the background; its standard error goes to `errors` if given.
    func startLongTraining(out: String, ranks: Int = 2, batch: Int = 2, _ extra: [String] = [],
                           errors: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mpirun")
        process.arguments = ["-n", "\(ranks)"] + (ranks > ProcessInfo.processInfo.activeProcessorCount ? ["--oversubscribe"] : [])
            + [tool.path, "train", "--store", TinyStore.path, "--batch", "\(batch)", "--epochs", "500", "--out", out,
               "--threads", "1"] + extra
        process.environment = ProcessInfo.processInfo.environment.merging(mpirunEnvironment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        if let errors {
            _ = FileManager.default.createFile(atPath: errors, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: errors)
        }
        try process.run()
        return process
    }

    /// Waits until `out/metrics.jsonl` has `epochs` lines (or two minutes pass).
    func waitForEpochs(_ epochs: Int, in out: String) {
        let deadline = Date().addingTimeInterval(120)
        while (try? metrics(out).count) ?? 0 < epochs && Date() < deadline { usleep(20_000) }
    }
}

/// Direct children of `pid` (the ranks mpirun started), from /proc.
func childProcesses(of pid: Int32) -> [Int32] {
    let path = "/proc/\(pid)/task/\(pid)/children"
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    return text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
}
