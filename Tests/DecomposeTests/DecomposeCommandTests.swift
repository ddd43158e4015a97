import Decompose
import Foundation
import Network
import TestSupport
import XCTest

/// `swift-dist-train decompose` end to end: tiny synthetic ACDC-like stores built by the real
/// CLI, the command under `mpirun` for 1, 2 and 4 ranks, the JSON report checked against the
/// paper's claim (Mime decomposes exactly over patches and ranks, the patch-wise Dice family
/// does not, the global scope recovers the whole-volume Dice).
final class DecomposeCommandTests: XCTestCase {
    /// Two stores of the same volumes: 16x16 sub-patches of 32x32 slices, and whole slices.
    struct Stores {
        let directory: URL
        let patch16: String
        let slice32: String
    }

    private static var built: Result<Stores, Error>?

    /// Builds the stores once for the whole class (synth + preprocess, well under a second).
    static func stores() throws -> Stores {
        if let built { return try built.get() }
        let result = Result { () throws -> Stores in
            let directory = try makeTemporaryDirectory("sdt-decompose")
            let nifti = directory.appendingPathComponent("nifti").path
            let stores = Stores(directory: directory, patch16: directory.appendingPathComponent("p16.h5").path,
                                slice32: directory.appendingPathComponent("s32.h5").path)
            try run(["synth", "--dataset", "acdc", "--out", nifti, "--patients", "3", "--width", "32", "--slices", "3"])
            try run(["preprocess", "--dataset", "acdc", "--in", nifti, "--out", stores.patch16, "--size", "32",
                     "--patch", "16", "--stride", "16"])
            try run(["preprocess", "--dataset", "acdc", "--in", nifti, "--out", stores.slice32, "--size", "32"])
            return stores
        }
        built = result
        return try result.get()
    }

    override class func tearDown() {
        if case .success(let stores)? = built { try? FileManager.default.removeItem(at: stores.directory) }
        super.tearDown()
    }

    @discardableResult
    static func run(_ arguments: [String]) throws -> ProcessResult {
        let result = try runProcess(Products.executable("swift-dist-train"), arguments,
                                    environment: ["OMP_NUM_THREADS": "1"])
        guard result.status == 0 else {
            throw NSError(domain: "DecomposeTests", code: Int(result.status), userInfo: [
                NSLocalizedDescriptionKey: "swift-dist-train \(arguments.joined(separator: " ")) failed: \(result.stderr)"])
        }
        return result
    }

    /// `mpirun -n ranks swift-dist-train decompose ... --json`, decoded.
    func decompose(_ ranks: Int, _ arguments: [String], file: StaticString = #filePath,
                   line: UInt = #line) throws -> DecompositionReport {
        let result = try mpirun(ranks, "swift-dist-train", ["decompose"] + arguments + ["--json"])
        XCTAssertEqual(result.status, 0, "decompose failed: \(result.stderr)", file: file, line: line)
        return try DecompositionReport.decode(Data(result.stdout.utf8))
    }

    func row(_ report: DecompositionReport, _ loss: String, _ scope: String) throws -> SummaryRow {
        try XCTUnwrap(report.summary.first { $0.loss == loss && $0.scope == scope }, "no row \(loss) \(scope)")
    }

    /// Every error of the row at float rounding, every cosine at 1, nothing non-finite.
    func assertExact(_ row: SummaryRow, _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        let what = "\(row.loss) \(row.scope) \(context)"
        for (name, error) in [("value", row.worstValueError), ("logit gradient", row.worstLogitGradientError),
                              ("parameter gradient", row.worstParameterGradientError)] {
            XCTAssertLessThanOrEqual(error, 1e-5, "\(what): \(name) error", file: file, line: line)
        }
        XCTAssertGreaterThanOrEqual(row.worstLogitGradientCosine, 1 - 1e-5, what, file: file, line: line)
        XCTAssertGreaterThanOrEqual(row.worstParameterGradientCosine, 1 - 1e-5, what, file: file, line: line)
        XCTAssertEqual(row.nonFinite, 0, what, file: file, line: line)
    }

    func testMimeDecomposesExactlyDiceOnlyInTheGlobalScope() throws {
        let stores = try Self.stores()
        var meanErrors: [String: [String: Double]] = [:]  // store -> loss -> patch-scope logit-gradient error at R = 1
        for (name, store) in [("16", stores.patch16), ("32", stores.slice32)] {
            var reference: DecompositionReport?
            for ranks in [1, 2, 4] {
                let report = try decompose(ranks, ["--store", store])
                let context = "patch \(name), \(ranks) rank(s)"
                XCTAssertEqual(report.ranks, ranks)
                XCTAssertEqual(report.volumes.count, 2, context)
                XCTAssertGreaterThan(report.patchesWithEmptyClass, 0, context)
                // Mime (and CE, with the volume's pixel count as normalizer) sum exactly.
                try assertExact(row(report, "mime", "sum"), context)
                try assertExact(row(report, "ce", "sum"), context)
                for loss in ["dice", "vnet", "gdl"] {
                    // Statistics summed over all patches and ranks before the ratio: the whole-volume loss.
                    try assertExact(row(report, loss, "global"), context)
                    // Each patch its own Dice: not the whole volume's loss nor its gradient.
                    let patch = try row(report, loss, "patch")
                    XCTAssertGreaterThan(patch.valueError, 1e-4, "\(loss) patch \(context)")
                    XCTAssertGreaterThan(patch.logitGradientError, 1e-2, "\(loss) patch \(context)")
                    XCTAssertGreaterThan(patch.parameterGradientError, 1e-3, "\(loss) patch \(context)")
                    XCTAssertLessThan(patch.logitGradientCosine, 0.999, "\(loss) patch \(context)")
                    XCTAssertEqual(patch.nonFinite, 0, "\(loss) patch \(context): eps 1e-10 keeps it finite")
                    if ranks == 1 { meanErrors[name, default: [:]][loss] = patch.logitGradientError }
                }
                // The per-patch pieces do not depend on how patches are dealt to ranks.
                if let reference {
                    for (a, b) in zip(reference.summary, report.summary) where a.scope == "patch" {
                        XCTAssertEqual(b.logitGradientError, a.logitGradientError,
                                       accuracy: 1e-4 * a.logitGradientError, "\(a.loss) \(context)")
                        XCTAssertEqual(b.valueError, a.valueError, accuracy: 1e-4 * a.valueError, "\(a.loss) \(context)")
                    }
                    for (a, b) in zip(reference.volumes, report.volumes) {
                        for (x, y) in zip(a.rows, b.rows) {
                            XCTAssertEqual(y.wholeValue, x.wholeValue, accuracy: 1e-6 * abs(x.wholeValue), "\(x.loss) \(context)")
                            // The whole volume's gradients, summed over however many ranks hold its patches.
                            XCTAssertEqual(y.wholeLogitGradientNorm, x.wholeLogitGradientNorm,
                                           accuracy: 1e-5 * x.wholeLogitGradientNorm, "\(x.loss) \(context)")
                            XCTAssertEqual(y.wholeParameterGradientNorm, x.wholeParameterGradientNorm,
                                           accuracy: 1e-5 * x.wholeParameterGradientNorm, "\(x.loss) \(context)")
                            XCTAssertGreaterThan(x.wholeParameterGradientNorm, 0, "\(x.loss) \(context)")
                        }
                    }
                } else {
                    reference = report
                }
            }
        }
        // Smaller patches: more of them miss a class, and the patch-wise Dice family drifts further.
        for loss in ["dice", "vnet", "gdl"] {
            XCTAssertGreaterThan(meanErrors["16"]![loss]!, meanErrors["32"]![loss]!, loss)
        }
    }

    func testEpsZeroCountsNonFiniteValues() throws {
        let stores = try Self.stores()
        let report = try decompose(2, ["--store", stores.patch16, "--eps", "0"])
        XCTAssertEqual(report.eps, 0)
        // GDL's weight 1/(Σ y)² is 1/0 on every patch missing a class: counted, never hidden.
        let gdl = try row(report, "gdl", "patch")
        XCTAssertGreaterThan(gdl.nonFinite, 0)
        XCTAssertTrue(gdl.valueError.isNaN)
        XCTAssertTrue(gdl.worstLogitGradientError.isNaN)
        // Every class is present in each volume, so the whole-volume and global GDL stay finite.
        XCTAssertTrue(report.volumes.allSatisfy { $0.classesAbsentFromVolume.isEmpty })
        XCTAssertEqual(gdl.wholeNonFinite, 0)
        try assertExact(row(report, "gdl", "global"), "eps 0")
        try assertExact(row(report, "mime", "sum"), "eps 0")
        // Dice and V-Net at eps 0: an empty class gives 0/Σs, finite while the random network's
        // probabilities do not underflow (docs/losses.md).
        XCTAssertEqual(try row(report, "dice", "patch").nonFinite, 0)
        XCTAssertEqual(try row(report, "vnet", "patch").nonFinite, 0)
    }

    /// A checkpoint of the seed-7 initialisation gives exactly the report of `--seed 7`.
    func testCheckpointWeightsAreUsed() throws {
        let stores = try Self.stores()
        let weights = stores.directory.appendingPathComponent("seed7.h5").path
        try ENet(inChannels: 1, classes: 4, seed: 7).saveWeights(to: weights)
        let fromSeed = try decompose(1, ["--store", stores.slice32, "--seed", "7", "--volumes", "1"])
        let fromFile = try decompose(1, ["--store", stores.slice32, "--checkpoint", weights, "--volumes", "1"])
        let seed0 = try decompose(1, ["--store", stores.slice32, "--volumes", "1"])
        XCTAssertEqual(fromFile.checkpoint, weights)
        XCTAssertEqual(fromFile.volumes, fromSeed.volumes)
        XCTAssertNotEqual(seed0.volumes[0].rows[0].wholeValue, fromSeed.volumes[0].rows[0].wholeValue)
        XCTAssertEqual(fromSeed.volumes.count, 1)
    }

    func testErrorsNameTheProblem() throws {
        let stores = try Self.stores()
        let tool = Products.executable("swift-dist-train")
        func failure(_ arguments: [String]) throws -> String {
            let result = try runProcess(tool, ["decompose"] + arguments)
            XCTAssertNotEqual(result.status, 0, arguments.joined(separator: " "))
            return result.stderr
        }
        let missing = stores.directory.appendingPathComponent("missing.h5").path
        XCTAssertTrue(try failure(["--store", missing]).contains("\(missing): no such file"))

        let wrong = stores.directory.appendingPathComponent("k3.h5").path
        try ENet(inChannels: 2, classes: 3).saveWeights(to: wrong)
        let mismatch = try failure(["--store", stores.slice32, "--checkpoint", wrong])
        XCTAssertTrue(mismatch.contains(wrong), mismatch)
        XCTAssertTrue(mismatch.contains("2 input channel(s) and 3 classes"), mismatch)
        XCTAssertTrue(mismatch.contains("the store has 1 channel(s) and 4 classes"), mismatch)

        // A store whose test split is empty (every patient in train).
        let nifti = stores.directory.appendingPathComponent("nifti").path
        let trainOnly = stores.directory.appendingPathComponent("train-only.h5").path
        try Self.run(["preprocess", "--dataset", "acdc", "--in", nifti, "--out", trainOnly, "--size", "32",
                      "--split", "100,0,0"])
        XCTAssertTrue(try failure(["--store", trainOnly]).contains("\(trainOnly): the test split has no volumes"))
        XCTAssertTrue(try failure(["--store", stores.slice32, "--split", "all"]).contains("--split must be train, val or test"))
    }
}
