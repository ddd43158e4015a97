import Foundation
import PatchStore
import TestSupport
import XCTest

/// Runs the built `swift-dist-train` with one OpenMP thread (so runs compare bit for bit).
@discardableResult
func cli(_ arguments: [String], timeout: Double = 180) throws -> ProcessResult {
    try runProcess(Products.executable("swift-dist-train"), arguments, environment: ["OMP_NUM_THREADS": "1"],
                   timeout: timeout)
}

/// Fails the test unless the process succeeded.
func assertSucceeded(_ result: ProcessResult, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(result.status, 0, "\(what) failed: \(result.stderr)\n\(result.stdout)", file: file, line: line)
}

/// A tiny ACDC-like store (3 patients, 32x32 slices) and a checkpoint trained on it for 2
/// steps, built once through the CLI and shared by the tests of this target.
final class TinyFixture {
    let directory: URL
    let store: String
    let checkpoint: String
    let nifti: String

    private init() throws {
        directory = try makeTemporaryDirectory("results")
        // Checkpoints add up (tens of MB per test run): remove the whole fixture when the tests end.
        Self.removeAtExit = directory.path
        atexit { if let path = TinyFixture.removeAtExit { try? FileManager.default.removeItem(atPath: path) } }
        nifti = directory.appendingPathComponent("nifti").path
        store = directory.appendingPathComponent("tiny.h5").path
        assertSucceeded(try cli(["synth", "--dataset", "acdc", "--out", nifti, "--patients", "3", "--width", "32", "--slices", "3"]), "synth")
        assertSucceeded(try cli(["preprocess", "--dataset", "acdc", "--in", nifti, "--out", store, "--size", "32"]), "preprocess")
        let run = directory.appendingPathComponent("run").path
        assertSucceeded(try cli(["train", "--store", store, "--epochs", "1", "--max-steps", "2", "--batch", "2", "--out", run]), "train")
        checkpoint = run + "/best.h5"
    }

    nonisolated(unsafe) static var removeAtExit: String?
    nonisolated(unsafe) private static var cached: Result<TinyFixture, Error>?
    private static let lock = NSLock()

    /// The shared fixture (built on first use).
    static func shared() throws -> TinyFixture {
        lock.lock()
        defer { lock.unlock() }
        if cached == nil { cached = Result { try TinyFixture() } }
        return try cached!.get()
    }

    /// A fresh directory inside the fixture's.
    func scratch(_ name: String) throws -> URL {
        let url = directory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Rows of a CSV text without its header.
func csvRows(_ path: String) throws -> [[String]] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    return text.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
}
