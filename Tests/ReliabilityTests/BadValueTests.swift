import Foundation
import TestSupport
import XCTest

/// Flags and values a hostile or careless user gives: every one is refused up front with
/// exit 64 and one `error:` line naming the flag, nothing is written, nothing crashes.
final class BadValueTests: XCTestCase {
    /// Runs `arguments` and checks the promised refusal.
    func assertRefused(_ arguments: [String], naming flag: String, leavesNothingIn out: URL? = nil,
                       line: UInt = #line) throws {
        let result = try cli(arguments, timeout: 60)
        XCTAssertEqual(result.cleanFailureProblems(codes: [64], mentioning: flag), [], "\(arguments)", line: line)
        if let out {
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "\(arguments) created \(out.path)", line: line)
        }
    }

    /// `--lr 1e39` is a finite Double but infinite as a Float; NaN and negative weight decay,
    /// a Float-infinite or negative eps: each used to train (or fail late) instead of being refused.
    func testLearningRateWeightDecayAndEpsMustBeFiniteFloats() throws {
        let fixture = try TinyFixture.shared()
        let cases: [(String, String)] = [
            ("--lr=1e39", "--lr"), ("--lr=1e-50", "--lr"), ("--lr=nan", "--lr"), ("--lr=-1", "--lr"),
            ("--weight-decay=nan", "--weight-decay"), ("--weight-decay=-1", "--weight-decay"),
            ("--weight-decay=1e39", "--weight-decay"), ("--eps=1e39", "--eps"), ("--eps=nan", "--eps"),
            ("--eps=-1", "--eps"), ("--mime-a=nan", "--mime-a"),
        ]
        for (value, flag) in cases {
            let out = try fixture.scratch("value").appendingPathComponent("run")
            try assertRefused(["train", "--store", fixture.store, "--epochs", "1", "--max-steps", "1", "--batch", "2",
                               value, "--out", out.path], naming: flag, leavesNothingIn: out)
        }
        let out = try fixture.scratch("value").appendingPathComponent("run")
        try assertRefused(["experiment", "--store", fixture.store, "--lr=1e39", "--epochs", "1", "--max-steps", "1",
                           "--out", out.path], naming: "--lr",
                          leavesNothingIn: out)
    }

    /// Sizes whose arithmetic used to overflow (trap), exhaust memory (trap) or crash a library
    /// (libgomp with a million threads) are bounded before anything is allocated.
    func testSizesAreBounded() throws {
        let fixture = try TinyFixture.shared()
        let train = ["train", "--store", fixture.store, "--epochs", "1", "--max-steps", "1"]
        let cases: [([String], String)] = [
            (train + ["--batch", "4611686018427387904"], "--batch"),
            (train + ["--batch", "2", "--accumulate", "9223372036854775000"], "--accumulate"),
            (train + ["--batch", "2", "--threads", "1000000"], "--threads"),
            (train + ["--batch", "2", "--threads", "0"], "--threads"),
            (train + ["--batch", "2", "--checksum-every=-1"], "--checksum-every"),
            (["predict", "--checkpoint", fixture.checkpoint, "--in", fixture.nifti, "--batch", "100000000"], "--batch"),
            (["bench", "model", "--batch", "4611686018427387904"], "--batch"),
            (["model", "--summary", "--size", "1073741824"], "--size"),
            (["decompose", "--store", fixture.store, "--threads", "1000000"], "--threads"),
        ]
        for (arguments, flag) in cases {
            let out = try fixture.scratch("size").appendingPathComponent("out")
            try assertRefused(arguments + (arguments[0] == "train" || arguments[0] == "predict" ? ["--out", out.path] : []),
                              naming: flag, leavesNothingIn: out)
        }
        // synth used to die allocating 8 PB after creating its directory.
        let synth = try fixture.scratch("synth").appendingPathComponent("nifti")
        try assertRefused(["synth", "--dataset", "acdc", "--out", synth.path, "--patients", "1", "--width", "100000",
                           "--slices", "100000"], naming: "--width", leavesNothingIn: synth)
        try assertRefused(["synth", "--dataset", "wmh", "--out", synth.path, "--patients", "1000000000"],
                          naming: "--patients", leavesNothingIn: synth)
    }

    /// `--size 60` used to make a store that `train` rejected later without naming it, and
    /// `--size 100000` failed with "cannot create dataset ... (does it exist already?)".
    func testPreprocessSizeMustBeABoundedMultipleOfEight() throws {
        let fixture = try TinyFixture.shared()
        for (size, patch) in [("60", nil), ("100000", nil), ("64", "36"), ("0", nil)] as [(String, String?)] {
            let out = try fixture.scratch("size").appendingPathComponent("store.h5")
            try assertRefused(["preprocess", "--dataset", "acdc", "--in", fixture.nifti, "--out", out.path, "--size", size]
                              + (patch.map { ["--patch", $0] } ?? []),
                              naming: patch == nil ? "--size" : "--patch", leavesNothingIn: out)
        }
    }

    /// An empty or root-like `--out` used to write config.json, metrics.jsonl and checkpoints
    /// (or per_volume.csv and summary.json) into `/`.
    func testEmptyOrRootOutputDirectoryIsRefused() throws {
        let fixture = try TinyFixture.shared()
        let before = try FileManager.default.contentsOfDirectory(atPath: "/")
        for out in ["", "/", "//", "/tmp/.."] {
            try assertRefused(["train", "--store", fixture.store, "--epochs", "1", "--max-steps", "1", "--batch", "2",
                               "--out", out], naming: "--out")
            try assertRefused(["evaluate", "--checkpoint", fixture.checkpoint, "--store", fixture.store, "--out", out],
                              naming: "--out")
            try assertRefused(["experiment", "--store", fixture.store, "--epochs", "1", "--out", out], naming: "--out")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "/"), before, "something was written into /")
    }

    /// A bad value exits 64 whichever flag it is: the parser's own errors and the program's checks alike.
    func testEveryBadValueExits64() throws {
        let fixture = try TinyFixture.shared()
        let cases: [([String], String)] = [
            (["train", "--store", fixture.store, "--batch", "x"], "--batch"),
            (["train", "--store", fixture.store, "--batch", "0"], "--batch"),
            (["train", "--store", fixture.store, "--epochs", "0"], "--epochs"),
            (["train", "--store", fixture.store, "--loss", "bogus"], "--loss"),
            (["train", "--store", fixture.store, "--dice-scope", "bogus"], "--dice-scope"),
            (["train", "--store", fixture.store, "--nonfinite", "maybe"], "--nonfinite"),
            (["preprocess", "--dataset", "bogus", "--in", fixture.nifti, "--out", "x.h5"], "--dataset"),
            (["preprocess", "--dataset", "acdc", "--in", fixture.nifti, "--out", "x.h5", "--split", "1,2"], "--split"),
            (["synth", "--dataset", "bogus", "--out", "x"], "--dataset"),
            (["evaluate", "--checkpoint", fixture.checkpoint, "--store", fixture.store, "--split", "bogus"], "--split"),
            (["bench", "io", "--store", fixture.store, "--split", "bogus"], "--split"),
            (["decompose", "--store", fixture.store, "--split", "bogus"], "--split"),
            (["experiment", "--dataset", "bogus"], "--dataset"),
        ]
        for (arguments, flag) in cases {
            let result = try cli(arguments, timeout: 60)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
            XCTAssertFalse(result.crashed, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(flag), "\(arguments) does not name \(flag): \(result.stderr)")
        }
    }
}
