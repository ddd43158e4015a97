import Foundation
import HDF5
import TestSupport
import XCTest

/// SIGTERM and SIGKILL while each writer has its temporary file open: after SIGTERM no
/// temporary file is left; after SIGKILL the previous file is intact byte for byte.
final class SignalTests: XCTestCase {
    var fixture: TinyFixture!

    override func setUpWithError() throws {
        fixture = try TinyFixture.shared()
    }

    /// Starts the tool with `arguments` in the background.
    func start(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = Products.executable("swift-dist-train")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["OMP_NUM_THREADS": "1"].merging(environment) { $1 }) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Waits (at most a minute) until `directory` holds a temporary file (of `name`, when
    /// given), or the process ends.
    func waitForTemporaryFile(in directory: String, named name: String = "", of process: Process) -> Bool {
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline {
            if temporaryFiles(in: directory).contains(where: { $0.hasPrefix(name) }) { return true }
            usleep(2_000)
        }
        return false
    }

    func waitForExit(_ process: Process, line: UInt = #line) {
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        XCTAssertFalse(process.isRunning, "did not end after the signal", line: line)
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// The case: SIGTERM during `preprocess` left `STORE.h5.tmp-PID` behind.
    func testSIGTERMDuringPreprocessLeavesNoTemporaryFile() throws {
        let dir = try fixture.scratch("sigterm")
        let nifti = dir.appendingPathComponent("nifti").path
        try cli(["synth", "--dataset", "acdc", "--out", nifti, "--patients", "8"]).requireSuccess("synth")
        let out = dir.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let process = try start(["preprocess", "--dataset", "acdc", "--in", nifti, "--out", out.path + "/store.h5",
                                 "--size", "512"])
        XCTAssertTrue(waitForTemporaryFile(in: out.path, of: process), "no temporary store appeared")
        kill(process.processIdentifier, SIGTERM)
        waitForExit(process)
        XCTAssertNotEqual(process.terminationStatus, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), [])
    }

    /// Each writer, held with its temporary file written (`SDT_TEST_WRITE_DELAY` seconds), gets
    /// SIGTERM (no temporary file left) or SIGKILL (the previous output left byte for byte).
    func testSignalsDuringEachWriter() throws {
        let dir = try fixture.scratch("writers")
        let scan = fixture.nifti + "/patient001/patient001_frame01.nii.gz"
        let writers: [(name: String, output: String, arguments: [String])] = [
            ("store", "store.h5", ["preprocess", "--dataset", "acdc", "--in", fixture.nifti, "--size", "32", "--out"]),
            ("evaluation", "eval/summary.json", ["evaluate", "--checkpoint", fixture.checkpoint, "--store", fixture.store, "--out"]),
            ("NIfTI", "seg.nii.gz", ["predict", "--checkpoint", fixture.checkpoint, "--in", scan, "--out"]),
            ("checkpoint", "run/last.h5", ["train", "--store", fixture.store, "--epochs", "3", "--max-steps", "1",
                                          "--batch", "2", "--resume", "--out"]),
        ]
        for (name, output, arguments) in writers {
            for signal in [SIGTERM, SIGKILL] {
                let work = dir.appendingPathComponent("\(name)-\(signal)")
                try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
                let target = work.appendingPathComponent(output)
                let argument = output.contains("/") ? work.appendingPathComponent(String(output.split(separator: "/")[0])) : target
                // A complete earlier output to protect.
                if name == "checkpoint" {
                    try cli(["train", "--store", fixture.store, "--epochs", "1", "--max-steps", "1", "--batch", "2",
                             "--out", argument.path]).requireSuccess("train")
                } else {
                    try cli(arguments + [argument.path]).requireSuccess(name)
                }
                let previous = try Data(contentsOf: target)
                let process = try start(arguments + [argument.path], environment: ["SDT_TEST_WRITE_DELAY": "2"])
                let folder = target.deletingLastPathComponent().path
                XCTAssertTrue(waitForTemporaryFile(in: folder, named: target.lastPathComponent + ".tmp-", of: process), "\(name): no temporary file appeared")
                kill(process.processIdentifier, signal)
                waitForExit(process)
                if signal == SIGTERM {
                    XCTAssertEqual(temporaryFiles(in: folder), [], "\(name): SIGTERM left a temporary file")
                    if name == "checkpoint" {
                        // Training finishes the step, checkpoints and exits 0 on SIGTERM.
                        XCTAssertEqual(process.terminationStatus, 0, name)
                        XCTAssertNoThrow(try H5File.open(target.path).read("initial.conv.weight", as: Float.self), name)
                    } else {
                        XCTAssertEqual(try Data(contentsOf: target), previous, "\(name): SIGTERM changed the output")
                    }
                } else {
                    XCTAssertEqual(try Data(contentsOf: target), previous, "\(name): SIGKILL damaged the previous output")
                    // The next write of the same file removes the temporary file the killed process left.
                    if name != "checkpoint" {
                        try cli(arguments + [argument.path]).requireSuccess(name)
                        XCTAssertEqual(temporaryFiles(in: folder), [], "\(name): a killed writer's temporary file stayed")
                    }
                }
            }
        }
    }
}
