import Common
import Foundation

/// Writes an evaluation's results: `per_volume.csv`, `summary.json` and a printable table.
public enum ReportWriter {
    /// The per-volume table, one row per (volume, class), header
    /// `volume,class,dsc,hd95_mm,label_voxels,pred_voxels`. Numbers are written with full
    /// precision (shortest round-tripping decimal).
    public static func perVolumeCSV(_ scores: [VolumeScore]) -> String {
        var text = "volume,class,dsc,hd95_mm,label_voxels,pred_voxels\n"
        for s in scores {
            text += "\(csvField(s.volume)),\(s.classIndex),\(s.dice),\(s.hd95),\(s.labelVoxels),\(s.predictedVoxels)\n"
        }
        return text
    }

    /// `summary.json`: the summary plus the definitions needed to read it.
    public static func summaryJSON(_ summary: ScoreSummary) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(SummaryFile(summary: summary))
    }

    /// A fixed-width table: one row per class and a final "All (foreground)" row, each cell
    /// "mean ± std", DSC in percent and HD95 in mm.
    public static func table(_ summary: ScoreSummary) -> String {
        func row(_ name: String, _ s: ScoreStatistics) -> String {
            let dsc = String(format: "%6.2f ± %5.2f", 100 * s.diceMean, 100 * s.diceStd)
            let hd = String(format: "%8.2f ± %7.2f", s.hd95Mean, s.hd95Std)
            return name.padding(toLength: 20, withPad: " ", startingAt: 0)
                + String(format: "%5d  ", s.count) + dsc + "   " + hd + "\n"
        }
        var text = "class".padding(toLength: 20, withPad: " ", startingAt: 0)
            + "    n  DSC (%)            HD95 (mm)\n"
        for c in summary.classes { text += row("\(c.classIndex) \(c.name)", c.statistics) }
        if let all = summary.foreground { text += row("All (foreground)", all) }
        text += "\(summary.volumes) volumes; HD95: MedPy definition; std over volumes (ddof=0)\n"
        return text
    }

    /// Writes `per_volume.csv` and `summary.json` into `directory` (created if needed),
    /// each through a temporary file renamed into place.
    public static func write(scores: [VolumeScore], summary: ScoreSummary, to directory: String) throws {
        try AtomicFile.createDirectories(directory)
        try AtomicFile.write(directory + "/per_volume.csv", data: Data(perVolumeCSV(scores).utf8))
        try AtomicFile.write(directory + "/summary.json", data: summaryJSON(summary))
    }


    /// Quotes a CSV field when it holds a comma, quote or newline.
    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// The layout of `summary.json`.
struct SummaryFile: Encodable {
    let summary: ScoreSummary
    let definitions = [
        "dsc": "3D Dice 2|A∩B|/(|A|+|B|) per volume and class; 1 when the class is in neither",
        "hd95_mm": "MedPy hd95: surfaces = mask minus 6-neighbourhood erosion, distances pooled over both directions, 95th percentile (linear), exact anisotropic EDT",
        "empty_cases": "class present but not predicted, or predicted but absent: DSC 0, HD95 = scan diagonal in mm; absent and not predicted: DSC 1, HD95 0",
        "std": "population standard deviation over volumes (ddof=0)",
        "foreground": "means of the per-class means over classes != 0; std over all pooled foreground scores",
    ]

    enum CodingKeys: String, CodingKey { case volumes, classes, foreground, definitions }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(summary.volumes, forKey: .volumes)
        try c.encode(summary.classes, forKey: .classes)
        try c.encode(summary.foreground, forKey: .foreground)
        try c.encode(definitions, forKey: .definitions)
    }
}
