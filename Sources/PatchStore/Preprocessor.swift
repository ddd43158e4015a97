import Common
import Dispatch
import Foundation

/// Everything `preprocess` needs to know.
public struct PreprocessOptions: Sendable {
    public var kind: DatasetKind
    public var input: String
    public var output: String
    /// Every slice is resampled in-plane to size x size.
    public var size = 256
    /// Sub-patch side and stride; nil for whole slices.
    public var patch: Int?
    public var stride: Int?
    /// Train, val, test fractions of subjects.
    public var fractions = [0.7, 0.1, 0.2]
    public var seed: UInt64 = 0
    /// Split stratified by class presence (`SubjectSplit.assignStratified`) instead of a plain
    /// shuffle and cut; costs one extra read of every label volume.
    public var stratify = false
    /// Volumes processed concurrently.
    public var workers = 1
    /// WMH modalities, one channel each (`flair`, `t1`).
    public var modalities = ["flair"]
    /// For `pairs`: K and class names (inferred from the labels when nil).
    public var classes: Int?
    public var classNames: [String]?
    public var programVersion = "unknown"

    public init(kind: DatasetKind, input: String, output: String) {
        self.kind = kind
        self.input = input
        self.output = output
    }
}

/// Progress of a running `preprocess`, reported after each batch of volumes.
public struct PreprocessProgress: Sendable {
    public var volumesDone: Int
    public var volumesTotal: Int
    public var slicesDone: Int
    public var seconds: Double
}

/// What `preprocess` made.
public struct PreprocessReport: Sendable {
    public var volumes: [Split: Int]
    public var patches: [Split: Int]
    /// Whether the split was stratified by class presence.
    public var stratified: Bool
    /// One line per class the split could not put in every split with a positive fraction
    /// (stratified splits only), e.g. "class 'other pathology' (label 2) is in 2 subjects: none in val".
    public var warnings: [String]
    public var seconds: Double
    public var volumesPerSecond: Double { Double(volumes.values.reduce(0, +)) / max(seconds, 1e-9) }
}

/// Turns a NIfTI dataset into a patch store.
public enum Preprocessor {
    /// Runs the whole pipeline; on any error nothing is left at `options.output`.
    public static func run(_ options: PreprocessOptions,
                           progress: ((PreprocessProgress) -> Void)? = nil) throws -> PreprocessReport {
        let start = Date()
        try check(options)
        let sources = try DatasetLayout.discover(options.kind, in: options.input, modalities: options.modalities)
        let depths = try checkHeaders(sources, workers: options.workers)
        let classNames = try resolveClasses(options, sources: sources)
        let geometry = PatchGeometry(sliceSize: options.size, patch: options.patch, stride: options.stride)
        var assignment = SubjectSplit.assign(sources.map(\.subject), fractions: options.fractions, seed: options.seed)
        var warnings: [String] = []
        if options.stratify {
            let present = try classesPresent(sources, classes: classNames.count, workers: options.workers)
            let stratified = SubjectSplit.assignStratified(sources.map(\.subject), classes: present,
                                                           fractions: options.fractions, seed: options.seed)
            assignment = stratified.splits
            warnings = stratified.missing.map { m in
                "class '\(classNames[m.label])' (label \(m.label)) is in \(m.subjects) subject(s): none in "
                    + m.missing.map(\.rawValue).joined(separator: ", ")
            }
        }

        var bySplit: [Split: [Int]] = [:]
        for (i, split) in assignment.enumerated() { bySplit[split, default: []].append(i) }
        let patches = Dictionary(uniqueKeysWithValues: Split.allCases.map { split in
            (split, (bySplit[split] ?? []).reduce(0) { $0 + depths[$1] * geometry.patchesPerSlice })
        })
        let description = StoreDescription(
            kind: options.kind, classNames: classNames, channelNames: channelNames(options),
            geometry: geometry, source: absolute(options.input), splitSeed: options.seed,
            splitFractions: options.fractions, splitStratified: options.stratify, programVersion: options.programVersion)
        let writer = try StoreWriter(output: options.output, description: description, patches: patches)
        do {
            // Volumes in split order; each batch is loaded and resampled in parallel, then written serially.
            let order = Split.allCases.flatMap { split in (bySplit[split] ?? []).map { (split, $0) } }
            let batch = max(1, options.workers) * 2
            var done = 0, slices = 0
            for first in stride(from: 0, to: order.count, by: batch) {
                let items = Array(order[first..<min(first + batch, order.count)])
                let results = parallelMap(items.count, workers: options.workers) { j in
                    try VolumeProcessing.process(sources[items[j].1], classes: classNames.count, geometry: geometry)
                }
                for (j, result) in results.enumerated() {
                    let volume = try result.get()
                    try writer.append(volume, to: items[j].0)
                    slices += volume.shape[2]
                }
                done += items.count
                progress?(PreprocessProgress(volumesDone: done, volumesTotal: order.count, slicesDone: slices,
                                             seconds: Date().timeIntervalSince(start)))
            }
            try writer.finish()
        } catch {
            writer.discard()
            throw error
        }
        return PreprocessReport(volumes: bySplit.mapValues(\.count).merging(Split.allCases.map { ($0, 0) }) { a, _ in a },
                                patches: patches, stratified: options.stratify, warnings: warnings,
                                seconds: Date().timeIntervalSince(start))
    }

    static func check(_ o: PreprocessOptions) throws {
        func bad(_ message: String) -> ProgramError { .invalidValue(message) }
        try Check.outputFile(o.output, flag: "--out")
        try Check.side(o.size, flag: "--size")
        if let p = o.patch {
            try Check.side(p, flag: "--patch")
            guard p <= o.size else { throw bad("--patch must be at most --size \(o.size), got \(p)") }
            try Check.range(o.stride ?? p, 1...p, flag: "--stride")
        } else if o.stride != nil {
            throw bad("--stride needs --patch")
        }
        guard o.fractions.count == 3, o.fractions.allSatisfy({ $0 >= 0 && $0.isFinite }), o.fractions.reduce(0, +) > 0 else {
            throw bad("--split needs three non-negative fractions (train,val,test), got \(o.fractions)")
        }
        try Check.range(o.workers, Limits.workers, flag: "--workers")
        if let k = o.classes { try Check.range(k, Limits.classes, flag: "--classes") }
        let known = ["flair", "t1"]
        if o.kind == .wmh, let m = o.modalities.first(where: { !known.contains($0.lowercased()) }) {
            throw bad("--modalities: unknown WMH modality '\(m)' (known: \(known.joined(separator: ", ")))")
        }
    }

    /// Reads every header (existence, NIfTI-ness, 3D, image/label shapes agree); returns each volume's depth.
    static func checkHeaders(_ sources: [VolumeSource], workers: Int) throws -> [Int] {
        try parallelMap(sources.count, workers: workers) { i -> Int in
            let s = sources[i]
            let label = try NIfTIVolume.readHeader(s.labelFile)
            let labelShape = Array((label.dims + [1, 1, 1]).prefix(3))
            for file in s.imageFiles {
                let image = try NIfTIVolume.readHeader(file)
                let imageShape = Array((image.dims + [1, 1, 1]).prefix(3))
                guard imageShape == labelShape else {
                    throw VolumeProcessing.shapeMismatch(labelFile: s.labelFile, labelShape: labelShape,
                                                         imageFile: file, imageShape: imageShape)
                }
            }
            return labelShape[2]
        }.map { try $0.get() }
    }

    /// The label values present in each volume (checked as in `VolumeProcessing`: errors name the file).
    static func classesPresent(_ sources: [VolumeSource], classes: Int, workers: Int) throws -> [Set<Int>] {
        try parallelMap(sources.count, workers: workers) { i -> Set<Int> in
            let labels = try VolumeProcessing.labelValues(try NIfTIVolume.read(sources[i].labelFile), classes: classes)
            var seen = [Bool](repeating: false, count: classes)
            for value in labels { seen[Int(value)] = true }
            return Set(seen.indices.filter { seen[$0] })
        }.map { try $0.get() }
    }

    static func resolveClasses(_ o: PreprocessOptions, sources: [VolumeSource]) throws -> [String] {
        switch o.kind {
        case .acdc: return DatasetLayout.acdcClasses
        case .wmh: return DatasetLayout.wmhClasses
        case .pairs:
            var k = o.classes ?? 2
            if o.classes == nil {
                // Infer K as the largest label value + 1 (at least 2).
                let maxima = try parallelMap(sources.count, workers: o.workers) { i -> Float in
                    try NIfTIVolume.read(sources[i].labelFile).voxels.max() ?? 0
                }.map { try $0.get() }
                let largest = Double(maxima.max() ?? 0).rounded()
                guard largest < Double(Limits.classes.upperBound) else {
                    throw ProgramError(.labelOutOfRange, path: o.input, "the largest label value is \(largest): "
                                       + "at most \(Limits.classes.upperBound) classes (0...\(Limits.classes.upperBound - 1))")
                }
                k = max(2, Int(largest) + 1)
            }
            if let names = o.classNames {
                guard names.count == k else {
                    throw ProgramError.invalidValue("--class-names has \(names.count) names for \(k) classes")
                }
                return names
            }
            return ["background"] + (1..<k).map { "class\($0)" }
        }
    }

    static func channelNames(_ o: PreprocessOptions) -> [String] {
        switch o.kind {
        case .acdc: return ["cine"]
        case .wmh: return o.modalities.map { $0.lowercased() }
        case .pairs: return ["image"]
        }
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}

/// Runs `body(0..<count)` on up to `workers` threads; results (or errors) in index order.
func parallelMap<T>(_ count: Int, workers: Int, _ body: (Int) throws -> T) -> [Result<T, Error>] {
    var results = [Result<T, Error>?](repeating: nil, count: count)
    let lock = NSLock()
    let chunks = max(1, min(workers, count))
    results.withUnsafeMutableBufferPointer { buffer in
        let shared = buffer
        DispatchQueue.concurrentPerform(iterations: chunks) { worker in
            for i in stride(from: worker, to: count, by: chunks) {
                let r = Result { try body(i) }
                lock.lock()
                shared[i] = r
                lock.unlock()
            }
        }
    }
    return results.map { $0! }
}
