import Cluster
import PatchStore
import Training

/// Validation Dice during training: every volume of the split is predicted
/// patch by patch (eval mode), its per-class overlap counts are summed over the
/// volume's patches, and the 3D Dice per class is averaged over volumes.
/// Volumes are dealt round-robin to ranks; the sums meet on every rank.
///
/// With whole slices this is the exact 3D Dice; with overlapping sub-patches
/// overlaps are counted once per patch (`evaluate` rebuilds volumes exactly).
public struct Validation: EpochValidation {
    let reader: PatchStoreReader
    let split: Split
    let batch: Int
    let maxVolumes: Int
    let world: Communicator

    public init(reader: PatchStoreReader, split: Split = .val, batch: Int, maxVolumes: Int = 0, world: Communicator) {
        self.reader = reader
        self.split = split
        self.batch = batch
        self.maxVolumes = maxVolumes
        self.world = world
    }

    /// Mean 3D Dice per class (background first); all ranks must call it. NaN for every class
    /// when the split has no volume: no Dice was measured (and no best checkpoint is picked on it).
    public func validate(_ model: TrainableModel) throws -> [Double] {
        let k = reader.numClasses
        var volumes = try reader.volumes(split)
        if maxVolumes > 0 { volumes = Array(volumes.prefix(maxVolumes)) }
        guard !volumes.isEmpty else { return [Double](repeating: .nan, count: k) }
        var sums = [Double](repeating: 0, count: k + 1) // per-class Dice sums, then the volume count
        let (h, w) = (reader.patchSize[0], reader.patchSize[1])
        for (v, volume) in volumes.enumerated() where v % world.size == world.rank {
            var counts = [Int](repeating: 0, count: 3 * k) // intersection, prediction, label per class
            try reader.forEachBatch(split, from: volume.firstPatch, count: volume.numPatches, batch: batch) {
                _, images, labels in
                let n = labels.count / (h * w)
                let logits = try model.forward(images, batch: n, height: h, width: w, training: false, dropoutSeed: 0)
                count(logits: logits, labels: labels, images: n, classes: k, pixels: h * w, into: &counts)
            }
            for c in 0..<k {
                let (both, predicted, truth) = (counts[c], counts[k + c], counts[2 * k + c])
                // Nothing to find and nothing found is a perfect score (the paper's rule).
                sums[c] += predicted + truth == 0 ? 1 : 2 * Double(both) / Double(predicted + truth)
            }
            sums[k] += 1
        }
        try world.sum(&sums, method: .ordered, phase: "validation")
        let volumesSeen = max(sums[k], 1)
        return (0..<k).map { sums[$0] / volumesSeen }
    }

    /// Adds the argmax prediction's per-class overlap counts.
    private func count(logits: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<UInt8>, images: Int,
                       classes k: Int, pixels: Int,
                       into counts: inout [Int]) {
        for n in 0..<images {
            for p in 0..<pixels {
                var best = 0
                var bestValue = logits[(n * k) * pixels + p]
                for c in 1..<k where logits[(n * k + c) * pixels + p] > bestValue {
                    best = c
                    bestValue = logits[(n * k + c) * pixels + p]
                }
                let truth = Int(labels[n * pixels + p])
                counts[k + best] += 1
                counts[2 * k + truth] += 1
                if best == truth { counts[best] += 1 }
            }
        }
    }
}
