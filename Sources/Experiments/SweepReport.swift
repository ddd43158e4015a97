import Evaluation
import Figures
import Foundation
import PatchStore

/// The sweep's part of the report: the rare class's DSC and HD95 against the patch side for
/// each loss (figures with error bars: mean ± std over seeds), the fraction of empty training
/// patches at each side, and the non-finite (skipped) steps per loss and side.
struct SweepReport {
    let settings: Experiment.Settings
    let results: ExperimentResults

    static let diceFigure = "sweep_rare_dsc.png", hd95Figure = "sweep_rare_hd95.png"

    /// The foreground class with the fewest training voxels in the whole-slice store.
    func rareClass() throws -> Int {
        let counts = try results.reader.classVoxelCounts(.train)
        return (1..<counts.count).min { counts[$0] < counts[$1] }!
    }

    /// The sides with a finished cell, largest first.
    var sides: [Int] { Array(Set(results.all.compactMap(\.cell.patch))).sorted(by: >) }

    /// Per loss and side, the rare class's scores over seeds on the test volumes that hold it
    /// (`ClassPresence`: under the empty-case rules the volumes without it would mostly measure
    /// whether the class is predicted at all), and how many volumes without it were left empty.
    func values(_ k: Int) -> [(loss: ExperimentLoss, side: Int, presence: ClassPresence)] {
        results.losses(settings).flatMap { loss in
            sides.compactMap { side in
                let cells = results.all.filter { $0.cell.loss == loss && $0.cell.patch == side }
                return cells.isEmpty ? nil : (loss, side, ClassPresence(cells.map(\.result), classIndex: k))
            }
        }
    }

    /// Fractions of the training patches of the store at `side` without the rare class and
    /// without any foreground.
    func emptyFractions(store: String, rare k: Int) throws -> (withoutRare: Double, withoutForeground: Double, patches: Int) {
        let reader = try PatchStoreReader(path: store)
        let n = reader.count(.train)
        var withoutRare = 0, withoutForeground = 0
        for i in 0..<n {
            let label = try reader.patch(.train, i).label
            if !label.contains(UInt8(k)) { withoutRare += 1 }
            if label.allSatisfy({ $0 == 0 }) { withoutForeground += 1 }
        }
        return (Double(withoutRare) / Double(max(n, 1)), Double(withoutForeground) / Double(max(n, 1)), n)
    }

    /// Writes the figures; returns the section's markdown.
    func write() throws -> String {
        let k = try rareClass(), name = results.reader.classNames[k]
        let values = values(k)
        var md = "## Sweep: \(name) (the rarest class) against the patch side\n\n"
        md += "Every loss and seed trained on the built-in dataset preprocessed at each patch side (the whole "
            + "slice, 1/2 and 1/4 of its side; the same pixels per step at each), evaluated on the test volumes "
            + "(sub-patches assembled). Scores on the test volumes that hold \(name): mean ± std over seeds of the "
            + "per-seed mean over those volumes; then how many test volumes without it (summed over seeds) had "
            + "nothing of it predicted.\n\n"
        for (figure, metric, pick) in [(Self.diceFigure, "DSC (%)", { (v: (loss: ExperimentLoss, side: Int, presence: ClassPresence)) in v.presence.dice }),
                                       (Self.hd95Figure, "HD95 (mm)", { $0.presence.hd95 })] {
            let series = results.losses(settings).map { loss in
                let mine = values.filter { $0.loss == loss && pick($0).mean.isFinite }
                return LineChart.Series(name: loss.name, points: mine.map { (log2(Double($0.side)), pick($0).mean) },
                                        errors: mine.map { pick($0).std.isFinite ? pick($0).std : 0 })
            }
            var chart = LineChart(title: "\(name) \(metric), volumes holding it (\(settings.dataset))", xTitle: "patch side (pixels)",
                                  yTitle: "\(name) \(metric)", series: series)
            chart.xTickLabel = { "\(Int(pow(2, $0).rounded()))" }
            try chart.write(to: settings.out + "/" + figure)
            md += "![\(name) \(metric) vs patch side](\(figure))\n\n"
        }
        md += "| Loss | " + sides.map { "\($0)x\($0)" }.joined(separator: " | ") + " |\n|---|" + sides.map { _ in "---|" }.joined() + "\n"
        for loss in results.losses(settings) {
            md += "| \(loss.name) | " + sides.map { side in
                values.first { $0.loss == loss && $0.side == side }?.presence.text ?? "n/a"
            }.joined(separator: " | ") + " |\n"
        }
        md += "\n\(name) DSC (%) / HD95 (mm) on the volumes holding it · volumes without it left empty.\n\n### Empty training patches\n\n"
        md += "| patch side | patches | without \(name) | without any foreground |\n|---|---|---|---|\n"
        for side in sides {
            guard let cell = results.all.first(where: { $0.cell.patch == side }) else { continue }
            let f = try emptyFractions(store: cell.result.store, rare: k)
            md += "| \(side)x\(side) | \(f.patches) | " + String(format: "%.1f %%", 100 * f.withoutRare) + " | "
                + String(format: "%.1f %%", 100 * f.withoutForeground) + " |\n"
        }
        md += "\n### Non-finite (skipped) steps\n\nSum over seeds of `skipped_nonfinite`, eps = "
            + "\(results.training.eps) (the smoothing of the Dice family).\n\n"
        md += "| Loss | " + sides.map { "\($0)x\($0)" }.joined(separator: " | ") + " |\n|---|" + sides.map { _ in "---|" }.joined() + "\n"
        for loss in results.losses(settings) {
            md += "| \(loss.name) | " + sides.map { side in
                let cells = results.all.filter { $0.cell.loss == loss && $0.cell.patch == side }
                return cells.isEmpty ? "n/a" : "\(cells.reduce(0) { $0 + $1.metrics.skippedSteps })"
            }.joined(separator: " | ") + " |\n"
        }
        return md + "\n"
    }
}
