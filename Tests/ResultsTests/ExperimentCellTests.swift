@testable import Experiments
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
