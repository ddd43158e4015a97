import Common
import Foundation
import PatchStore

/// How fast one process reads patches from a store in random order, as training does.
public struct IOBenchmarkResult: Codable, Sendable {
    public var store: String
    public var split: String
    public var patches: Int
    public var patchShape: [Int]
    public var seconds: Double
    public var patchesPerSecond: Double
    /// Uncompressed bytes delivered per second (images as float32 + labels as uint8), MB = 1e6 bytes.
    public var megabytesPerSecond: Double
    /// Uncompressed bytes of one patch (image and label).
    public var bytesPerPatch: Int
    /// The store file's size over its patches (every split): what a patch costs to read from
    /// disk, compressed chunks and metadata included.
    public var fileBytesPerPatch: Double
}

public enum IOBenchmark {
    /// Reads `reads` patches (default: every patch of the split once) of `split` in a seeded
    /// random order into reused buffers, and times it. The first pass is not warmed up:
    /// the file may be in the page cache, as it is during training after the first epoch.
    public static func run(store: String, split: Split = .train, reads: Int? = nil, seed: UInt64 = 0) throws -> IOBenchmarkResult {
        let reader = try PatchStoreReader(path: store)
        let n = reader.count(split)
        guard n > 0 else { throw ProgramError(.emptyDataset, path: store, "split \(split) has no patches to read") }
        let total = reads ?? n
        var rng = SplitMix64(seed: seed)
        var order = Array(0..<n)
        let pixels = reader.patchSize[0] * reader.patchSize[1]
        var image = [Float](repeating: 0, count: reader.channels * pixels)
        var label = [UInt8](repeating: 0, count: pixels)
        let start = DispatchTime.now().uptimeNanoseconds
        var done = 0
        try image.withUnsafeMutableBufferPointer { im in
            try label.withUnsafeMutableBufferPointer { lb in
                while done < total {
                    rng.shuffle(&order)   // a fresh permutation per epoch, as a sampler draws
                    for i in order.prefix(total - done) {
                        try reader.readPatch(split, i, image: im, label: lb)
                    }
                    done += min(n, total - done)
                }
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let patchBytes = reader.channels * pixels * 4 + pixels
        let bytes = Double(total * patchBytes)
        let fileBytes = (try FileManager.default.attributesOfItem(atPath: store)[.size] as? NSNumber)?.doubleValue ?? 0
        let allPatches = Split.allCases.map { reader.count($0) }.reduce(0, +)
        return IOBenchmarkResult(store: store, split: split.rawValue, patches: total,
                                 patchShape: [reader.channels] + reader.patchSize, seconds: seconds,
                                 patchesPerSecond: Double(total) / seconds, megabytesPerSecond: bytes / seconds / 1e6,
                                 bytesPerPatch: patchBytes, fileBytesPerPatch: fileBytes / Double(max(allPatches, 1)))
    }
}
