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

/// `report.md` of an experiment and its figures: Table 1 (the paper's layout), non-finite
/// steps, training curves, a Figure-1-like overlay grid, and how the run was made.
struct ExperimentReport {
    let settings: Experiment.Settings
    let store: String
    let reader: PatchStoreReader
    let runs: [Experiment.LossRun]
    /// Ranks of this process's world (evaluation), and of the training runs.
    let worldSize: Int
    let trainingWorldSize: Int
    let programVersion: String

    /// Figure files, relative to the output directory.
    static let lossCurves = "curves_loss.png", diceCurves = "curves_val_dice.png", overlays = "figure1.png"

    /// Writes the figures and `report.md` (each atomically); returns the report's path.
    func write(seconds: Double) throws -> String {
        let out = settings.out
        try AtomicFile.createDirectories(out)
        try writeCurves()
        let figureRows = try writeOverlays()
        let path = out + "/report.md"
        try AtomicFile.write(path, data: Data(markdown(seconds: seconds, figureRows: figureRows).utf8))
        return path
    }

    /// Table 1: one row per loss, one column per foreground class and "All"; each cell
    /// "DSC (%) / HD95 (mm)", the best DSC (highest) and HD95 (lowest) of each column in bold.
    func table1() -> String {
        let classes = Array(1..<reader.numClasses)
        // Per run, per column (classes then All): (dice %, hd95 mm).
        // Rounded as printed, so that cells that read the same are bolded alike.
        let cells: [[(Double, Double)]] = runs.map { run in
            let summary = run.evaluation.summary
            var row = classes.map { k -> (Double, Double) in
                guard let s = summary.classes.first(where: { $0.classIndex == k })?.statistics else { return (.nan, .nan) }
                return (100 * s.diceMean, s.hd95Mean)
            }
            row.append(summary.foreground.map { (100 * $0.diceMean, $0.hd95Mean) } ?? (.nan, .nan))
            return row.map { (($0.0 * 10).rounded() / 10, ($0.1 * 10).rounded() / 10) }
        }
        let columns = classes.map { reader.classNames[$0] } + ["All"]
        var text = "| Loss | " + columns.joined(separator: " | ") + " |\n"
        text += "|---|" + columns.map { _ in "---|" }.joined() + "\n"
        for (r, run) in runs.enumerated() {
            text += "| \(run.loss) |"
            for c in columns.indices {
                let bestDice = cells.map { $0[c].0 }.filter(\.isFinite).max()
                let bestHD = cells.map { $0[c].1 }.filter(\.isFinite).min()
                let (dice, hd) = cells[r][c]
                let d = String(format: "%.1f", dice), h = String(format: "%.1f", hd)
                text += " " + (dice == bestDice ? "**\(d)**" : d) + " / " + (hd == bestHD ? "**\(h)**" : h) + " |"
            }
            text += "\n"
        }
        return text
    }

    /// Loss and validation foreground Dice per epoch, one line per loss.
    func writeCurves() throws {
        let loss = LineChart(title: "Training loss (\(settings.dataset))", xTitle: "epoch", yTitle: "loss",
                             series: runs.map { run in
                                 .init(name: run.loss, points: run.metrics.map { (Double($0.epoch), $0.trainLoss) }.filter { $0.1.isFinite })
                             })
        try loss.write(to: settings.out + "/" + Self.lossCurves)
        var dice = LineChart(title: "Validation foreground Dice (\(settings.dataset))", xTitle: "epoch", yTitle: "3D Dice",
                             series: runs.map { run in
                                 .init(name: run.loss, points: run.metrics.map { (Double($0.epoch), $0.valDiceForeground) }.filter { $0.1.isFinite })
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

    /// The overlay grid: image, ground truth, each loss's prediction. Returns the rows' titles
    /// (none: no test patch has foreground; no figure).
    func writeOverlays() throws -> [String] {
        let chosen = try figurePatches()
        guard !chosen.isEmpty else { return [] }
        let (h, w) = (reader.patchSize[0], reader.patchSize[1])
        let patches = try chosen.map { try reader.patch(.test, $0.index) }
        let images = patches.flatMap(\.image)
        var predictions: [[UInt8]] = []
        for run in runs {
            let model = try SegmentationModel(checkpoint: run.checkpoint)
            let p = try model.probabilities(images, count: chosen.count, height: h, width: w)
            predictions.append(SegmentationModel.argmax(p, images: chosen.count, classes: model.classes, pixels: h * w))
        }
        let rows = chosen.indices.map { i in
            OverlayGrid.Row(title: "\(i + 1)", image: Array(patches[i].image[0..<(h * w)]),
                            labelMaps: [patches[i].label] + predictions.map { Array($0[(i * h * w)..<((i + 1) * h * w)]) })
        }
        let grid = OverlayGrid(width: w, height: h, columnTitles: ["image", "ground truth"] + runs.map(\.loss),
                               classNames: reader.classNames, rows: rows)
        try grid.write(to: settings.out + "/" + Self.overlays)
        return chosen.map(\.title)
    }

    func markdown(seconds: Double, figureRows: [String]) -> String {
        let volumes = (try? reader.volumes(.test).count) ?? 0
        var md = "# Table 1: \(settings.dataset)\n\n"
        md += "Mean over the \(volumes) test volume(s) of the 3D DSC (%) / HD95 (mm) per class; \"All\" is the mean over the "
            + "foreground classes. Best per column in bold (highest DSC, lowest HD95). HD95: MedPy's definition, with the "
            + "paper's empty-case rules (see docs/evaluation.md); volumes on the store's grid, resampled spacing.\n\n"
        md += table1() + "\n"
        md += "## Training\n\n| Loss | non-finite steps | epochs | best val Dice (fg) | checkpoint | train (s) | evaluate (s) |\n"
        md += "|---|---|---|---|---|---|---|\n"
        for run in runs {
            let skipped = run.metrics.reduce(0) { $0 + $1.skippedNonFinite }
            let best = run.metrics.map(\.valDiceForeground).filter(\.isFinite).max()
            md += "| \(run.loss) | \(skipped) | \(run.metrics.count) | \(best.map { String(format: "%.3f", $0) } ?? "n/a") | "
                + "\(URL(fileURLWithPath: run.checkpoint).lastPathComponent) | \(String(format: "%.0f", run.trainSeconds)) | "
                + "\(String(format: "%.0f", run.evaluateSeconds)) |\n"
        }
        md += "\nNon-finite steps: sum of `skipped_nonfinite` in each run's `metrics.jsonl` (steps skipped on every rank).\n\n"
        md += "![training loss](\(Self.lossCurves))\n\n![validation Dice](\(Self.diceCurves))\n\n"
        if !figureRows.isEmpty {
            md += "## Test examples\n\n![overlays](\(Self.overlays))\n\n"
            md += "Test patches with the most foreground, one volume after another: image, ground truth, "
                + "then each loss's prediction (argmax of the best checkpoint). Rows: "
                + figureRows.enumerated().map { "\($0.offset + 1) = \($0.element)" }.joined(separator: ", ") + ".\n\n"
        }
        md += "## Run\n\n"
        md += "- command: `" + (worldSize > 1 ? "mpirun -n \(worldSize) " : "") + "\(settings.command)`\n"
        md += "- world size: \(trainingWorldSize) rank(s), \(settings.training.threads) thread(s) per rank"
            + (settings.skipTraining ? " (training, earlier; evaluated here on \(worldSize) rank(s))" : "") + "\n"
        md += "- store: `\(store)` (\(reader.kind), \(reader.count(.train)) training patches \(reader.patchSize[0])x\(reader.patchSize[1]), "
            + "slices \(reader.sliceSize)x\(reader.sliceSize))\n"
        let loop = settings.training.loop
        md += "- schedule: \(loop.epochs) epoch(s)" + (loop.maxStepsPerEpoch > 0 ? ", at most \(loop.maxStepsPerEpoch) steps each" : "")
            + ", batch \(loop.batch) per rank, Adam lr \(settings.training.learningRate), seed \(loop.seed)\n"
        md += "- versions: swift-dist-train \(programVersion), oneDNN \(DNNLInfo.version), HDF5 \(H5Library.version), "
            + "MPI \(Communicator.libraryVersion.split(separator: ",").first.map(String.init) ?? "?")\n"
        md += "- time: \(String(format: "%.0f", seconds)) s" + (settings.skipTraining ? " (evaluation and report; training not included)" : "")
            + ", finished \(ISO8601DateFormatter().string(from: Date()))\n"
        return md
    }
}
