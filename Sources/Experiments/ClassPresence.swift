import Evaluation

/// A class's test scores split by whether a volume holds the class. Under the paper's empty-case
/// rules a volume without class k scores DSC 1 (HD95 0) when nothing of k is predicted and DSC 0
/// (HD95 the diagonal) otherwise, so a rare class's mean over all volumes mostly counts the
/// volumes without it: a loss that never predicts the class can top that column. This separates
/// segmenting the class where it is from leaving it out where it is not.
struct ClassPresence {
    /// DSC (%) and HD95 (mm) over seeds, each seed's value the mean over the volumes holding the
    /// class (nan when no test volume holds it).
    let dice: SeedStatistics, hd95: SeedStatistics
    /// Over all seeds: volumes without the class, and those of them where nothing of it was predicted.
    let absent: Int, leftEmpty: Int

    /// The presence split of class `k` over `cells` (one per seed).
    init(_ cells: [CellResult], classIndex k: Int) {
        var dice: [Double] = [], hd95: [Double] = [], absent = 0, leftEmpty = 0
        for cell in cells {
            let scores = cell.scores.filter { $0.classIndex == k }
            let present = scores.filter { $0.labelVoxels > 0 }
            let missing = scores.filter { $0.labelVoxels == 0 }
            absent += missing.count
            leftEmpty += missing.filter { $0.predictedVoxels == 0 }.count
            // The volumes' mean as Table 1 takes it (`ScoreSummary`), over the volumes holding k.
            guard let stats = ScoreSummary(present).classes.first?.statistics else { continue }
            dice.append(100 * stats.diceMean)
            hd95.append(stats.hd95Mean)
        }
        (self.dice, self.hd95) = (SeedStatistics(dice), SeedStatistics(hd95))
        (self.absent, self.leftEmpty) = (absent, leftEmpty)
    }

    /// `17.3 ± 12.0 / 35.1 ± 8.2 · 6/21 empty`: on volumes holding it, then the absent ones left empty.
    var text: String {
        (dice.count > 0 ? "\(dice.text) / \(hd95.text)" : "n/a") + (absent > 0 ? " · \(leftEmpty)/\(absent) empty" : "")
    }

    /// The report's section: per loss and foreground class, over the cells `cellsOf(loss)`.
    static func section(losses: [ExperimentLoss], classes: [(index: Int, name: String)],
                        cellsOf: (ExperimentLoss) -> [CellResult]) -> String {
        var md = "## Volumes with and without each class\n\n"
        md += "Table 1 scores every test volume with the paper's empty-case rules: a volume without the class counts "
            + "DSC 100 when nothing of it is predicted, else 0, so a rare class's column there mostly counts the volumes "
            + "without it. Here, per class: DSC (%) / HD95 (mm) on the test volumes that hold it (mean ± std over seeds "
            + "of each seed's mean), then how many of the volumes without it (summed over seeds) had nothing of it predicted.\n\n"
        md += "| Loss | " + classes.map(\.name).joined(separator: " | ") + " |\n|---|" + classes.map { _ in "---|" }.joined() + "\n"
        for loss in losses {
            let cells = cellsOf(loss)
            md += "| \(loss.name) | " + classes.map { ClassPresence(cells, classIndex: $0.index).text }.joined(separator: " | ") + " |\n"
        }
        return md + "\n"
    }
}
