import XCTest
import Foundation
@testable import Evaluation

final class ReportTests: XCTestCase {
    let scores = [
        VolumeScore(volume: "p1", classIndex: 1, dice: 0.8, hd95: 4, labelVoxels: 10, predictedVoxels: 12),
        VolumeScore(volume: "p1", classIndex: 2, dice: 0.5, hd95: 10, labelVoxels: 5, predictedVoxels: 3),
        VolumeScore(volume: "p,2", classIndex: 1, dice: 0.6, hd95: 8, labelVoxels: 7, predictedVoxels: 7),
        VolumeScore(volume: "p,2", classIndex: 2, dice: 0.1, hd95: 30, labelVoxels: 0, predictedVoxels: 1),
    ]

    func testSummaryStatistics() {
        let summary = ScoreSummary(scores, classNames: ["BG", "RV", "MYO"])
        XCTAssertEqual(summary.volumes, 2)
        XCTAssertEqual(summary.classes.map(\.name), ["RV", "MYO"])
        let rv = summary.classes[0].statistics
        XCTAssertEqual(rv.count, 2)
        XCTAssertEqual(rv.diceMean, 0.7, accuracy: 1e-12)
        XCTAssertEqual(rv.diceStd, 0.1, accuracy: 1e-12)  // population std of 0.8, 0.6
        XCTAssertEqual(rv.hd95Mean, 6, accuracy: 1e-12)
        XCTAssertEqual(rv.hd95Std, 2, accuracy: 1e-12)
        let all = summary.foreground!
        XCTAssertEqual(all.count, 4)
        XCTAssertEqual(all.diceMean, (0.7 + 0.3) / 2, accuracy: 1e-12)
        XCTAssertEqual(all.hd95Mean, (6 + 20) / 2, accuracy: 1e-12)
        // numpy.std([0.8, 0.5, 0.6, 0.1]) = 0.25495097567963926
        XCTAssertEqual(all.diceStd, 0.25495097567963926, accuracy: 1e-12)
    }

    func testBackgroundIsNotForeground() {
        let bg = [VolumeScore(volume: "p", classIndex: 0, dice: 1, hd95: 0, labelVoxels: 5, predictedVoxels: 5)]
        XCTAssertNil(ScoreSummary(bg).foreground)
        XCTAssertEqual(ScoreSummary(bg + scores).foreground, ScoreSummary(scores).foreground)
    }

    func testCSV() {
        let lines = ReportWriter.perVolumeCSV(scores).split(separator: "\n")
        XCTAssertEqual(lines.count, 5)
        XCTAssertEqual(lines[0], "volume,class,dsc,hd95_mm,label_voxels,pred_voxels")
        XCTAssertEqual(lines[1], "p1,1,0.8,4.0,10,12")
        XCTAssertEqual(lines[3], "\"p,2\",1,0.6,8.0,7,7")
    }

    func testWritesFilesAndJSONReadsBack() throws {
        let dir = NSTemporaryDirectory() + "eval-test-\(UUID().uuidString)/nested"
        defer { try? FileManager.default.removeItem(atPath: dir + "/..") }
        let summary = ScoreSummary(scores)
        try ReportWriter.write(scores: scores, summary: summary, to: dir)
        let csv = try String(contentsOfFile: dir + "/per_volume.csv", encoding: .utf8)
        XCTAssertEqual(csv, ReportWriter.perVolumeCSV(scores))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/summary.json")))
            as! [String: Any]
        XCTAssertEqual(json["volumes"] as? Int, 2)
        let classes = json["classes"] as! [[String: Any]]
        XCTAssertEqual(classes.map { $0["class"] as? Int }, [1, 2])
        let stats = classes[0]["statistics"] as! [String: Any]
        XCTAssertEqual(stats["dsc_mean"] as! Double, 0.7, accuracy: 1e-12)
        XCTAssertEqual((json["foreground"] as! [String: Any])["n"] as? Int, 4)
        XCTAssertNotNil((json["definitions"] as? [String: String])?["hd95_mm"])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp") }
        XCTAssertEqual(leftovers, [])
        print(ReportWriter.table(summary))
        XCTAssertTrue(ReportWriter.table(summary).contains("All (foreground)"))
    }

    func testUnwritableDirectoryThrowsNamingThePath() throws {
        let file = NSTemporaryDirectory() + "eval-test-\(UUID().uuidString)"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        // A directory path that runs through a regular file cannot be created.
        XCTAssertThrowsError(try ReportWriter.write(scores: scores, summary: ScoreSummary(scores), to: file + "/out")) {
            XCTAssertTrue("\($0)".contains(file), "\($0)")
        }
    }
}
