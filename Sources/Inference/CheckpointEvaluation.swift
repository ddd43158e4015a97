import Cluster
import Common
import Evaluation
import Foundation
import PatchStore

/// `evaluate --checkpoint`: a trained model scored on a split of a patch store.
///
/// Every volume of the split is rebuilt on the store's grid (its slices resampled to
/// `slice_size`, spacing `VolumeRecord.resampledSpacing`) from its patches: the model's
/// softmax probabilities are summed into a `VolumeAssembler`, overlapping sub-patches
/// averaged, then the argmax taken; the reference is rebuilt from the stored label patches.
/// 3D DSC and HD95 (MedPy's, in mm) are computed per volume and foreground class.
/// Volumes are dealt to ranks (v % size == rank) and the scores gathered on rank 0.
public enum CheckpointEvaluation {
    public struct Options {
        public var checkpoint: String
        public var store: String
        public var split: Split = .test
        /// Where `per_volume.csv` and `summary.json` go (root only); nil: nowhere.
        public var out: String?
        /// Patches per forward pass.
        public var batch = 8

        public init(checkpoint: String, store: String) {
            self.checkpoint = checkpoint
            self.store = store
        }
    }

    /// What rank 0 gets back.
    public struct Result {
        /// Per (volume, class 1..<K), volumes in the split's order.
        public var scores: [VolumeScore]
        public var summary: ScoreSummary
        public var classNames: [String]
    }

    /// A score with the position of its volume in the split, as sent between ranks.
    struct Gathered: Codable {
        var index: Int
        var score: VolumeScore
    }

    /// Runs on every rank; returns the result on rank 0 and nil on the others. All checks happen
    /// before any output is written, so a failed evaluation writes nothing.
    public static func run(_ options: Options, world: Communicator) throws -> Result? {
        let reader = try PatchStoreReader(path: options.store)
        let model = try SegmentationModel(checkpoint: options.checkpoint)
        try model.check(channels: reader.channels, classes: reader.numClasses, of: "the store \(options.store)")
        let volumes = try reader.volumes(options.split)
        guard !volumes.isEmpty else {
            throw ProgramError(.badInput, path: options.store, "the \(options.split) split has no volumes: nothing to evaluate")
        }
        guard reader.numClasses >= 2 else { throw ProgramError(.badInput, path: options.store, "the store has no foreground class") }
        let index = try reader.patchIndex(options.split)
        var mine: [Gathered] = []
        for (v, record) in volumes.enumerated() where v % world.size == world.rank {
            let (prediction, reference) = try rebuild(record, reader: reader, split: options.split, index: index,
                                                      model: model, batch: options.batch)
            let scores = try scoreVolume(name: record.id, prediction: prediction, reference: reference,
                                         classes: Array(1..<reader.numClasses))
            mine += scores.map { Gathered(index: v, score: $0) }
        }
        let gathered = try world.gather(String(decoding: try JSONEncoder().encode(mine), as: UTF8.self))
        guard world.isRoot else { return nil }
        let decoder = JSONDecoder()
        let all = try gathered.flatMap { try decoder.decode([Gathered].self, from: Data($0.utf8)) }
            .sorted { ($0.index, $0.score.classIndex) < ($1.index, $1.score.classIndex) }
        let scores = all.map(\.score)
        let summary = ScoreSummary(scores, classNames: reader.classNames)
        if let out = options.out { try ReportWriter.write(scores: scores, summary: summary, to: out) }
        return Result(scores: scores, summary: summary, classNames: reader.classNames)
    }

    /// The predicted and reference label volumes of `record` on the store's grid.
    static func rebuild(_ record: VolumeRecord, reader: PatchStoreReader, split: Split,
                        index: (volume: [Int], slice: [Int], origin: [[Int]]),
                        model: SegmentationModel, batch: Int) throws -> (LabelVolume, LabelVolume) {
        let k = reader.numClasses, size = reader.sliceSize
        let (h, w) = (reader.patchSize[0], reader.patchSize[1])
        let shape = try VolumeShape(depth: record.originalShape[2], height: size, width: size, name: "\(reader.path) volume \(record.id)")
        let spacing = try VoxelSpacing(z: record.resampledSpacing[2], y: record.resampledSpacing[1],
                                       x: record.resampledSpacing[0], name: "\(reader.path) volume \(record.id)")
        var assembler = VolumeAssembler(classes: k, shape: shape)
        var reference = [UInt8](repeating: 0, count: shape.count)
        try reader.forEachBatch(split, from: record.firstPatch, count: record.numPatches, batch: batch) {
            start, images, labels in
            let n = labels.count / (h * w)
            let probabilities = try model.probabilities(images, count: n, height: h, width: w)
            for i in 0..<n {
                let p = record.firstPatch + start + i
                let (z, oy, ox) = (index.slice[p], index.origin[p][0], index.origin[p][1])
                try probabilities.withUnsafeBufferPointer {
                    try assembler.add(UnsafeBufferPointer(rebasing: $0[(i * k * h * w)..<((i + 1) * k * h * w)]),
                                      slice: z, originY: oy, originX: ox, height: h, width: w)
                }
                for y in 0..<h {
                    for x in 0..<w { reference[shape.index(z, oy + y, ox + x)] = labels[(i * h + y) * w + x] }
                }
            }
        }
        let name = "\(reader.path) volume \(record.id)"
        return (try LabelVolume(shape: shape, spacing: spacing, labels: try assembler.labels(), name: name),
                try LabelVolume(shape: shape, spacing: spacing, labels: reference, name: name))
    }
}
