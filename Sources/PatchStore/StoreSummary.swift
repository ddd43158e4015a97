import Foundation

/// What `inspect` prints: how the split was made; per split, volumes, how many volumes
/// hold each class, patches, class fractions, empty-patch fractions per class; the Mime weights.
public struct StoreSummary: Codable, Sendable {
    public struct SplitSummary: Codable, Sendable {
        public var split: String
        public var volumes: Int
        public var subjects: Int
        public var patches: Int
        /// Volumes of the split whose stored labels hold each class.
        public var volumesHoldingClass: [Int]
        /// Fraction of the split's label pixels in each class.
        public var classFractions: [Double]
        /// Fraction of the split's patches in which each class is absent.
        public var emptyPatchFractions: [Double]
    }

    public var path: String
    public var schemaVersion: Int
    public var datasetKind: String
    public var classNames: [String]
    public var channelNames: [String]
    public var patchSize: [Int]
    public var sliceSize: Int
    /// Whether the split was stratified by class presence; nil for stores that predate the record.
    public var splitStratified: Bool?
    public var splits: [SplitSummary]
    /// Mime weights from the train split; nil entries are NaN (class absent from train).
    public var mimeA: [Double?]
    public var mimeB: [Double?]

    /// Reads the summary of the store at `path`.
    public init(path: String) throws {
        let reader = try PatchStoreReader(path: path)
        self.path = path
        schemaVersion = StoreSpec.currentVersion
        datasetKind = reader.kind
        classNames = reader.classNames
        channelNames = reader.channelNames
        patchSize = reader.patchSize
        sliceSize = reader.sliceSize
        splitStratified = try reader.splitStratified()
        mimeA = reader.mimeA.map { $0.isNaN ? nil : $0 }
        mimeB = reader.mimeB.map { $0.isNaN ? nil : $0 }
        splits = try Split.allCases.map { split in
            let n = reader.count(split), volumes = try reader.volumes(split)
            let counts = try reader.classVoxelCounts(split), absent = try reader.classAbsentPatches(split)
            let total = Double(counts.reduce(0, +))
            return SplitSummary(split: split.rawValue, volumes: volumes.count, subjects: Set(volumes.map(\.subject)).count,
                                patches: n, volumesHoldingClass: try reader.volumesHoldingClass(split),
                                classFractions: counts.map { total > 0 ? Double($0) / total : 0 },
                                emptyPatchFractions: absent.map { n > 0 ? Double($0) / Double(n) : 0 })
        }
    }

    /// Human-readable table.
    public var text: String {
        var lines = ["\(path): patch store v\(schemaVersion), \(datasetKind), \(channelNames.count) channel(s) \(channelNames), "
            + "patches \(patchSize.map(String.init).joined(separator: "x")) from \(sliceSize)x\(sliceSize) slices"]
        let width = max(10, classNames.map(\.count).max() ?? 0)
        func pad(_ s: String) -> String { s.padding(toLength: width, withPad: " ", startingAt: 0) }
        func num(_ x: Double?, _ format: String) -> String {
            (x.map { String(format: format, $0) } ?? "NaN").padding(toLength: 12, withPad: " ", startingAt: 0)
        }
        lines.append("split: " + (splitStratified.map { $0 ? "stratified by class presence" : "shuffled and cut (not stratified)" }
            ?? "shuffled and cut (the store predates stratified splits)"))
        lines.append("")
        lines += volumeTable
        for s in splits {
            lines.append("")
            lines.append("\(s.split): \(s.volumes) volumes (\(s.subjects) subjects), \(s.patches) patches")
            lines.append("  " + pad("class") + " " + ["fraction", "empty"].map { $0.padding(toLength: 12, withPad: " ", startingAt: 0) }.joined())
            for (k, name) in classNames.enumerated() {
                lines.append("  " + pad(name) + " " + num(s.classFractions[k], "%.5f") + num(s.emptyPatchFractions[k] * 100, "%.1f%%"))
            }
        }
        lines.append("")
        lines.append("Mime weights (train):")
        lines.append("  " + pad("class") + " " + ["a_k", "b_k"].map { $0.padding(toLength: 12, withPad: " ", startingAt: 0) }.joined())
        for (k, name) in classNames.enumerated() {
            lines.append("  " + pad(name) + " " + num(mimeA[k], "%.4g") + num(mimeB[k], "%.4g"))
        }
        return lines.joined(separator: "\n")
    }

    /// Per split, the volumes and how many of them hold each class, e.g.
    /// `train  17  17  17  5` under `split  volumes  background  WMH  other pathology`.
    var volumeTable: [String] {
        let header = ["split", "volumes"] + classNames
        let rows = splits.map { [$0.split, "\($0.volumes)"] + $0.volumesHoldingClass.map(String.init) }
        let widths = header.indices.map { j in ([header] + rows).map { $0[j].count }.max()! }
        func line(_ cells: [String]) -> String {
            "  " + cells.enumerated().map { j, cell in
                let pad = String(repeating: " ", count: widths[j] - cell.count)
                return j == 0 ? cell + pad : pad + cell              // split name left, counts right
            }.joined(separator: "  ")
        }
        return ["volumes holding each class:", line(header)] + rows.map(line)
    }
}

/// What `inspect` reports: the summary (when the store is readable) and, with validation,
/// every violation of the specification (even when the summary cannot be read).
public struct StoreInspection: Codable, Sendable {
    public var summary: StoreSummary?
    /// nil when not validated.
    public var violations: [String]?

    public init(path: String, validate: Bool) throws {
        guard validate else {
            summary = try StoreSummary(path: path)
            return
        }
        let problems = try StoreValidator.validate(path)
        violations = problems
        // A store with violations may lack what the summary needs; a valid one must summarise.
        summary = problems.isEmpty ? try StoreSummary(path: path) : try? StoreSummary(path: path)
    }

    public var text: String {
        var lines: [String] = summary.map { [$0.text] } ?? []
        if let violations {
            if !lines.isEmpty { lines.append("") }
            lines.append(violations.isEmpty ? "valid: no violations of the v\(StoreSpec.currentVersion) specification"
                                            : "\(violations.count) violation(s) of the v\(StoreSpec.currentVersion) specification:")
            lines += violations.map { "  - \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}
