import Foundation

/// One line of the comparison: a loss in one way of assembling it from patches, against the
/// same loss on the whole volume.
public struct ComparisonRow: Codable, Equatable, Sendable {
    /// The loss (`ce`, `dice`, `vnet`, `gdl`, `mime`).
    public var loss: String
    /// How the pieces are assembled: `sum` (per-patch sums added, Mime and CE), `patch` (each
    /// patch its own Dice, averaged as trained) or `global` (statistics summed over patches and
    /// ranks before the ratio).
    public var scope: String
    /// The loss of the whole volume and the loss assembled from the pieces.
    public var wholeValue: Double
    public var piecesValue: Double
    /// |pieces − whole| / |whole|.
    public var valueError: Double
    /// ‖g_pieces − g_whole‖ / ‖g_whole‖ and the cosine, for the gradient w.r.t. the logits.
    public var logitGradientError: Double
    public var logitGradientCosine: Double
    /// The same for the gradient w.r.t. the network's parameters (summed over patches and ranks).
    public var parameterGradientError: Double
    public var parameterGradientCosine: Double
    /// ‖g_whole‖ of the logit gradient and of the parameter gradient (independent of the ranks).
    public var wholeLogitGradientNorm: Double
    public var wholeParameterGradientNorm: Double
    /// Non-finite loss quantities plus non-finite logit-gradient entries, of the pieces.
    public var nonFinite: Int
    /// The same for the whole-volume evaluation.
    public var wholeNonFinite: Int
}

/// The comparison on one volume.
public struct VolumeComparison: Codable, Equatable, Sendable {
    public var id: String
    public var patches: Int
    /// Patches in which at least one class is absent from the label.
    public var patchesWithEmptyClass: Int
    /// Per class, the patches where it is absent from the label.
    public var emptyPatchesPerClass: [Int]
    /// Classes absent from the whole volume.
    public var classesAbsentFromVolume: [Int]
    public var rows: [ComparisonRow]
}

/// A row summarised over the volumes: means, worst cases and totals.
public struct SummaryRow: Codable, Equatable, Sendable {
    public var loss: String
    public var scope: String
    /// Means over the volumes (NaN if any volume's is NaN).
    public var valueError: Double
    public var logitGradientError: Double
    public var logitGradientCosine: Double
    public var parameterGradientError: Double
    public var parameterGradientCosine: Double
    /// Largest errors and smallest cosines over the volumes (NaN if any is NaN).
    public var worstValueError: Double
    public var worstLogitGradientError: Double
    public var worstLogitGradientCosine: Double
    public var worstParameterGradientError: Double
    public var worstParameterGradientCosine: Double
    /// Summed over the volumes.
    public var nonFinite: Int
    public var wholeNonFinite: Int
}

/// Everything `decompose` measured; `table` and `json()` are what it prints.
public struct DecompositionReport: Codable, Equatable, Sendable {
    public var store: String
    public var split: String
    public var ranks: Int
    public var eps: Double
    /// The weights file, or nil for the seeded random initialisation.
    public var checkpoint: String?
    public var seed: UInt64
    public var classNames: [String]
    /// (H, W) of a patch.
    public var patchSize: [Int]
    public var patches: Int
    public var patchesWithEmptyClass: Int
    public var emptyPatchesPerClass: [Int]
    public var summary: [SummaryRow]
    public var volumes: [VolumeComparison]

    /// Builds the summary from per-volume comparisons (every volume has the same rows, in order).
    init(settings: DecomposeSettings, ranks: Int, classNames: [String], patchSize: [Int], volumes: [VolumeComparison]) {
        store = settings.store
        split = settings.split
        self.ranks = ranks
        eps = settings.eps
        checkpoint = settings.checkpoint
        seed = settings.seed
        self.classNames = classNames
        self.patchSize = patchSize
        self.volumes = volumes
        patches = volumes.reduce(0) { $0 + $1.patches }
        patchesWithEmptyClass = volumes.reduce(0) { $0 + $1.patchesWithEmptyClass }
        emptyPatchesPerClass = volumes.reduce([Int](repeating: 0, count: classNames.count)) { total, volume in
            zip(total, volume.emptyPatchesPerClass).map { $0 + $1 }
        }
        summary = (volumes.first?.rows ?? []).indices.map { r in
            let rows = volumes.map { $0.rows[r] }
            func mean(_ f: (ComparisonRow) -> Double) -> Double { rows.reduce(0) { $0 + f($1) } / Double(rows.count) }
            // NaN-propagating extremes: a NaN anywhere must show, not be skipped by max/min.
            func worst(_ f: (ComparisonRow) -> Double, largest: Bool) -> Double {
                let values = rows.map(f)
                if values.contains(where: \.isNaN) { return .nan }
                return largest ? values.max()! : values.min()!
            }
            return SummaryRow(loss: rows[0].loss, scope: rows[0].scope,
                              valueError: mean(\.valueError), logitGradientError: mean(\.logitGradientError),
                              logitGradientCosine: mean(\.logitGradientCosine),
                              parameterGradientError: mean(\.parameterGradientError),
                              parameterGradientCosine: mean(\.parameterGradientCosine),
                              worstValueError: worst(\.valueError, largest: true),
                              worstLogitGradientError: worst(\.logitGradientError, largest: true),
                              worstLogitGradientCosine: worst(\.logitGradientCosine, largest: false),
                              worstParameterGradientError: worst(\.parameterGradientError, largest: true),
                              worstParameterGradientCosine: worst(\.parameterGradientCosine, largest: false),
                              nonFinite: rows.reduce(0) { $0 + $1.nonFinite },
                              wholeNonFinite: rows.reduce(0) { $0 + $1.wholeNonFinite })
        }
    }

    /// The encoder and decoder settings of `json()`: non-finite numbers as the strings
    /// "nan", "inf", "-inf".
    public static let nonFiniteStrings = (positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")

    /// One JSON document (sorted keys, pretty-printed).
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let s = Self.nonFiniteStrings
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: s.positiveInfinity,
                                                                      negativeInfinity: s.negativeInfinity, nan: s.nan)
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Reads a document written by `json()`.
    public static func decode(_ data: Data) throws -> DecompositionReport {
        let decoder = JSONDecoder()
        let s = nonFiniteStrings
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: s.positiveInfinity,
                                                                        negativeInfinity: s.negativeInfinity, nan: s.nan)
        return try decoder.decode(DecompositionReport.self, from: data)
    }

    /// The human-readable table: means over the volumes.
    public var table: String {
        let weights = checkpoint.map { "weights \($0)" } ?? "random init (seed \(seed))"
        var lines = [
            "decompose \(store), \(split) split: \(volumes.count) volume(s), \(patches) patches of "
                + "\(patchSize.map(String.init).joined(separator: "x")), \(patchesWithEmptyClass) with an empty class; "
                + "\(ranks) rank(s), eps \(eps), \(weights)",
            "patches where a class is absent: "
                + zip(classNames, emptyPatchesPerClass).map { "\($0) \($1)" }.joined(separator: ", "),
            "errors relative to the whole volume as one image, means over the volumes; non-finite: loss "
                + "quantities and logit-gradient entries, of the pieces and of the whole",
            "",
        ]
        let header = ["loss", "scope", "value err", "logit grad err", "logit cos", "param grad err", "param cos",
                      "empty patches", "non-finite", "whole non-finite"]
        var cells = [header]
        for row in summary {
            cells.append([row.loss, row.scope, Self.scientific(row.valueError), Self.scientific(row.logitGradientError),
                          Self.fixed(row.logitGradientCosine), Self.scientific(row.parameterGradientError),
                          Self.fixed(row.parameterGradientCosine), "\(patchesWithEmptyClass)/\(patches)",
                          "\(row.nonFinite)", "\(row.wholeNonFinite)"])
        }
        let widths = header.indices.map { c in cells.map { $0[c].count }.max()! }
        for (i, row) in cells.enumerated() {
            lines.append(row.enumerated().map { c, cell in
                c < 2 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                      : String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "  "))
            if i == 0 { lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
        }
        return lines.joined(separator: "\n")
    }

    static func scientific(_ x: Double) -> String { x.isFinite ? String(format: "%.2e", x) : nonFinite(x) }
    static func fixed(_ x: Double) -> String { x.isFinite ? String(format: "%.6f", x) : nonFinite(x) }
    static func nonFinite(_ x: Double) -> String { x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
}
