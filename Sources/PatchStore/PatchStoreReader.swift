import Common
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

    /// Opens `path` read-only; throws if it is not a store of this schema version, lacks a
    /// required dataset, or has sizes this program does not accept (`Limits`): every size that
    /// decides an allocation is checked here, before anything is read.
    public init(path: String) throws {
        self.path = path
        file = try Self.open(path)
        func violation(_ message: String) -> ProgramError { ProgramError(.schemaViolation, path: path, message) }
        let spec = StoreSpec.v1
        for attribute in spec.root.attributes ?? [] where attribute.optional != true && !file.hasAttribute(attribute.name) {
            throw violation("missing required root attribute '\(attribute.name)'")
        }
        for dataset in spec.requiredDatasets() where !file.exists(dataset) {
            throw violation("missing required dataset '\(dataset)'")
        }
        kind = try file.stringAttribute("dataset_kind").first ?? ""
        classNames = try file.stringAttribute("class_names")
        channelNames = try file.stringAttribute("channel_names")
        patchSize = try file.attribute("patch_size", as: Int.self)
        sliceSize = try file.attribute("slice_size", as: Int.self).first ?? 0
        normalisation = try file.stringAttribute("normalisation").first ?? ""
        guard Limits.classes.contains(classNames.count) else {
            throw violation("\(classNames.count) class names; a store has \(Limits.classes.lowerBound)...\(Limits.classes.upperBound) classes")
        }
        guard Limits.channels.contains(channelNames.count) else {
            throw violation("\(channelNames.count) channel names; a store has \(Limits.channels.lowerBound)...\(Limits.channels.upperBound) channels")
        }
        guard patchSize.count == 2, patchSize.allSatisfy({ Limits.side.contains($0) && $0 % 8 == 0 }) else {
            throw violation("patch_size \(patchSize) is not two multiples of 8 in \(Limits.side): the ENet cannot take these patches "
                            + "(preprocess again with --size and --patch multiples of 8)")
        }
        guard Limits.side.contains(sliceSize), sliceSize >= patchSize.max()! else {
            throw violation("slice_size \(sliceSize) is not in \(patchSize.max()!)...\(Limits.side.upperBound)")
        }
        for name in ["mime_a", "mime_b"] where try file.dataset(name).shape != [classNames.count] {
            throw violation("\(name) has shape \(try file.dataset(name).shape), expected [\(classNames.count)] (one per class)")
        }
        mimeA = try file.read("mime_a", as: Double.self)
        mimeB = try file.read("mime_b", as: Double.self)
        for split in Split.allCases {
            images[split] = try file.dataset("\(split)/images")
            labels[split] = try file.dataset("\(split)/labels")
            let (ni, nl) = (images[split]!.shape, labels[split]!.shape)
            guard ni.count == 4, nl.count == 3, ni[0] == nl[0], ni[0] <= Limits.patches, Array(ni[2...]) == patchSize,
                  Array(nl[1...]) == patchSize, ni[1] == channelNames.count else {
                throw violation("\(split)/images \(ni) and \(split)/labels \(nl) do not match patch_size \(patchSize) and \(channelNames.count) channels")
            }
            // The split's counts, as recorded, must be the counts of its tables.
            let group = try file.group("\(split)")
            let rows = try file.dataset("\(split)/volumes/id").shape
            for (name, actual) in [("num_patches", ni[0]), ("num_volumes", rows.first ?? -1)] {
                let recorded = try group.attribute(name, as: Int.self)
                guard recorded == [actual], rows.count == 1 else {
                    throw violation("\(split) attribute \(name) is \(recorded), the split's tables hold \(actual)")
                }
            }
        }
    }

    /// Opens the file and checks it is a patch store of the version this program reads.
    static func open(_ path: String) throws -> H5File {
        let file: H5File
        do { file = try H5File.open(path) } catch let error as ProgramError where error.kind != .missingFile {
            throw ProgramError(.notHDF5, path: path, error.message, cause: error.cause)
        }
        guard file.hasAttribute("schema_version"),
              let version = try? file.attribute("schema_version", as: Int.self).first else {
            throw ProgramError(.schemaVersion, path: path, "not a patch store: no schema_version attribute")
        }
        guard version == StoreSpec.currentVersion else {
            throw ProgramError(.schemaVersion, path: path,
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
            throw ProgramError(.badInput, path: path, "patch \(index) of \(split) is out of range 0..<\(count(split))")
        }
        do {
            try images[split]!.read(start: [index, 0, 0, 0], count: [1, channels, h, w], into: image)
            try labels[split]!.read(start: [index, 0, 0], count: [1, h, w], into: label)
        } catch let error as ProgramError {
            throw error.within(describe(split, index))
        }
        try checkValues(split, first: index, images: UnsafeBufferPointer(image), labels: UnsafeBufferPointer(label))
    }

    /// Reads the `count` consecutive patches starting at `first` (e.g. one volume's) in one
    /// hyperslab per dataset: `images` gets count x C x H x W floats, `labels` count x H x W.
    public func readPatches(_ split: Split, from first: Int, count: Int, images imageBuffer: UnsafeMutableBufferPointer<Float>,
                            labels labelBuffer: UnsafeMutableBufferPointer<UInt8>) throws {
        let (h, w) = (patchSize[0], patchSize[1])
        guard first >= 0, count >= 0, count <= self.count(split) - first,
              count * channels * h * w <= imageBuffer.count, count * h * w <= labelBuffer.count else {
            throw ProgramError(.badInput, path: path,
                               "patches \(first) + \(count) of \(split) are out of range 0..<\(self.count(split)) or the buffers")
        }
        let images = UnsafeMutableBufferPointer(rebasing: imageBuffer[0..<(count * channels * h * w)])
        let labels = UnsafeMutableBufferPointer(rebasing: labelBuffer[0..<(count * h * w)])
        do {
            try self.images[split]!.read(start: [first, 0, 0, 0], count: [count, channels, h, w], into: images)
            try self.labels[split]!.read(start: [first, 0, 0], count: [count, h, w], into: labels)
        } catch let error as ProgramError {
            throw error.within("\(split) patches \(first)..<\(first + count)")
        }
        try checkValues(split, first: first, images: UnsafeBufferPointer(images), labels: UnsafeBufferPointer(labels))
    }

    /// Every image value must be finite and every label a class: a NaN pixel would poison a
    /// training step (and BatchNorm's statistics), a label of 200 the loss. The error names the
    /// store, the patch, its volume and slice.
    private func checkValues(_ split: Split, first: Int, images: UnsafeBufferPointer<Float>,
                             labels: UnsafeBufferPointer<UInt8>) throws {
        let pixels = patchSize[0] * patchSize[1], k = numClasses
        if let bad = images.firstIndex(where: { !$0.isFinite }) {
            let count = images[(bad / (channels * pixels) * channels * pixels)...].prefix(channels * pixels).filter { !$0.isFinite }.count
            throw ProgramError(.nonFinite, path: path, "\(describe(split, first + bad / (channels * pixels))): "
                               + "\(count) non-finite (NaN or infinite) pixel value(s), e.g. \(images[bad])")
        }
        if let bad = labels.firstIndex(where: { Int($0) >= k }) {
            throw ProgramError(.labelOutOfRange, path: path, "\(describe(split, first + bad / pixels)): "
                               + "label \(labels[bad]) is not a class (0..<\(k))")
        }
    }

    /// "train patch 5 (volume patient001_frame01, slice 2)", or less when the tables are unreadable.
    func describe(_ split: Split, _ index: Int) -> String {
        var text = "\(split) patch \(index)"
        if let table = try? patchIndex(split), let rows = try? volumes(split) {
            text += " (volume \(rows[table.volume[index]].id), slice \(table.slice[index]))"
        }
        return text
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

    /// Per patch: volume row, slice index, (y, x) origin, each checked against the volume table
    /// (a patch outside its volume or slice would be written outside the rebuilt volume).
    public func patchIndex(_ split: Split) throws -> (volume: [Int], slice: [Int], origin: [[Int]]) {
        let n = count(split), rows = try volumes(split)
        let volume = try table("\(split)/patch_volume", shape: [n]), slice = try table("\(split)/patch_slice", shape: [n])
        let origins = try table("\(split)/patch_origin", shape: [n, 2])
        let last = sliceSize - patchSize[0]
        for i in 0..<n {
            guard rows.indices.contains(volume[i]) else {
                throw ProgramError(.schemaViolation, path: path, "\(split)/patch_volume[\(i)] = \(volume[i]) is not a volume row (0..<\(rows.count))")
            }
            let depth = rows[volume[i]].originalShape[2]
            guard (0..<depth).contains(slice[i]) else {
                throw ProgramError(.schemaViolation, path: path,
                                   "\(split)/patch_slice[\(i)] = \(slice[i]) is outside volume \(rows[volume[i]].id) (\(depth) slices)")
            }
            guard (0...last).contains(origins[2 * i]), (0...last).contains(origins[2 * i + 1]) else {
                throw ProgramError(.schemaViolation, path: path, "\(split)/patch_origin[\(i)] = (\(origins[2 * i]), \(origins[2 * i + 1])) "
                                   + "puts the patch outside the \(sliceSize)x\(sliceSize) slice")
            }
        }
        return (volume, slice, stride(from: 0, to: origins.count, by: 2).map { [origins[$0], origins[$0 + 1]] })
    }

    /// The split's volume table, each row checked: a shape of at most `Limits.voxels` voxels
    /// (also once resampled to `slice_size`), positive finite spacings, and patches inside the split.
    public func volumes(_ split: Split) throws -> [VolumeRecord] {
        let v = "\(split)/volumes"
        let ids = try file.readStrings("\(v)/id"), n = ids.count
        let subjects = try file.readStrings("\(v)/subject")
        let shapes = try table("\(v)/original_shape", shape: [n, 3])
        let spacing = try table("\(v)/spacing_mm", shape: [n, 3], as: Double.self)
        let resampled = try table("\(v)/resampled_spacing_mm", shape: [n, 3], as: Double.self)
        let images = try file.readStrings("\(v)/image_files"), labels = try file.readStrings("\(v)/label_file")
        let patches = try table("\(v)/num_patches", shape: [n]), first = try table("\(v)/first_patch", shape: [n])
        guard subjects.count == n, images.count == n, labels.count == n else {
            throw ProgramError(.schemaViolation, path: path, "\(v): the columns have different lengths (\(n) ids)")
        }
        return try ids.indices.map { i in
            func bad(_ message: String) -> ProgramError {
                ProgramError(.schemaViolation, path: path, "\(v) row \(i) (\(ids[i])): \(message)")
            }
            let shape = Array(shapes[(3 * i)..<(3 * i + 3)])
            guard shape.allSatisfy({ $0 >= 1 }), let voxels = Limits.product(shape), voxels <= Limits.voxels,
                  let rebuilt = Limits.product([shape[2], sliceSize, sliceSize]), rebuilt <= Limits.voxels else {
                throw bad("original_shape \(shape) is not a volume of 1...\(Limits.voxels) voxels")
            }
            let mm = Array(spacing[(3 * i)..<(3 * i + 3)]), resampledMM = Array(resampled[(3 * i)..<(3 * i + 3)])
            guard (mm + resampledMM).allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw bad("spacing \(mm) / resampled \(resampledMM) mm: must be positive and finite")
            }
            guard patches[i] >= 0, first[i] >= 0, first[i] <= count(split), patches[i] <= count(split) - first[i] else {
                throw bad("patches \(first[i]) + \(patches[i]) are outside the split's 0..<\(count(split))")
            }
            return VolumeRecord(id: ids[i], subject: subjects[i], originalShape: shape, spacing: mm, resampledSpacing: resampledMM,
                                imageFiles: images[i].split(separator: ";").map(String.init), labelFile: labels[i],
                                numPatches: patches[i], firstPatch: first[i])
        }
    }

    /// A whole numeric dataset that must have `shape` (checked before it is read).
    func table<T: H5Scalar>(_ name: String, shape: [Int], as type: T.Type = Int.self) throws -> [T] {
        let dataset = try file.dataset(name)
        guard dataset.shape == shape else {
            throw ProgramError(.schemaViolation, path: path, "\(name) has shape \(dataset.shape), expected \(shape)")
        }
        return try dataset.read(as: T.self)
    }

    /// Stored label pixels of each class in `split`.
    public func classVoxelCounts(_ split: Split) throws -> [Int] { try table("\(split)/class_voxel_counts", shape: [numClasses]) }

    /// Whether the split was stratified by class presence (`split_stratified`); nil for a store
    /// written before that optional attribute existed (a plain shuffle and cut).
    public func splitStratified() throws -> Bool? {
        guard file.hasAttribute("split_stratified") else { return nil }
        return try file.attribute("split_stratified", as: Int.self).first.map { $0 != 0 }
    }

    /// How many of `split`'s volumes hold each class in their stored labels. Reads only the
    /// labels, in blocks of at most 256 patches of one volume.
    public func volumesHoldingClass(_ split: Split) throws -> [Int] {
        let pixels = patchSize[0] * patchSize[1], k = numClasses
        var holding = [Int](repeating: 0, count: k)
        for volume in try volumes(split) {
            var present = [Bool](repeating: false, count: k)
            for start in stride(from: volume.firstPatch, to: volume.firstPatch + volume.numPatches, by: 256) {
                let n = min(256, volume.firstPatch + volume.numPatches - start)
                let values = try labels[split]!.read(start: [start, 0, 0], count: [n, patchSize[0], patchSize[1]], as: UInt8.self)
                guard values.count == n * pixels else { continue }
                for value in values where Int(value) < k { present[Int(value)] = true }
            }
            for j in 0..<k where present[j] { holding[j] += 1 }
        }
        return holding
    }

    /// Patches of `split` in which each class is absent.
    public func classAbsentPatches(_ split: Split) throws -> [Int] { try table("\(split)/class_absent_patches", shape: [numClasses]) }
}
