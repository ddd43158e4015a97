@testable import Experiments
import Evaluation
import XCTest

/// Loss rows, cells and their order; Mime comparisons' words.
final class ExperimentCellTests: XCTestCase {
    func testLossNames() throws {
        XCTAssertEqual(ExperimentLoss.defaults.map(\.name), ["dice", "vnet", "gdl", "mime", "dice+ce", "dice-global"])
        let global = try ExperimentLoss(parsing: "dice-global")
        XCTAssertEqual(global.kind, .dice)
        XCTAssertEqual(global.scope, .global)
        XCTAssertEqual(try ExperimentLoss(parsing: "gdl+ce-batch").name, "gdl+ce-batch")
        XCTAssertThrowsError(try ExperimentLoss(parsing: "mime-global"))
        XCTAssertThrowsError(try ExperimentLoss(parsing: "focal"))
        XCTAssertThrowsError(try ExperimentLoss.list("dice,dice"))
    }

    func testCellsAndTheirOrder() {
        let cells = ExperimentCell.all(losses: [ExperimentLoss(.dice), ExperimentLoss(.mime)], seeds: [5, 6], patches: [nil, 64])
        XCTAssertEqual(cells.map(\.name), ["dice-seed5", "mime-seed5", "dice-seed6", "mime-seed6",
                                           "dice-seed5-patch64", "mime-seed5-patch64", "dice-seed6-patch64", "mime-seed6-patch64"])
        XCTAssertEqual(cells[0].directory(in: "out"), "out/runs/dice-seed5")
    }

    /// The sweep trains every patch side on the same pixels per step: --batch is at the
    /// built-in store's own side and scales with the patch area; one that cannot is refused.
    func testSweepKeepsPixelsPerStep() throws {
        var wmh = Experiment.Settings(dataset: "wmh", out: "out", epochs: 4)
        wmh.sweep = true
        wmh.training.loop.batch = 4
        XCTAssertEqual(wmh.patches, [128, 64, 32])
        XCTAssertEqual(wmh.patches.map { wmh.batch(patch: $0) }, [1, 4, 16])
        let cells = wmh.cells.filter { $0.loss == ExperimentLoss(.mime) }
        XCTAssertEqual(cells.map { Experiment.trainingSettings($0, settings: wmh, store: "s").loop.batch }, [1, 1, 1, 4, 4, 4, 16, 16, 16])
        XCTAssertNoThrow(try wmh.validate())
        // The report compares the cells' schedules in pixels per step: every side's is the same,
        // and a cell trained with another batch is not.
        let schedules = cells.map { Experiment.schedule(Experiment.trainingSettings($0, settings: wmh, store: "s"), patch: $0.patch) }
        XCTAssertTrue(schedules.allSatisfy { $0 == schedules[0] })
        var other = Experiment.trainingSettings(cells[8], settings: wmh, store: "s")
        other.loop.batch = 8
        XCTAssertNotEqual(Experiment.schedule(other, patch: 32), schedules[0])
        wmh.training.loop.batch = 2
        XCTAssertNil(wmh.batch(patch: 128))
        XCTAssertThrowsError(try wmh.validate()) { error in
            XCTAssertTrue("\(error)".contains("use a multiple of 4"), "\(error)")
        }
        var acdc = Experiment.Settings(dataset: "acdc", out: "out", epochs: 1)
        acdc.sweep = true
        acdc.training.loop.batch = 2
        XCTAssertEqual(acdc.patches.map { acdc.batch(patch: $0) }, [2, 8, 32])
        acdc.sweep = false
        XCTAssertEqual(acdc.cells.map { Experiment.trainingSettings($0, settings: acdc, store: "s").loop.batch }, Array(repeating: 2, count: 18))
    }

    /// A class's scores split by presence: DSC/HD95 on the volumes holding it, absent ones left empty.
    func testClassPresence() throws {
        func score(_ volume: String, _ dice: Double, _ hd: Double, label: Int, predicted: Int) -> VolumeScore {
            VolumeScore(volume: volume, classIndex: 2, dice: dice, hd95: hd, labelVoxels: label, predictedVoxels: predicted)
        }
        func cell(_ seed: UInt64, _ scores: [VolumeScore]) -> CellResult {
            CellResult(cell: "mime-seed\(seed)", loss: "mime", seed: seed, patch: nil, checkpoint: "best.h5", store: "s",
                       storeChecksum: "c", scores: scores, classNames: ["bg", "a", "b"], trainingWorldSize: 1,
                       trainSeconds: 0, evaluateSeconds: 0)
        }
        let cells = [cell(0, [score("v1", 0.5, 4, label: 10, predicted: 8), score("v2", 1, 0, label: 0, predicted: 0),
                              score("v3", 0, 90, label: 0, predicted: 3), score("v4", 0.3, 6, label: 5, predicted: 9)]),
                     cell(1, [score("v1", 0.2, 8, label: 10, predicted: 1), score("v2", 0, 90, label: 0, predicted: 2),
                              score("v3", 0, 90, label: 0, predicted: 1), score("v4", 0.0, 90, label: 5, predicted: 0)])]
        let presence = ClassPresence(cells, classIndex: 2)
        XCTAssertEqual(presence.dice.mean, (40 + 10) / 2, accuracy: 1e-9)
        XCTAssertEqual(presence.hd95.mean, (5 + 49) / 2, accuracy: 1e-9)
        XCTAssertEqual(presence.absent, 4)
        XCTAssertEqual(presence.leftEmpty, 1)
        XCTAssertEqual(presence.text, "25.0 ± 21.2 / 27.0 ± 31.1 · 1/4 empty")
        XCTAssertEqual(ClassPresence(cells, classIndex: 1).text, "n/a")
    }

    func testComparisonWords() {
        let higher = MimeComparison(other: "dice", className: "LV", metric: .dsc,
                                    pairs: (1...8).map { (mime: 50.0 + Double($0), other: 40.0) })
        XCTAssertTrue(higher.holds)
        XCTAssertTrue(higher.sentence.hasPrefix("LV DSC: mime's is higher than dice's (median difference +14.5 points, p = 0.008, 8 pairs)"),
                      higher.sentence)
        let hd = MimeComparison(other: "gdl", className: "RV", metric: .hd95,
                                pairs: [(1, 2), (3, 2), (2, 2.5), (5, 4)])
        XCTAssertFalse(hd.holds)
        XCTAssertTrue(hd.sentence.contains("do not differ significantly"), hd.sentence)
        let equal = MimeComparison(other: "vnet", className: "MYO", metric: .dsc, pairs: [(1, 1), (.nan, 2)])
        XCTAssertEqual(equal.differences.count, 1)
        XCTAssertTrue(equal.sentence.contains("equal on all 1 pair; nothing to test"), equal.sentence)
    }
}
