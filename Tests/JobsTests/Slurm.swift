import Foundation
import XCTest

// A small process helper of its own (TestSupport's runProcess does the same; the integrator
// may switch to it) plus what the Slurm tests share: where things are, and submitting a job
// and waiting for its end.

/// The outcome of a finished process.
struct Finished {
    var status: Int32
    var stdout: String
    var stderr: String
    var timedOut: Bool
    /// Everything the process printed, for failure messages.
    var output: String { "exit \(status)\(timedOut ? " (timed out)" : "")\n\(stdout)\n\(stderr)" }
}

/// Bytes read from a pipe on another thread (read only after the reader finished).
private final class Sink: @unchecked Sendable { var data = Data() }

/// Runs `command` (looked up on PATH) and waits at most `timeout` seconds, then kills it.
func runCommand(_ command: String, _ arguments: [String], environment: [String: String] = [:],
         in directory: URL? = nil, timeout: Double = 60) throws -> Finished {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [command] + arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    if let directory { process.currentDirectoryURL = directory }
    process.standardInput = FileHandle.nullDevice
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    // Drain both pipes while the process runs, so a chatty child never blocks on a full pipe.
    let outSink = Sink(), errSink = Sink(), group = DispatchGroup()
    for (pipe, sink) in [(out, outSink), (err, errSink)] {
        group.enter()
        DispatchQueue.global().async { sink.data = pipe.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    }
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    var timedOut = false
    while process.isRunning {
        if Date() > deadline {
            timedOut = true
            process.terminate()
            break
        }
        usleep(20_000)
    }
    process.waitUntilExit()
    group.wait()
    return Finished(status: process.terminationStatus,
                    stdout: String(decoding: outSink.data, as: UTF8.self),
                    stderr: String(decoding: errSink.data, as: UTF8.self), timedOut: timedOut)
}

enum Slurm {
    /// The repository root (jobs/ is submitted from there, as a user would).
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The build products directory (where `swift-dist-train` and `mpi-check` are).
    static let products: URL = {
        // On Linux the test bundle is an executable inside the products directory.
        var url = Bundle.main.bundleURL
        if url.pathExtension != "xctest" { url = URL(fileURLWithPath: CommandLine.arguments[0]) }
        return url.deletingLastPathComponent()
    }()

    static func product(_ name: String) -> String { products.appendingPathComponent(name).path }

    /// Skips the calling test unless SDT_SLURM_TESTS=1 (scripts/test-slurm sets it after
    /// starting a local cluster with scripts/slurm-local).
    static func requireCluster() throws {
        guard ProcessInfo.processInfo.environment["SDT_SLURM_TESTS"] == "1" else {
            throw XCTSkip("Slurm tests run only with SDT_SLURM_TESTS=1 (scripts/test-slurm)")
        }
    }

    /// A fresh directory for one test's files (job output, run directories), removed after
    /// `test` unless SDT_KEEP_TEST_FILES=1.
    static func temporaryDirectory(for test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sdt-jobs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        if ProcessInfo.processInfo.environment["SDT_KEEP_TEST_FILES"] != "1" {
            test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        }
        return url
    }

    /// A finished batch job: its id, 0 when it (every task of an array) completed, and its output.
    struct Job {
        var id: String
        var status: Int32
        var output: String
    }

    /// States a job (or array task) does not leave.
    static let endStates: Set<String> = ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
                                         "BOOT_FAIL", "DEADLINE", "PREEMPTED"]

    /// The JobState of job `id`, one per array task.
    static func states(_ id: String) throws -> [String] {
        try runCommand("scontrol", ["show", "job", "-o", id]).stdout.split(separator: "\n").compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("JobState=") }.map { String($0.dropFirst(9)) }
        }
    }

    /// Whether a job with these states (one per array task) has ended.
    static func hasEnded(_ states: [String]) -> Bool { !states.isEmpty && states.allSatisfy(endStates.contains) }

    /// Submits `script` from the repository root and returns when the job (every task of an
    /// array) has ended; a job still running after `timeout` is cancelled. Like `sbatch --wait`,
    /// but polling every 0.2 s (sbatch --wait polls every 2 to 10 s, which made the suite
    /// several times slower). `options` are extra sbatch flags; the job's stdout and stderr
    /// go to `outputFile`.
    static func submit(_ script: String, _ options: [String] = [], environment: [String: String] = [:],
                       outputFile: URL, timeout: Double = 90) throws -> Job {
        let submitted = try runCommand("sbatch", ["--parsable", "--output=\(outputFile.path)"] + options + [script],
                                       environment: environment, in: root, timeout: 30)
        guard submitted.status == 0 else { return Job(id: "", status: submitted.status, output: submitted.output) }
        // --parsable prints "id" or "id;cluster".
        let id = String(submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines).prefix { $0 != ";" })
        let deadline = Date().addingTimeInterval(timeout)
        var states = try self.states(id)
        while !hasEnded(states) {
            if Date() > deadline {
                _ = try? runCommand("scancel", [id])
                XCTFail("job \(id) (\(script)) still \(states) after \(timeout)s; cancelled")
                break
            }
            usleep(200_000)
            states = try self.states(id)
        }
        let text = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
        let completed = !states.isEmpty && states.allSatisfy { $0 == "COMPLETED" }
        return Job(id: id, status: completed ? 0 : 1, output: text + "\n[job \(id): \(states.joined(separator: ","))]")
    }

    /// Writes a batch script made of `lines` into `directory` and returns its path.
    static func script(_ lines: [String], in directory: URL) throws -> String {
        let url = directory.appendingPathComponent("job.sh")
        try (["#!/usr/bin/env bash", "set -euo pipefail"] + lines).joined(separator: "\n")
            .appending("\n").write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }
}
