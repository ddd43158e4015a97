import Foundation

/// Runs the built `swift-dist-train` with one OpenMP thread (so runs compare bit for bit).
@discardableResult
public func cli(_ arguments: [String], environment: [String: String] = [:], timeout: Double = 180) throws -> ProcessResult {
    try runProcess(Products.executable("swift-dist-train"), arguments,
                   environment: ["OMP_NUM_THREADS": "1"].merging(environment) { $1 }, timeout: timeout)
}

/// A command that had to succeed did not.
public struct CommandFailed: Error, CustomStringConvertible {
    public let description: String
}

extension ProcessResult {
    /// Throws unless the process exited 0.
    public func requireSuccess(_ what: String) throws {
        guard status == 0, !signalled, !timedOut else {
            throw CommandFailed(description: "\(what) failed (status \(status)): \(stderr)\n\(stdout)")
        }
    }

    /// The lines of stderr that report an error (`error: ...`, with or without a rank prefix, or
    /// the argument parser's `Error: ...`).
    public var errorLines: [String] {
        stderr.split(separator: "\n").map(String.init).filter {
            $0.hasPrefix("error: ") || $0.hasPrefix("Error: ") || $0.contains("] error: ")
        }
    }

    /// Whether the process died rather than reporting: a signal, a Swift trap, a crash report,
    /// or HDF5's own diagnostic stack on stderr.
    public var crashed: Bool {
        signalled || ["Fatal error", "Program crashed", "HDF5-DIAG", "Segmentation fault"].contains { stderr.contains($0) }
    }

    /// What is wrong with this outcome for a command that must fail cleanly: it must exit with
    /// one of `codes`, without a crash or a timeout, with exactly one `error:` line naming
    /// `mentioning` (when given). Empty when the failure is the promised one.
    public func cleanFailureProblems(codes: Set<Int32> = [1, 64], mentioning: String? = nil) -> [String] {
        var problems: [String] = []
        if timedOut { problems.append("timed out") }
        if crashed { problems.append("crashed") }
        if !codes.contains(status) || signalled { problems.append("exit status \(status), expected one of \(codes.sorted())") }
        if errorLines.count != 1 { problems.append("\(errorLines.count) error lines, expected 1") }
        if let mentioning, !(errorLines.first ?? "").contains(mentioning) { problems.append("the error does not name \(mentioning)") }
        return problems.isEmpty ? [] : problems + ["stderr: \(stderr.suffix(1500))"]
    }
}

/// A tiny ACDC-like store (3 patients, 32x32 slices) and a checkpoint trained on it for 2
/// steps, built once through the CLI and shared by the tests of a target.
public final class TinyFixture {
    public let directory: URL
    public let store: String
    public let checkpoint: String
    public let nifti: String

    private init() throws {
        directory = try makeTemporaryDirectory("tiny")
        // Checkpoints add up (tens of MB per test run): remove the whole fixture when the tests end.
        Self.removeAtExit = directory.path
        atexit { if let path = TinyFixture.removeAtExit { try? FileManager.default.removeItem(atPath: path) } }
        nifti = directory.appendingPathComponent("nifti").path
        store = directory.appendingPathComponent("tiny.h5").path
        try cli(["synth", "--dataset", "acdc", "--out", nifti, "--patients", "3", "--width", "32", "--slices", "3"])
            .requireSuccess("synth")
        try cli(["preprocess", "--dataset", "acdc", "--in", nifti, "--out", store, "--size", "32"]).requireSuccess("preprocess")
        let run = directory.appendingPathComponent("run").path
        try cli(["train", "--store", store, "--epochs", "1", "--max-steps", "2", "--batch", "2", "--out", run])
            .requireSuccess("train")
        checkpoint = run + "/best.h5"
    }

    nonisolated(unsafe) static var removeAtExit: String?
    nonisolated(unsafe) private static var cached: Result<TinyFixture, Error>?
    private static let lock = NSLock()

    /// The shared fixture (built on first use).
    public static func shared() throws -> TinyFixture {
        lock.lock()
        defer { lock.unlock() }
        if cached == nil { cached = Result { try TinyFixture() } }
        return try cached!.get()
    }

    /// A fresh directory inside the fixture's.
    public func scratch(_ name: String) throws -> URL {
        let url = directory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Names of the files in `directory` that are temporary files of an atomic write (`*.tmp-*`).
public func temporaryFiles(in directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.contains(".tmp-") }
}
