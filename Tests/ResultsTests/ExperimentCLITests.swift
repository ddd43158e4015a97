import Foundation
import PatchStore
import TestSupport
import XCTest

/// `experiment` through the built executable, on the tiny store with one step per epoch:
/// cells over seeds, Table 1 as mean ± std, the Wilcoxon comparison, resuming, --task and --merge.
final class ExperimentCLITests: XCTestCase {
    private let losses = ["dice", "mime"]

    /// The Table 1 rows of a report.
    private func table1Rows(_ report: String) -> [String] {
        let lines = report.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let header = lines.firstIndex(where: { $0.hasPrefix("| Loss | seeds |") }) else { return [] }
        return lines[(header + 2)...].prefix { !$0.isEmpty }.filter { line in
            losses.contains { line.hasPrefix("| \($0) | ") } && line.contains(" / ")
        }
    }

    /// Mean DSC (%) over the volumes holding class `k`, and (volumes without it, those left
    /// empty), from a cell's eval/per_volume.csv.
    private func presence(_ out: String, _ cell: String, classIndex k: Int) throws -> (dice: Double, absent: Int, empty: Int) {
        let csv = try String(contentsOfFile: "\(out)/runs/\(cell)/eval/per_volume.csv", encoding: .utf8)
        let rows = csv.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }.filter { Int($0[1]) == k }
        let present = rows.filter { Int($0[4])! > 0 }, absent = rows.filter { Int($0[4])! == 0 }
        return (100 * present.map { Double($0[2])! }.reduce(0, +) / Double(present.count), absent.count,
                absent.filter { Int($0[5])! == 0 }.count)
    }

    /// The foreground DSC (%) and HD95 of a cell's eval/summary.json.
    private func foreground(_ out: String, _ cell: String) throws -> (Double, Double) {
        let summary = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: "\(out)/runs/\(cell)/eval/summary.json"))) as! [String: Any]
        let foreground = summary["foreground"] as! [String: Any]
        return (100 * (foreground["dsc_mean"] as! Double), foreground["hd95_mm_mean"] as! Double)
    }

    /// "m ± s" of two values as the report prints them (sample std).
    private func meanStd(_ a: Double, _ b: Double) -> String {
        let mean = (a + b) / 2
        let std = (((a - mean) * (a - mean) + (b - mean) * (b - mean)) / 1).squareRoot()
        return String(format: "%.1f ± %.1f", mean, std)
    }

    func testSeedsCellsTable1ComparisonRerunAndMerge() throws {
        let fixture = try TinyFixture.shared()
        let out = try fixture.scratch("experiment").appendingPathComponent("table1").path
        let arguments = ["experiment", "--store", fixture.store, "--losses", losses.joined(separator: ","), "--seeds", "2",
                         "--epochs", "2", "--max-steps", "1", "--batch", "2", "--out", out]
        assertSucceeded(try cli(arguments, timeout: 400), "experiment")
        let report = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        let lines = report.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("| Loss | seeds | RV | MYO | LV | All |"), report)
        let table = table1Rows(report)
        XCTAssertEqual(table.map { $0.split(separator: "|")[0].trimmingCharacters(in: .whitespaces) }, losses)
        let cell = try NSRegularExpression(pattern: #"^ (\*\*)?\d+\.\d ± \d+\.\d(\*\*)? / (\*\*)?\d+\.\d ± \d+\.\d(\*\*)? $"#)
        for row in table {
            let cells = row.split(separator: "|", omittingEmptySubsequences: true).map(String.init)
            XCTAssertEqual(cells[1], " 2 ", row)
            XCTAssertEqual(cells.count, 6, row)
            for c in cells.dropFirst(2) { XCTAssertEqual(cell.numberOfMatches(in: c, range: NSRange(c.startIndex..., in: c)), 1, "cell '\(c)'") }
        }
        // The "All" cell of each loss: mean ± std over the seeds of each cell's evaluation.
        for (loss, row) in zip(losses, table) {
            let (d0, h0) = try foreground(out, "\(loss)-seed0"), (d1, h1) = try foreground(out, "\(loss)-seed1")
            let all = row.split(separator: "|", omittingEmptySubsequences: true)[5].replacingOccurrences(of: "*", with: "")
            XCTAssertEqual(all.trimmingCharacters(in: .whitespaces), meanStd(d0, d1) + " / " + meanStd(h0, h1), loss)
            for seed in 0..<2 {
                let dir = "\(out)/runs/\(loss)-seed\(seed)"
                XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/result.json"), dir)
                // Two epochs, then the end record.
                let records = try String(contentsOfFile: dir + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
                XCTAssertEqual(records.filter { !$0.contains("\"event\"") }.count, 2, dir)
                XCTAssertTrue(records.last?.contains("\"stop_reason\":\"epoch_cap\"") == true, dir)
            }
        }
        // The paired comparison: test volumes x seeds pairs per class and metric, and sentences.
        let volumes = try PatchStoreReader(path: fixture.store).volumes(.test).count
        for name in ["RV", "MYO", "LV"] {
            for metric in ["DSC", "HD95"] {
                XCTAssertTrue(lines.contains { $0.hasPrefix("| dice | \(name) | \(metric) | \(2 * volumes) | ") }, "\(name) \(metric)\n" + report)
            }
        }
        // Volumes with and without each class: DSC on the volumes holding it, absent ones left empty.
        XCTAssertTrue(report.contains("## Volumes with and without each class"), report)
        for (loss, k) in [("dice", 1), ("mime", 3)] {
            let (a, b) = (try presence(out, "\(loss)-seed0", classIndex: k), try presence(out, "\(loss)-seed1", classIndex: k))
            let expected = meanStd(a.dice, b.dice) + " / "
            let section = lines.firstIndex(of: "## Volumes with and without each class") ?? lines.endIndex
            let row = lines[section...].first { $0.hasPrefix("| \(loss) | ") }
            let cell = row.map { $0.split(separator: "|", omittingEmptySubsequences: true).map(String.init)[k] } ?? ""
            XCTAssertTrue(cell.hasPrefix(" " + expected), "\(loss) class \(k): '\(cell)', expected '\(expected)…'")
            let empties = a.absent + b.absent > 0 ? " · \(a.empty + b.empty)/\(a.absent + b.absent) empty " : nil
            if let empties { XCTAssertTrue(cell.hasSuffix(empties), "'\(cell)' should end '\(empties)'") }
        }
        XCTAssertTrue(report.contains("Differences that hold ("), report)
        XCTAssertTrue(report.contains("Differences that do not hold ("), report)
        XCTAssertEqual(lines.filter { $0.hasPrefix("- RV DSC") || $0.hasPrefix("- RV HD95") }.count, 2, report)
        XCTAssertTrue(lines.contains { $0.hasPrefix("| dice-seed1 | 2 | epoch cap | ") }, report)
        XCTAssertTrue(report.contains("oneDNN 2."), report)
        for png in ["curves_loss.png", "curves_val_dice.png", "figure1.png"] {
            XCTAssertTrue(report.contains("](\(png))"), png)
            let data = try Data(contentsOf: URL(fileURLWithPath: out + "/" + png))
            XCTAssertEqual(Array(data.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], png)
        }

        // The same command again skips every cell and writes the same table.
        let metrics = try String(contentsOfFile: out + "/runs/mime-seed1/metrics.jsonl", encoding: .utf8)
        let again = try cli(arguments, timeout: 300)
        assertSucceeded(again, "experiment again")
        XCTAssertEqual(again.stdout.components(separatedBy: ": finished earlier").count, 5, again.stdout)
        XCTAssertEqual(try String(contentsOfFile: out + "/runs/mime-seed1/metrics.jsonl", encoding: .utf8), metrics)
        XCTAssertEqual(table1Rows(try String(contentsOfFile: out + "/report.md", encoding: .utf8)), table)

        // A cell evaluated but without result.json (stopped after training) is evaluated, not retrained.
        try FileManager.default.removeItem(atPath: out + "/runs/dice-seed1/result.json")
        let listed = try cli(["experiment", "--losses", "dice,mime", "--seeds", "2", "--out", out, "--list-cells"])
        assertSucceeded(listed, "--list-cells")
        XCTAssertEqual(listed.stdout, "0 dice-seed0 done\n1 mime-seed0 done\n2 dice-seed1 started\n3 mime-seed1 done\n")
        let evaluated = try cli(arguments, timeout: 300)
        assertSucceeded(evaluated, "experiment after removing a result")
        XCTAssertFalse(evaluated.stdout.contains("dice-seed1: training") || evaluated.stdout.contains("dice-seed1: resuming"),
                       evaluated.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/runs/dice-seed1/result.json"))

        // Another schedule into the same directory is refused before training.
        let other = try cli(arguments.enumerated().map { $0.offset > 0 && arguments[$0.offset - 1] == "--epochs" ? "3" : $0.element })
        XCTAssertEqual(other.status, 1)
        XCTAssertTrue(other.stderr.contains("holds a run trained with another store, loss, seed or schedule"), other.stderr)

        // --merge reads the cells: the end record of metrics.jsonl names how a run stopped.
        try FileManager.default.removeItem(atPath: out + "/report.md")
        let end = #"{"event":"end","stop_reason":"early_stop","epochs_run":2,"best_epoch":1,"best_val_dice":0.25}"#
        try (metrics + end + "\n").write(toFile: out + "/runs/mime-seed1/metrics.jsonl", atomically: true, encoding: .utf8)
        let merged = try cli(["experiment", "--merge", "--losses", "dice,mime", "--seeds", "2", "--out", out], timeout: 300)
        assertSucceeded(merged, "experiment --merge")
        let second = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        XCTAssertEqual(table1Rows(second), table)
        XCTAssertTrue(second.contains("| mime-seed1 | 2 | early stop | 1 | 0.250 | "), second)
        XCTAssertTrue(second.contains("report only (--merge)"), second)
        // ... and refuses a store the cells were not trained on.
        let otherStore = try fixture.scratch("other").appendingPathComponent("other.h5").path
        assertSucceeded(try cli(["preprocess", "--dataset", "acdc", "--in", fixture.nifti, "--out", otherStore, "--size", "32",
                                 "--seed", "1"]), "preprocess")
        let wrong = try cli(["experiment", "--merge", "--store", otherStore, "--losses", "dice,mime", "--seeds", "2", "--out", out])
        XCTAssertEqual(wrong.status, 1)
        XCTAssertTrue(wrong.stderr.contains("is not the store the cells"), wrong.stderr)
    }

    /// --list-cells numbers the default cells; --task runs one; --merge reports what is finished.
    func testTaskRunsOneCellAndMergeReportsTheFinished() throws {
        let fixture = try TinyFixture.shared()
        let out = try fixture.scratch("experiment-task").appendingPathComponent("table1").path
        let listed = try cli(["experiment", "--list-cells", "--out", out])
        assertSucceeded(listed, "--list-cells")
        let names = ["dice", "vnet", "gdl", "mime", "dice+ce", "dice-global"]
        XCTAssertEqual(listed.stdout.split(separator: "\n").map(String.init),
                       (0..<3).flatMap { seed in names.map { "\($0)-seed\(seed)" } }.enumerated().map { "\($0.offset) \($0.element) todo" })
        let bad = try cli(["experiment", "--task", "18", "--out", out])
        XCTAssertEqual(bad.status, 64, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("--task 18 is not a cell"), bad.stderr)

        let common = ["--store", fixture.store, "--losses", "dice-global,mime", "--seeds", "1", "--epochs", "1", "--max-steps", "1",
                      "--batch", "2", "--out", out]
        let task = try cli(["experiment", "--task", "1"] + common, timeout: 300)
        assertSucceeded(task, "experiment --task 1")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/report.md"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/runs/mime-seed0/result.json"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/runs/dice-global-seed0"))
        let partial = try cli(["experiment", "--merge"] + common, timeout: 300)
        assertSucceeded(partial, "experiment --merge (partial)")
        var report = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        XCTAssertTrue(report.contains("Not finished, left out: `dice-global-seed0`."), report)
        XCTAssertTrue(report.contains("No comparison"), report)

        assertSucceeded(try cli(["experiment", "--task", "0"] + common, timeout: 300), "experiment --task 0")
        let config = try String(contentsOfFile: out + "/runs/dice-global-seed0/config.json", encoding: .utf8)
        XCTAssertTrue(config.contains(#""diceScope" : "global""#) || config.contains(#""dice_scope" : "global""#), config)
        assertSucceeded(try cli(["experiment", "--merge"] + common, timeout: 300), "experiment --merge")
        report = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        XCTAssertFalse(report.contains("Not finished"), report)
        XCTAssertTrue(report.contains("\n| dice-global | 1 | "), report)
        XCTAssertTrue(report.contains("\n| dice-global | RV | DSC | "), report)
    }

    /// --sweep: every cell at the whole slice, 1/2 and 1/4 of its side, on the built-in dataset only.
    func testSweepCellsAndItsRefusals() throws {
        let fixture = try TinyFixture.shared()
        let out = try fixture.scratch("experiment-sweep").appendingPathComponent("sweep").path
        let listed = try cli(["experiment", "--sweep", "--dataset", "wmh", "--losses", "dice,mime", "--seeds", "1", "--list-cells", "--out", out])
        assertSucceeded(listed, "--sweep --list-cells")
        XCTAssertEqual(listed.stdout.split(separator: "\n").map(String.init), [
            "0 dice-seed0-patch128 todo", "1 mime-seed0-patch128 todo", "2 dice-seed0-patch64 todo", "3 mime-seed0-patch64 todo",
            "4 dice-seed0-patch32 todo", "5 mime-seed0-patch32 todo",
        ])
        let withStore = try cli(["experiment", "--sweep", "--store", fixture.store, "--out", out])
        XCTAssertEqual(withStore.status, 64, withStore.stderr)
        XCTAssertTrue(withStore.stderr.contains("--sweep preprocesses the built-in dataset"), withStore.stderr)
    }

    /// Under mpirun the ranks train together, share the test volumes, and rank 0 alone writes the report.
    func testTinyExperimentOnTwoRanks() throws {
        let fixture = try TinyFixture.shared()
        let out = try fixture.scratch("experiment2").appendingPathComponent("table1").path
        let result = try mpirun(2, "swift-dist-train", ["experiment", "--store", fixture.store, "--losses", "dice,mime", "--seeds", "1",
                                                        "--epochs", "1", "--max-steps", "1", "--batch", "2", "--out", out], timeout: 300)
        assertSucceeded(result, "mpirun -n 2 experiment")
        let report = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        XCTAssertTrue(report.contains("world size: 2 rank(s)"), report)
        XCTAssertTrue(report.contains("command: `mpirun -n 2 "), report)
        for loss in losses {
            XCTAssertTrue(report.contains("\n| \(loss) | 1 | "), loss)
            let rows = try csvRows("\(out)/runs/\(loss)-seed0/eval/per_volume.csv")
            XCTAssertEqual(rows.count, try PatchStoreReader(path: fixture.store).volumes(.test).count * 3, loss)
        }
        XCTAssertEqual(result.stdout.components(separatedBy: "report: ").count, 2, "one report line (rank 0)")
    }
}
