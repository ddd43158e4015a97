import Foundation
import PatchStore
import TestSupport
import XCTest

/// `experiment` through the built executable, on the tiny store with one step per epoch.
final class ExperimentCLITests: XCTestCase {
    func testTinyExperimentWritesTable1AndFigures() throws {
        let fixture = try TinyFixture.shared()
        let out = try fixture.scratch("experiment").appendingPathComponent("table1").path
        let arguments = ["experiment", "--store", fixture.store, "--epochs", "2", "--max-steps", "1", "--batch", "2", "--out", out]
        assertSucceeded(try cli(arguments, timeout: 300), "experiment")
        let report = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        let lines = report.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("| Loss | RV | MYO | LV | All |"), report)
        let losses = ["dice", "vnet", "gdl", "mime"]
        let table = lines.filter { line in losses.contains { line.hasPrefix("| \($0) | ") } && line.contains(" / ") }
        XCTAssertEqual(table.map { $0.split(separator: "|")[0].trimmingCharacters(in: .whitespaces) }, losses)
        let cell = try NSRegularExpression(pattern: #"^ (\*\*)?\d+\.\d(\*\*)? / (\*\*)?\d+\.\d(\*\*)? $"#)
        for row in table {
            let cells = row.split(separator: "|", omittingEmptySubsequences: true).dropFirst().map(String.init)
            XCTAssertEqual(cells.count, 4, row)
            for c in cells { XCTAssertEqual(cell.numberOfMatches(in: c, range: NSRange(c.startIndex..., in: c)), 1, "cell '\(c)'") }
        }
        // Every column has a best DSC and a best HD95 in bold.
        for column in 1...4 {
            let cells = table.map { $0.split(separator: "|", omittingEmptySubsequences: true)[column] }
            XCTAssertTrue(cells.contains { $0.split(separator: "/")[0].contains("**") }, "column \(column) DSC")
            XCTAssertTrue(cells.contains { $0.split(separator: "/")[1].contains("**") }, "column \(column) HD95")
        }
        // The "All" cell of each loss is its evaluation's foreground mean.
        for (loss, row) in zip(losses, table) {
            let summary = try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: "\(out)/\(loss)/eval/summary.json"))) as! [String: Any]
            let foreground = summary["foreground"] as! [String: Any]
            let dice = foreground["dsc_mean"] as! Double, hd = foreground["hd95_mm_mean"] as! Double
            let all = row.split(separator: "|", omittingEmptySubsequences: true)[4].replacingOccurrences(of: "*", with: "")
            XCTAssertEqual(all.trimmingCharacters(in: .whitespaces), String(format: "%.1f / %.1f", 100 * dice, hd), loss)
            XCTAssertEqual(try String(contentsOfFile: "\(out)/\(loss)/metrics.jsonl", encoding: .utf8)
                .split(separator: "\n").count, 2, loss)
        }
        XCTAssertTrue(report.contains("non-finite steps"), report)
        XCTAssertTrue(report.contains("world size: 1 rank(s)"), report)
        XCTAssertTrue(report.contains("oneDNN 2."), report)
        for png in ["curves_loss.png", "curves_val_dice.png", "figure1.png"] {
            XCTAssertTrue(report.contains("](\(png))"), png)
            let data = try Data(contentsOf: URL(fileURLWithPath: out + "/" + png))
            XCTAssertEqual(Array(data.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], png)
        }
        // A second run into the same directory is refused before training.
        let again = try cli(arguments)
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("already holds a dice run"), again.stderr)

        // --skip-training evaluates the runs that are there: the same Table 1, schedule read from config.json.
        try FileManager.default.removeItem(atPath: out + "/report.md")
        let reported = try cli(["experiment", "--skip-training", "--out", out], timeout: 300)
        assertSucceeded(reported, "experiment --skip-training")
        let second = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        XCTAssertEqual(second.split(separator: "\n").filter { line in losses.contains { line.hasPrefix("| \($0) | ") } && line.contains(" / ") },
                       table.map { Substring($0) })
        XCTAssertTrue(second.contains("2 epoch(s), at most 1 steps each, batch 2 per rank"), second)
        XCTAssertTrue(second.contains("training not included"), second)
        // ... and refuses a store the runs were not trained on.
        let other = try fixture.scratch("other").appendingPathComponent("other.h5").path
        assertSucceeded(try cli(["preprocess", "--dataset", "acdc", "--in", fixture.nifti, "--out", other, "--size", "32",
                                 "--seed", "1"]), "preprocess")
        let wrong = try cli(["experiment", "--skip-training", "--store", other, "--out", out])
        XCTAssertEqual(wrong.status, 1)
        XCTAssertTrue(wrong.stderr.contains("is not the store the runs"), wrong.stderr)
    }

    /// Under mpirun the ranks train together, share the test volumes, and rank 0 alone writes the report.
    func testTinyExperimentOnTwoRanks() throws {
        let fixture = try TinyFixture.shared()
        let out = try fixture.scratch("experiment2").appendingPathComponent("table1").path
        let result = try mpirun(2, "swift-dist-train", ["experiment", "--store", fixture.store, "--epochs", "1", "--max-steps", "1",
                                                        "--batch", "2", "--out", out], timeout: 300)
        assertSucceeded(result, "mpirun -n 2 experiment")
        let report = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        XCTAssertTrue(report.contains("world size: 2 rank(s)"), report)
        XCTAssertTrue(report.contains("command: `mpirun -n 2 "), report)
        for loss in ["dice", "vnet", "gdl", "mime"] {
            XCTAssertTrue(report.contains("\n| \(loss) | "), loss)
            let rows = try csvRows("\(out)/\(loss)/eval/per_volume.csv")
            XCTAssertEqual(rows.count, try PatchStoreReader(path: fixture.store).volumes(.test).count * 3, loss)
        }
        XCTAssertEqual(result.stdout.components(separatedBy: "report: ").count, 2, "one report line (rank 0)")
    }
}
