import Foundation
import HDF5

/// One row of a split's volume table.
public struct VolumeRecord: Sendable, Codable, Equatable {
    public var id: String
    public var subject: String
    /// (nx, ny, nz) of the source volume.
    public var originalShape: [Int]
    /// Source spacing, mm.
    public var spacing: [Double]
    /// Spacing of the stored pixels (x, y) and slices (z), mm.
    public var resampledSpacing: [Double]
    public var imageFiles: [String]
    public var labelFile: String
    public var numPatches: Int
    public var firstPatch: Int
}

/// Read-only access to a version-1 patch store, as training uses it: counts, one
/// patch at a time by hyperslab into caller buffers, class names and Mime weights.
///
/// Not thread-safe (serial HDF5): use one reader per thread or process. Under MPI
/// every rank opens its own reader (set HDF5_USE_FILE_LOCKING=FALSE on cluster filesystems).
public final class PatchStoreReader {
    public let path: String
    public let kind: String
    public let classNames: [String]
    public let channelNames: [String]
    /// (H, W) of every patch.
    public let patchSize: [Int]
    public let sliceSize: Int
    /// How intensities were normalised (the root attribute, in words).
    public let normalisation: String
    /// Mime weights a_k, b_k from the train split (NaN where undefined).
    public let mimeA: [Double]
    public let mimeB: [Double]
    let file: H5File
    private var images: [Split: H5Dataset] = [:]
    private var labels: [Split: H5Dataset] = [:]

    public var numClasses: Int { classNames.count }
    public var channels: Int { channelNames.count }

    /// Opens `path` read-only; throws if it is not a store of this schema version or lacks a required dataset.
    public init(path: String) throws {
        self.path = path
        file = try Self.open(path)
        let spec = StoreSpec.v1
        for attribute in spec.root.attributes ?? [] where !file.hasAttribute(attribute.name) {
            throw PatchStoreError(.schemaViolation, path: path, "missing required root attribute '\(attribute.name)'")
        }
        for dataset in spec.requiredDatasets() where !file.exists(dataset) {
            throw PatchStoreError(.schemaViolation, path: path, "missing required dataset '\(dataset)'")
        }
        kind = try file.stringAttribute("dataset_kind").first ?? ""
        classNames = try file.stringAttribute("class_names")
        channelNames = try file.stringAttribute("channel_names")
        patchSize = try file.attribute("patch_size", as: Int.self)
        sliceSize = try file.attribute("slice_size", as: Int.self).first ?? 0
        normalisation = try file.stringAttribute("normalisation").first ?? ""
        mimeA = try file.read("mime_a", as: Double.self)
        mimeB = try file.read("mime_b", as: Double.self)
        for split in Split.allCases {
            images[split] = try file.dataset("\(split)/images")
            labels[split] = try file.dataset("\(split)/labels")
            let (ni, nl) = (images[split]!.shape, labels[split]!.shape)
            guard ni.count == 4, nl.count == 3, ni[0] == nl[0], Array(ni[2...]) == patchSize, Array(nl[1...]) == patchSize,
                  ni[1] == channelNames.count else {
                throw PatchStoreError(.schemaViolation, path: path,
                                      "\(split)/images \(ni) and \(split)/labels \(nl) do not match patch_size \(patchSize) and \(channelNames.count) channels")
            }
        }
    }

    /// Opens the file and checks it is a patch store of the version this program reads.
    static func open(_ path: String) throws -> H5File {
        let file: H5File
        do { file = try H5File.open(path) } catch let e as H5Error {
            throw PatchStoreError(e.message == "no such file" ? .missingFile : .notHDF5, path: path, e.message)
        }
        guard file.hasAttribute("schema_version"),
              let version = try? file.attribute("schema_version", as: Int.self).first else {
            throw PatchStoreError(.schemaVersion, path: path, "not a patch store: no schema_version attribute")
        }
        guard version == StoreSpec.currentVersion else {
            throw PatchStoreError(.schemaVersion, path: path,
                                  "patch store schema version \(version); this program reads version \(StoreSpec.currentVersion)")
        }
        return file
    }

    /// Number of patches in `split`.
    public func count(_ split: Split) -> Int { images[split]!.shape[0] }

    /// Reads patch `index` of `split`: `image` gets C x H x W floats, `label` H x W class indices.
    public func readPatch(_ split: Split, _ index: Int, image: UnsafeMutableBufferPointer<Float>,
                          label: UnsafeMutableBufferPointer<UInt8>) throws {
        let (h, w) = (patchSize[0], patchSize[1])
        guard index >= 0, index < count(split) else {
            throw PatchStoreError(.badInput, path: path, "patch \(index) of \(split) is out of range 0..<\(count(split))")
        }
        try images[split]!.read(start: [index, 0, 0, 0], count: [1, channels, h, w], into: image)
        try labels[split]!.read(start: [index, 0, 0], count: [1, h, w], into: label)
    }

    /// Reads the `count` consecutive patches starting at `first` (e.g. one volume's) in one
    /// hyperslab per dataset: `images` gets count x C x H x W floats, `labels` count x H x W.
    public func readPatches(_ split: Split, from first: Int, count: Int, images imageBuffer: UnsafeMutableBufferPointer<Float>,
                            labels labelBuffer: UnsafeMutableBufferPointer<UInt8>) throws {
        let (h, w) = (patchSize[0], patchSize[1])
        guard first >= 0, count >= 0, first + count <= self.count(split) else {
            throw PatchStoreError(.badInput, path: path,
                                  "patches \(first)..<\(first + count) of \(split) are out of range 0..<\(self.count(split))")
        }
        try images[split]!.read(start: [first, 0, 0, 0], count: [count, channels, h, w],
                                into: UnsafeMutableBufferPointer(rebasing: imageBuffer[0..<(count * channels * h * w)]))
        try labels[split]!.read(start: [first, 0, 0], count: [count, h, w],
                                into: UnsafeMutableBufferPointer(rebasing: labelBuffer[0..<(count * h * w)]))
    }

    /// Reads the `count` consecutive patches from `first` (e.g. one volume's) in batches of
    /// at most `batch`, each in one `readPatches` call, and passes every batch to `body`:
    /// its offset from `first`, and exactly its patches' images and labels.
    public func forEachBatch(_ split: Split, from first: Int, count: Int, batch: Int,
                             _ body: (_ start: Int, _ images: UnsafeBufferPointer<Float>,
                                      _ labels: UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        let pixels = patchSize[0] * patchSize[1]
        var images = [Float](repeating: 0, count: batch * channels * pixels)
        var labels = [UInt8](repeating: 0, count: batch * pixels)
        for start in stride(from: 0, to: count, by: batch) {
            let n = min(batch, count - start)
            try images.withUnsafeMutableBufferPointer { im in
                try labels.withUnsafeMutableBufferPointer { lb in
                    try readPatches(split, from: first + start, count: n, images: im, labels: lb)
                    try body(start, UnsafeBufferPointer(rebasing: im[0..<(n * channels * pixels)]),
                             UnsafeBufferPointer(rebasing: lb[0..<(n * pixels)]))
                }
            }
        }
    }

    /// Reads patch `index` into new arrays.
    public func patch(_ split: Split, _ index: Int) throws -> (image: [Float], label: [UInt8]) {
        let n = patchSize[0] * patchSize[1]
        var image = [Float](repeating: 0, count: channels * n), label = [UInt8](repeating: 0, count: n)
        try image.withUnsafeMutableBufferPointer { i in
            try label.withUnsafeMutableBufferPointer { l in try readPatch(split, index, image: i, label: l) }
        }
        return (image, label)
    }

    /// Per patch: volume row, slice index, (y, x) origin.
    public func patchIndex(_ split: Split) throws -> (volume: [Int], slice: [Int], origin: [[Int]]) {
        let origins = try file.read("\(split)/patch_origin", as: Int.self)
        return (try file.read("\(split)/patch_volume", as: Int.self), try file.read("\(split)/patch_slice", as: Int.self),
                stride(from: 0, to: origins.count, by: 2).map { [origins[$0], origins[$0 + 1]] })
    }

    /// The split's volume table.
    public func volumes(_ split: Split) throws -> [VolumeRecord] {
        let v = "\(split)/volumes"
        let ids = try file.readStrings("\(v)/id"), subjects = try file.readStrings("\(v)/subject")
        let shapes = try file.read("\(v)/original_shape", as: Int.self)
        let spacing = try file.read("\(v)/spacing_mm", as: Double.self)
        let resampled = try file.read("\(v)/resampled_spacing_mm", as: Double.self)
        let images = try file.readStrings("\(v)/image_files"), labels = try file.readStrings("\(v)/label_file")
        let patches = try file.read("\(v)/num_patches", as: Int.self), first = try file.read("\(v)/first_patch", as: Int.self)
        return ids.indices.map { i in
            VolumeRecord(id: ids[i], subject: subjects[i], originalShape: Array(shapes[(3 * i)..<(3 * i + 3)]),
                         spacing: Array(spacing[(3 * i)..<(3 * i + 3)]), resampledSpacing: Array(resampled[(3 * i)..<(3 * i + 3)]),
                         imageFiles: images[i].split(separator: ";").map(String.init), labelFile: labels[i],
                         numPatches: patches[i], firstPatch: first[i])
        }
    }

    /// Stored label pixels of each class in `split`.
    public func classVoxelCounts(_ split: Split) throws -> [Int] { try file.read("\(split)/class_voxel_counts", as: Int.self) }

    /// Patches of `split` in which each class is absent.
    public func classAbsentPatches(_ split: Split) throws -> [Int] { try file.read("\(split)/class_absent_patches", as: Int.self) }
}
