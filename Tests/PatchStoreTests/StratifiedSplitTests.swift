import Common
import Foundation
import HDF5
@testable import PatchStore
@testable import SyntheticData
import TestSupport
import XCTest

/// Splits stratified by class presence, the built-in recipes and `inspect`'s per-split class table.
final class StratifiedSplitTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try makeTemporaryDirectory("stratify") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    let fractions = [0.7, 0.1, 0.2]

    /// Today's split, copied from before stratification existed: the unstratified split must stay it.
    func referenceAssign(_ subjects: [String], fractions: [Double], seed: UInt64) -> [Split] {
        var unique: [String] = []
        var seen = Set<String>()
        for s in subjects where seen.insert(s).inserted { unique.append(s) }
        var rng = SplitMix64(seed: seed)
        rng.shuffle(&unique)
        let counts = SubjectSplit.sizes(unique.count, fractions: fractions)
        var splitOf: [String: Split] = [:]
        var i = 0
        for (split, n) in zip(Split.allCases, counts) {
            for s in unique[i..<(i + n)] { splitOf[s] = split }
            i += n
        }
        return subjects.map { splitOf[$0]! }
    }

    func testUnstratifiedSplitIsUnchanged() {
        let subjects = (0..<40).map { "s\($0 / 2)" }    // two volumes per subject
        for seed: UInt64 in 0..<50 {
            for f in [fractions, [0.5, 0.2, 0.3], [1, 0, 1]] {
                XCTAssertEqual(SubjectSplit.assign(subjects, fractions: f, seed: seed), referenceAssign(subjects, fractions: f, seed: seed))
            }
        }
        // And literally, for one seed.
        XCTAssertEqual(SubjectSplit.assign((0..<10).map { "p\($0)" }, fractions: fractions, seed: 0).map(\.rawValue),
                       Self.todaysSeed0)
    }

    /// `assign` for p0...p9, 70/10/20, seed 0, as the program split them before stratification.
    static let todaysSeed0 = ["test", "train", "train", "train", "train", "test", "train", "val", "train", "train"]

    /// 20 subjects: class 3 in 3 of them, class 2 in 5 others, classes 0 and 1 everywhere.
    func classSets(_ n: Int = 20) -> [Set<Int>] {
        (0..<n).map { i in i < 3 ? [0, 1, 3] : i < 8 ? [0, 1, 2] : [0, 1] }
    }

    func testAClassInThreeOrMoreSubjectsLandsInEverySplit() {
        let subjects = (0..<20).map { "s\($0)" }, classes = classSets()
        for seed: UInt64 in 0..<200 {
            for f in [fractions, [0.5, 0.2, 0.3]] {
                let result = SubjectSplit.assignStratified(subjects, classes: classes, fractions: f, seed: seed)
                XCTAssertEqual(result.missing, [], "seed \(seed)")
                for k in 0...3 {
                    let splits = Set(zip(result.splits, classes).filter { $0.1.contains(k) }.map(\.0))
                    XCTAssertEqual(splits, Set(Split.allCases), "class \(k), seed \(seed), fractions \(f)")
                }
                // The split sizes are those of the plain split.
                let sizes = Split.allCases.map { s in result.splits.filter { $0 == s }.count }
                XCTAssertEqual(sizes, SubjectSplit.sizes(20, fractions: f), "seed \(seed)")
            }
        }
    }

    func testStratifiedIsDeterministicBySeedAndKeepsSubjectsWhole() {
        // Two volumes per subject; the rare class only in the second volume of three subjects.
        let subjects = (0..<40).map { "s\($0 / 2)" }
        let classes: [Set<Int>] = (0..<40).map { $0 % 2 == 1 && $0 / 2 < 3 ? [0, 2] : [0] }
        let a = SubjectSplit.assignStratified(subjects, classes: classes, fractions: fractions, seed: 7)
        XCTAssertEqual(a.splits, SubjectSplit.assignStratified(subjects, classes: classes, fractions: fractions, seed: 7).splits)
        XCTAssertNotEqual(a.splits, SubjectSplit.assignStratified(subjects, classes: classes, fractions: fractions, seed: 8).splits)
        for i in stride(from: 0, to: 40, by: 2) { XCTAssertEqual(a.splits[i], a.splits[i + 1], "subject s\(i / 2) split in two") }
        XCTAssertEqual(Set((0..<3).map { a.splits[2 * $0] }), Set(Split.allCases))
    }

    func testOneStratumGivesThePlainSplit() {
        let subjects = (0..<28).map { "p\($0 / 2)" }
        for seed: UInt64 in 0..<30 {
            let result = SubjectSplit.assignStratified(subjects, classes: Array(repeating: [0, 1, 2, 3], count: 28),
                                                       fractions: fractions, seed: seed)
            XCTAssertEqual(result.splits, SubjectSplit.assign(subjects, fractions: fractions, seed: seed))
        }
    }

    func testAClassInTwoSubjectsIsReportedMissing() {
        let subjects = (0..<10).map { "s\($0)" }
        let classes: [Set<Int>] = (0..<10).map { $0 < 2 ? [0, 2] : [0, 1] }
        let result = SubjectSplit.assignStratified(subjects, classes: classes, fractions: fractions, seed: 1)
        XCTAssertEqual(result.missing.map(\.label), [2])
        XCTAssertEqual(result.missing.first?.subjects, 2)
        // Fewer subjects than splits: both train, so its Mime weight is defined; val and test lack it.
        XCTAssertEqual(result.missing.first?.missing, [.val, .test])
        XCTAssertEqual(Array(result.splits.prefix(2)), [.train, .train])
    }

    func testBuiltInRecipesHoldTenTestVolumes() {
        let acdc = BuiltInDataset.Recipe.acdc, wmh = BuiltInDataset.Recipe.wmh
        XCTAssertGreaterThanOrEqual(SubjectSplit.sizes(acdc.patients, fractions: acdc.fractions)[2] * 2, 10)  // ED + ES
        XCTAssertGreaterThanOrEqual(SubjectSplit.sizes(wmh.patients, fractions: wmh.fractions)[2], 10)
        XCTAssertTrue(acdc.folder.hasSuffix("-v2") && wmh.folder.hasSuffix("-v2"), acdc.folder)
        XCTAssertNotEqual(acdc.folder, wmh.folder)
    }

    /// The WMH-like recipe at a small width: the rare class in every split, yet rare in pixels
    /// and absent from most sub-patches; every split's volumes as the recipe's sizes say.
    func testBuiltInWMHHasTheRareClassInEverySplit() throws {
        var recipe = BuiltInDataset.Recipe.wmh
        recipe.width = 48
        recipe.size = 48
        recipe.patch = 24
        let folder = dir.appendingPathComponent("wmh").path
        let report = try BuiltInDataset.build(recipe, in: folder, programVersion: "test")
        XCTAssertEqual(report.warnings, [])
        XCTAssertTrue(report.stratified)
        let summary = try StoreSummary(path: folder + "/store.h5")
        XCTAssertEqual(summary.splitStratified, true)
        XCTAssertEqual(summary.splits.map(\.volumes), SubjectSplit.sizes(34, fractions: [0.5, 0.2, 0.3]))
        XCTAssertGreaterThanOrEqual(summary.splits[2].volumes, 10)
        for s in summary.splits {
            XCTAssertGreaterThan(s.volumesHoldingClass[2], 0, "no volume of \(s.split) holds the rare class")
            XCTAssertLessThan(s.classFractions[2], 0.01, s.split)
        }
        XCTAssertGreaterThan(summary.splits[0].emptyPatchFractions[2], 0.8)
    }

    /// Two builds of the same recipe at once (two jobs sharing the cache) both succeed: the
    /// second waits for the cache's lock and finds the store built.
    func testConcurrentBuildsOfTheCacheWaitForEachOther() throws {
        var recipe = BuiltInDataset.Recipe.wmh
        (recipe.patients, recipe.width, recipe.size, recipe.patch) = (6, 32, 32, 16)
        let cache = dir.appendingPathComponent("cache").path
        let outcomes = LockedOutcomes()
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            outcomes.append(Result { try BuiltInDataset.buildUnlessCached(recipe, cache: cache, programVersion: "test") })
        }
        XCTAssertEqual(outcomes.all.map { "\($0)" }.sorted(), ["success(false)", "success(true)"], "one builds, the other finds it built")
        XCTAssertNoThrow(try StoreSummary(path: cache + "/" + recipe.folder + "/store.h5"))
    }

    // MARK: stores

    /// `count` single-subject pairs, 16x16x2; class 2 only in the volumes in `rare`.
    func rarePairs(count: Int, rare: Set<Int>) throws -> URL {
        let pairs = dir.appendingPathComponent("pairs")
        try FileManager.default.createDirectory(at: pairs, withIntermediateDirectories: true)
        let geometry = NIfTIWriter.Geometry(shape: [16, 16, 2], spacing: [1, 1, 3])
        for v in 0..<count {
            let label = (0..<512).map { i -> Float in i % 16 < 4 ? (rare.contains(v) && i < 40 ? 2 : 1) : 0 }
            let image = label.enumerated().map { Float($0.offset % 7) + 5 * $0.element }
            try NIfTIWriter.write(image, geometry: geometry, as: .float32, to: pairs.appendingPathComponent("case\(v)_image.nii.gz").path)
            try NIfTIWriter.write(label, geometry: geometry, as: .uint8, to: pairs.appendingPathComponent("case\(v)_label.nii.gz").path)
        }
        return pairs
    }

    func testStratifiedStoreAndInspectTable() throws {
        let pairs = try rarePairs(count: 12, rare: [3, 7, 10])
        let plain = dir.appendingPathComponent("plain.h5"), stratified = dir.appendingPathComponent("stratified.h5")
        let plainReport = try Fixtures.preprocess(.pairs, input: pairs, output: plain, size: 16, patch: 8) { $0.classes = 3 }
        XCTAssertFalse(plainReport.stratified)
        let report = try Fixtures.preprocess(.pairs, input: pairs, output: stratified, size: 16, patch: 8) {
            $0.classes = 3
            $0.stratify = true
        }
        XCTAssertEqual(report.warnings, [])
        for store in [plain, stratified] { XCTAssertEqual(try StoreValidator.validate(store.path), [], store.path) }

        let summary = try StoreSummary(path: stratified.path)
        XCTAssertEqual(summary.splitStratified, true)
        XCTAssertEqual(summary.splits.map(\.volumes), [9, 1, 2])
        XCTAssertEqual(summary.splits.map { $0.volumesHoldingClass }, [[9, 9, 1], [1, 1, 1], [2, 2, 1]])
        let text = summary.text
        XCTAssertTrue(text.contains("split: stratified by class presence"), text)
        XCTAssertTrue(text.contains("""
          volumes holding each class:
            split  volumes  background  class1  class2
            train        9           9       9       1
            val          1           1       1       1
            test         2           2       2       1
          """), text)
        XCTAssertEqual(try StoreSummary(path: plain.path).splitStratified, false)

        // A store written before split_stratified existed still reads and validates.
        do {
            let file = try H5File.open(plain.path, writable: true)
            try file.removeAttribute("split_stratified")
        }
        XCTAssertEqual(try StoreValidator.validate(plain.path), [])
        let old = try StoreSummary(path: plain.path)
        XCTAssertNil(old.splitStratified)
        XCTAssertTrue(old.text.contains("the store predates stratified splits"), old.text)
    }

    func testStratifyWarnsAboutAClassInTooFewSubjects() throws {
        let pairs = try rarePairs(count: 10, rare: [4])
        let report = try Fixtures.preprocess(.pairs, input: pairs, output: dir.appendingPathComponent("s.h5"), size: 16) {
            $0.classes = 3
            $0.stratify = true
        }
        XCTAssertEqual(report.warnings.count, 1)
        XCTAssertTrue(report.warnings[0].hasPrefix("class 'class2' (label 2) is in 1 subject(s): none in "), report.warnings[0])
    }

    /// The command line: `--stratify` says so and warns on stderr; the default stays unstratified.
    func testPreprocessStratifyFlag() throws {
        let pairs = try rarePairs(count: 10, rare: [4])
        let tool = Products.executable("swift-dist-train")
        let on = try runProcess(tool, ["preprocess", "--dataset", "pairs", "--in", pairs.path, "--out", dir.appendingPathComponent("on.h5").path,
                                       "--size", "16", "--classes", "3", "--stratify"], timeout: 120)
        XCTAssertEqual(on.status, 0, on.stderr)
        XCTAssertTrue(on.stdout.contains("(stratified by class presence)"), on.stdout)
        XCTAssertTrue(on.stderr.contains("warning: class 'class2' (label 2) is in 1 subject(s)"), on.stderr)
        let off = try runProcess(tool, ["preprocess", "--dataset", "pairs", "--in", pairs.path, "--out", dir.appendingPathComponent("off.h5").path,
                                        "--size", "16", "--classes", "3"], timeout: 120)
        XCTAssertEqual(off.status, 0, off.stderr)
        XCTAssertFalse(off.stdout.contains("stratified") || off.stderr.contains("warning"), off.stdout + off.stderr)
        XCTAssertEqual(try StoreSummary(path: dir.appendingPathComponent("off.h5").path).splitStratified, false)
    }
}

/// Outcomes collected from concurrent work.
private final class LockedOutcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var outcomes: [Result<Bool, Error>] = []
    func append(_ outcome: Result<Bool, Error>) { lock.withLock { outcomes.append(outcome) } }
    var all: [Result<Bool, Error>] { lock.withLock { outcomes } }
}
