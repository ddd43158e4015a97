import Benchmarks
import Foundation
import HDF5
@testable import PatchStore
import SyntheticData
import TestSupport
import XCTest

/// The real executable: synth -> preprocess -> inspect --validate, and a failing run.
final class CommandLineTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try makeTemporaryDirectory("cli") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func run(_ arguments: [String]) throws -> ProcessResult {
        try runProcess(Products.executable("swift-dist-train"), arguments, timeout: 120)
    }

    func testSynthPreprocessInspect() throws {
        let data = dir.appendingPathComponent("wmh").path, store = dir.appendingPathComponent("w.h5").path
        let synth = try run(["synth", "--dataset", "wmh", "--out", data, "--patients", "3", "--width", "32", "--slices", "4"])
        XCTAssertEqual(synth.status, 0, synth.stderr)
        let pre = try run(["preprocess", "--dataset", "wmh", "--in", data, "--out", store, "--size", "32",
                           "--patch", "16", "--stride", "8", "--workers", "2", "--modalities", "flair,t1"])
        XCTAssertEqual(pre.status, 0, pre.stderr)
        XCTAssertTrue(pre.stdout.contains("volumes/s"), pre.stdout)
        XCTAssertTrue(pre.stderr.contains("preprocess: 3/3 volumes"), "plain progress lines when not a terminal: \(pre.stderr)")
        let inspect = try run(["inspect", store, "--validate", "--json"])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        let report = try JSONDecoder().decode(StoreInspection.self, from: Data(inspect.stdout.utf8))
        XCTAssertEqual(report.violations, [])
        let summary = try XCTUnwrap(report.summary)
        XCTAssertEqual(summary.channelNames, ["flair", "t1"])
        XCTAssertEqual(summary.splits.map(\.volumes), [1, 1, 1])
        XCTAssertEqual(summary.splits[0].patches, 4 * 9)          // 4 slices x 3x3 patches (origins 0, 8, 16)
        for s in summary.splits { XCTAssertEqual(s.classFractions.reduce(0, +), 1, accuracy: 1e-9) }
        let text = try run(["inspect", store])
        XCTAssertTrue(text.stdout.contains("Mime weights (train):"), text.stdout)

        // A store missing a dataset: --validate still lists the violations, and exits 1.
        do {
            let file = try H5File.open(store, writable: true)
            try file.removeLink("test/patch_slice")
        }
        let broken = try run(["inspect", store, "--validate"])
        XCTAssertEqual(broken.status, 1)
        XCTAssertTrue(broken.stdout.contains("- test/patch_slice: missing required dataset"), broken.stdout)
        XCTAssertTrue(broken.stderr.contains("error: \(store): "), broken.stderr)
    }

    func testFailureExitsNonZeroNamingTheFile() throws {
        let data = dir.appendingPathComponent("acdc"), store = dir.appendingPathComponent("a.h5").path
        _ = try Synth.generate(.acdc, to: data.path, count: 2, width: 32, slices: 3)
        let gt = data.appendingPathComponent("patient001/patient001_frame01_gt.nii.gz").path
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: gt))
        let result = try run(["preprocess", "--dataset", "acdc", "--in", data.path, "--out", store, "--size", "32"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("error: \(gt): not a NIfTI file"), result.stderr)
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir.path).contains { $0.hasPrefix("a.h5") })
        let inspect = try run(["inspect", gt])
        XCTAssertEqual(inspect.status, 1)
        XCTAssertTrue(inspect.stderr.contains(gt), inspect.stderr)
    }

    func testIOBenchmarkReadsEveryPatch() throws {
        try Fixtures.pairs(in: dir.appendingPathComponent("p"), count: 3)
        let store = dir.appendingPathComponent("p.h5")
        try Fixtures.preprocess(.pairs, input: dir.appendingPathComponent("p"), output: store, size: 16, patch: 8)
        let n = try PatchStoreReader(path: store.path).count(.train)
        let result = try IOBenchmark.run(store: store.path, reads: 2 * n + 1)
        XCTAssertEqual(result.patches, 2 * n + 1)
        XCTAssertEqual(result.patchShape, [1, 8, 8])
        XCTAssertGreaterThan(result.patchesPerSecond, 0)
    }
}

extension CommandLineTests {
    /// On a terminal (a pty from util-linux `script`) progress is a bar redrawn with carriage returns.
    func testProgressBarOnATerminal() throws {
        let script = URL(fileURLWithPath: "/usr/bin/script")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: script.path), "util-linux script not installed")
        let data = dir.appendingPathComponent("acdc").path, store = dir.appendingPathComponent("a.h5").path
        _ = try Synth.generate(.acdc, to: data, count: 3, width: 32, slices: 3)
        let command = [Products.executable("swift-dist-train").path, "preprocess", "--dataset", "acdc", "--in", data,
                       "--out", store, "--size", "32"].joined(separator: " ")
        let result = try runProcess(script, ["-qec", command, "/dev/null"])
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        XCTAssertTrue(result.stdout.contains("\rpreprocess [##############################] 6/6 volumes"), result.stdout)
        XCTAssertTrue(result.stdout.contains("volumes/s"), result.stdout)
    }
}
