import Cluster
import Common
import ENetTraining
import Evaluation
import Figures
import Foundation
import HDF5
import Inference
import PatchStore
import SyntheticData
import Tensors
import Training

/// `report.md` of an experiment and its figures, from its finished cells: Table 1 (the paper's
/// layout, mean ± std over seeds), the paired comparison of Mime with every other loss, each
/// run's training (how it stopped, non-finite steps), training curves, a Figure-1-like overlay
/// grid, and how the runs were made.
struct ExperimentReport {
    let settings: Experiment.Settings
    let results: ExperimentResults
    /// Ranks of this process's world.
    let worldSize: Int
    let programVersion: String

    /// Figure files, relative to the output directory.
    static let lossCurves = "curves_loss.png", diceCurves = "curves_val_dice.png", overlays = "figure1.png"

    var reader: PatchStoreReader { results.reader }
    var losses: [ExperimentLoss] { results.losses(settings) }
    var foregroundClasses: [Int] { Array(1..<reader.numClasses) }

    /// Writes the figures and `report.md` (each atomically); returns the report's path.
    func write(seconds: Double?) throws -> String {
        let out = settings.out
        try AtomicFile.createDirectories(out)
        try writeCurves()
        let figureRows = try writeOverlays()
        let path = out + "/report.md"
        try AtomicFile.write(path, data: Data(try markdown(seconds: seconds, figureRows: figureRows).utf8))
        return path
    }

    /// Per loss, per column (foreground classes, then All): DSC (%) and HD95 (mm) over seeds,
    /// each seed's value the mean over the test volumes.
    func table1Cells() -> [[(dice: SeedStatistics, hd95: SeedStatistics)]] {
        losses.map { loss in
            let summaries = results.cells(of: loss).map { ScoreSummary($0.result.scores, classNames: reader.classNames) }
            return (foregroundClasses.map(Optional.some) + [nil]).map { k -> (SeedStatistics, SeedStatistics) in
                let stats = summaries.map { summary -> ScoreStatistics? in
                    k.map { k in summary.classes.first { $0.classIndex == k }?.statistics } ?? summary.foreground
                }
                return (SeedStatistics(stats.map { $0.map { 100 * $0.diceMean } ?? .nan }),
                        SeedStatistics(stats.map { $0?.hd95Mean ?? .nan }))
            }
        }
    }

    /// Table 1: one row per loss, one column per foreground class and "All"; each cell
    /// "DSC (%) / HD95 (mm)" as mean ± std over seeds, the best mean DSC (highest) and HD95
    /// (lowest) of each column in bold.
    func table1() -> String {
        let cells = table1Cells()
        let columns = foregroundClasses.map { reader.classNames[$0] } + ["All"]
        var text = "| Loss | seeds | " + columns.joined(separator: " | ") + " |\n"
        text += "|---|---|" + columns.map { _ in "---|" }.joined() + "\n"
        for (r, loss) in losses.enumerated() {
            text += "| \(loss.name) | \(results.cells(of: loss).count) |"
            for c in columns.indices {
                let bestDice = cells.map { $0[c].dice.printedMean }.filter(\.isFinite).max()
                let bestHD = cells.map { $0[c].hd95.printedMean }.filter(\.isFinite).min()
                let (dice, hd) = cells[r][c]
                text += " " + (dice.printedMean == bestDice ? "**\(dice.text)**" : dice.text) + " / "
                    + (hd.printedMean == bestHD ? "**\(hd.text)**" : hd.text) + " |"
            }
            text += "\n"
        }
        return text
    }

    /// Mime against every other loss, per foreground class, on DSC and HD95: pairs are
    /// (test volume, seed) scored by both.
    func comparisons() -> [MimeComparison] {
        guard let mime = losses.first(where: \.isMime) else { return [] }
        let mimeCells = results.cells(of: mime)
        var comparisons: [MimeComparison] = []
        for other in losses where other != mime {
            let otherCells = results.cells(of: other)
            for k in foregroundClasses {
                var dsc: [(mime: Double, other: Double)] = [], hd: [(mime: Double, other: Double)] = []
                for m in mimeCells {
                    guard let o = otherCells.first(where: { $0.cell.seed == m.cell.seed }) else { continue }
                    let (ms, os) = (m.result.scores(ofClass: k), o.result.scores(ofClass: k))
                    for volume in ms.keys.sorted() {
                        guard let a = ms[volume], let b = os[volume] else { continue }
                        dsc.append((100 * a.dice, 100 * b.dice))
                        hd.append((a.hd95, b.hd95))
                    }
                }
                comparisons.append(MimeComparison(other: other.name, className: reader.classNames[k], metric: .dsc, pairs: dsc))
                comparisons.append(MimeComparison(other: other.name, className: reader.classNames[k], metric: .hd95, pairs: hd))
            }
        }
        return comparisons
    }

    /// The comparison section: a table, then the differences that hold and those that do not, in words.
    func comparisonSection() -> String {
        let all = comparisons()
        guard !all.isEmpty else {
            return "## Mime against the other losses\n\nNo comparison: mime or every other loss has no finished cell.\n\n"
        }
        var md = "## Mime against the other losses\n\n"
        md += "Wilcoxon signed-rank test, two-sided, of mime's score minus the other loss's over the pairs (test volume, seed) "
            + "both scored; zero differences dropped; exact distribution for at most \(WilcoxonSignedRank.exactLimit) "
            + "untied non-zero differences, else the normal approximation with tie and continuity correction. "
            + "DSC differences in percentage points. No correction for the \(all.count) comparisons made.\n\n"
        md += "| other loss | class | metric | pairs | median difference | W | p | method | holds (p < \(MimeComparison.alpha)) |\n"
        md += "|---|---|---|---|---|---|---|---|---|\n"
        for c in all {
            md += "| \(c.other) | \(c.className) | \(c.metric.rawValue) | \(c.differences.count) | "
                + (c.differences.isEmpty ? "n/a" : String(format: "%+.2f", c.medianDifference)) + " | "
                + String(format: "%.1f", c.test.statistic) + " | \(MimeComparison.format(c.test.pValue)) | "
                + "\(c.test.n > 0 ? c.test.method.rawValue : "n/a") | \(c.holds ? "yes" : "no") |\n"
        }
        let holding = all.filter(\.holds), notHolding = all.filter { !$0.holds }
        md += "\nDifferences that hold (\(holding.count) of \(all.count)):\n\n"
        md += holding.isEmpty ? "- none\n" : holding.map { "- " + $0.sentence + "\n" }.joined()
        md += "\nDifferences that do not hold (\(notHolding.count) of \(all.count)):\n\n"
        md += notHolding.isEmpty ? "- none\n" : notHolding.map { "- " + $0.sentence + "\n" }.joined()
        return md + "\n"
    }

    /// Per run: how it stopped, its epochs, best validation Dice, non-finite steps and times.
    func trainingTable() -> String {
        var md = "| Run | epochs run | stopped by | best epoch | best val Dice (fg) | non-finite steps | checkpoint | train (s) | evaluate (s) |\n"
        md += "|---|---|---|---|---|---|---|---|---|\n"
        for run in results.all {
            let metrics = run.metrics
            let best = metrics.epochs.filter { $0.valDiceForeground.isFinite }.max { $0.valDiceForeground < $1.valDiceForeground }
            let stop: String
            switch metrics.stopReason {
            case .earlyStop: stop = "early stop"
            case .epochCap: stop = "epoch cap" + (metrics.end == nil ? " (no end record)" : "")
            case .signal: stop = "signal"
            }
            let bestEpoch = metrics.end?.bestEpoch ?? best?.epoch
            let bestDice = metrics.end?.bestValDice ?? best?.valDiceForeground
            md += "| \(run.cell.name) | \(metrics.end?.epochsRun ?? metrics.epochs.count) | \(stop) | "
                + "\(bestEpoch.map(String.init) ?? "n/a") | \(bestDice.map { String(format: "%.3f", $0) } ?? "n/a") | "
                + "\(metrics.skippedSteps) | \(run.result.checkpoint) | \(String(format: "%.0f", run.result.trainSeconds)) | "
                + "\(String(format: "%.0f", run.result.evaluateSeconds)) |\n"
        }
        return md
    }

    /// The first finished cell of each loss (the lowest seed): the curves and overlays show these.
    var shown: [ExperimentResults.Finished] { losses.compactMap { results.cells(of: $0).first } }

    /// Loss and validation foreground Dice per epoch, one line per loss (its first seed).
    func writeCurves() throws {
        let loss = LineChart(title: "Training loss (\(settings.dataset))", xTitle: "epoch", yTitle: "loss",
                             series: shown.map { run in
                                 .init(name: run.cell.loss.name, points: run.metrics.epochs.map { (Double($0.epoch), $0.trainLoss) }
                                    .filter { $0.1.isFinite })
                             })
        try loss.write(to: settings.out + "/" + Self.lossCurves)
        var dice = LineChart(title: "Validation foreground Dice (\(settings.dataset))", xTitle: "epoch", yTitle: "3D Dice",
                             series: shown.map { run in
                                 .init(name: run.cell.loss.name, points: run.metrics.epochs.map { (Double($0.epoch), $0.valDiceForeground) }
                                    .filter { $0.1.isFinite })
                             })
        dice.yRange = 0...1
        try dice.write(to: settings.out + "/" + Self.diceCurves)
    }

    /// Test patches with the most foreground, spread over volumes (one per volume in turn).
    func figurePatches() throws -> [(index: Int, title: String)] {
        let volumes = try reader.volumes(.test)
        let slices = try reader.patchIndex(.test).slice
        var perVolume: [[(index: Int, foreground: Int)]] = []
        for volume in volumes {
            var candidates: [(index: Int, foreground: Int)] = []
            for p in volume.firstPatch..<(volume.firstPatch + volume.numPatches) {
                let foreground = try reader.patch(.test, p).label.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
                if foreground > 0 { candidates.append((p, foreground)) }
            }
            perVolume.append(candidates.sorted { ($0.foreground, -$0.index) > ($1.foreground, -$1.index) })
        }
        var chosen: [(index: Int, title: String)] = []
        var round = 0
        while chosen.count < settings.figureSlices && perVolume.contains(where: { $0.count > round }) {
            for (v, candidates) in perVolume.enumerated() where candidates.count > round && chosen.count < settings.figureSlices {
                let p = candidates[round].index
                chosen.append((p, "\(volumes[v].id) z\(slices[p])" + (reader.sliceSize > reader.patchSize[0] ? " patch \(p)" : "")))
            }
            round += 1
        }
        return chosen
    }

    /// The overlay grid: image, ground truth, each loss's prediction (its first seed). Returns
    /// the rows' titles (none: no test patch has foreground; no figure).
    func writeOverlays() throws -> [String] {
        let chosen = try figurePatches()
        guard !chosen.isEmpty else { return [] }
        let (h, w) = (reader.patchSize[0], reader.patchSize[1])
        let patches = try chosen.map { try reader.patch(.test, $0.index) }
        let images = patches.flatMap(\.image)
        var predictions: [[UInt8]] = []
        for run in shown {
            let model = try SegmentationModel(checkpoint: run.checkpoint)
            let p = try model.probabilities(images, count: chosen.count, height: h, width: w)
            predictions.append(SegmentationModel.argmax(p, images: chosen.count, classes: model.classes, pixels: h * w))
        }
        let rows = chosen.indices.map { i in
            OverlayGrid.Row(title: "\(i + 1)", image: Array(patches[i].image[0..<(h * w)]),
                            labelMaps: [patches[i].label] + predictions.map { Array($0[(i * h * w)..<((i + 1) * h * w)]) })
        }
        let grid = OverlayGrid(width: w, height: h, columnTitles: ["image", "ground truth"] + shown.map(\.cell.loss.name),
                               classNames: reader.classNames, rows: rows)
        try grid.write(to: settings.out + "/" + Self.overlays)
        return chosen.map(\.title)
    }

    func markdown(seconds: Double?, figureRows: [String]) throws -> String {
        let volumes = (try? reader.volumes(.test).count) ?? 0
        let seeds = Set(results.finished.map(\.cell.seed)).sorted()
        var md = "# Table 1: \(settings.dataset)\n\n"
        md += "Per loss and seed, the mean over the \(volumes) test volume(s) of the 3D DSC (%) / HD95 (mm) per class; "
            + "\"All\" is the mean over the foreground classes. Each cell: mean ± sample standard deviation over the "
            + "seeds (\(seeds.map(String.init).joined(separator: ", "))). Best mean per column in bold (highest DSC, "
            + "lowest HD95). HD95: MedPy's definition, with the paper's empty-case rules (see docs/evaluation.md); "
            + "volumes on the store's grid, resampled spacing.\n\n"
        md += table1() + "\n"
        if settings.sweep {
            md += "Table 1 and the comparison below: the cells trained on whole slices; the sweep after them has every patch side.\n\n"
        }
        if !results.missing.isEmpty {
            md += "Not finished, left out: " + results.missing.map { "`\($0.name)`" }.joined(separator: ", ") + ".\n\n"
        }
        md += ClassPresence.section(losses: losses, classes: foregroundClasses.map { ($0, reader.classNames[$0]) },
                                    cellsOf: { results.cells(of: $0).map(\.result) })
        md += comparisonSection()
        if settings.sweep { md += try SweepReport(settings: settings, results: results).write() }
        md += "## Training\n\n" + trainingTable()
        md += "\nStopped by: the `end` record of each run's `metrics.jsonl` (early stop, epoch cap or signal); a run "
            + "without one trained all its epochs (epoch cap). Non-finite steps: sum of `skipped_nonfinite` over the "
            + "epochs (steps skipped on every rank).\n\n"
        md += "![training loss](\(Self.lossCurves))\n\n![validation Dice](\(Self.diceCurves))\n\n"
        md += "Curves and overlays: each loss's first seed.\n\n"
        if !figureRows.isEmpty {
            md += "## Test examples\n\n![overlays](\(Self.overlays))\n\n"
            md += "Test patches with the most foreground, one volume after another: image, ground truth, "
                + "then each loss's prediction (argmax of the evaluated checkpoint). Rows: "
                + figureRows.enumerated().map { "\($0.offset + 1) = \($0.element)" }.joined(separator: ", ") + ".\n\n"
        }
        md += "## Run\n\n"
        md += "- command: `" + (worldSize > 1 ? "mpirun -n \(worldSize) " : "") + "\(settings.command)`\n"
        let worlds = Set(results.finished.map(\.result.trainingWorldSize)).sorted()
        md += "- world size: \(worlds.map(String.init).joined(separator: ", ")) rank(s) in training, "
            + "\(results.training.threads) thread(s) per rank\n"
        md += "- store: `\(results.store)` (\(reader.kind), \(reader.count(.train)) training patches \(reader.patchSize[0])x\(reader.patchSize[1]), "
            + "slices \(reader.sliceSize)x\(reader.sliceSize))\n"
        let training = results.training, loop = training.loop
        md += "- schedule: \(loop.epochs) epoch(s)" + (loop.maxStepsPerEpoch > 0 ? ", at most \(loop.maxStepsPerEpoch) steps each" : "")
            + (settings.sweep
                ? ", batch per rank by patch side " + settings.patches.compactMap { side in side.map { "\($0): \(settings.batch(patch: $0) ?? 0)" } }
                    .joined(separator: ", ") + " (the same pixels and steps per epoch at every side)"
                : ", batch \(loop.batch) per rank")
            + ", Adam lr \(training.learningRate), seeds "
            + seeds.map(String.init).joined(separator: ", ") + "\n"
        md += "- cells: \(results.all.count) finished of \(settings.cells.count), in `runs/<loss>-seed<seed>"
            + (settings.sweep ? "-patch<side>" : "") + "/`\n"
        md += "- versions: swift-dist-train \(programVersion), oneDNN \(DNNLInfo.version), HDF5 \(H5Library.version), "
            + "MPI \(Communicator.libraryVersion.split(separator: ",").first.map(String.init) ?? "?")\n"
        let trainSum = results.all.reduce(0) { $0 + $1.result.trainSeconds + $1.result.evaluateSeconds }
        md += "- time: " + (seconds.map { String(format: "%.0f s this command", $0) } ?? "report only (--merge)")
            + String(format: "; %.0f s training and evaluation summed over the cells", trainSum)
            + ", finished \(ISO8601DateFormatter().string(from: Date()))\n"
        return md
    }
}
