import Common
import Foundation
import HDF5

/// What a store is made from, written as root attributes.
public struct StoreDescription: Sendable {
    public var kind: DatasetKind
    public var classNames: [String]
    public var channelNames: [String]
    public var geometry: PatchGeometry
    public var source: String
    public var splitSeed: UInt64
    public var splitFractions: [Double]
    /// Split stratified by class presence (root attribute `split_stratified`).
    public var splitStratified = false
    public var programVersion: String
}

/// Writes a version-1 patch store (see `hdf5-schema/`): datasets are sized up front,
/// volumes are appended split by split, statistics are written on `finish()`.
///
/// Everything goes to a registered temporary file beside the output (`TemporaryFiles`, removed
/// by a stop signal too); `finish()` checks the final flush and close, reopens the store as a
/// reader would, and only then fsyncs and renames it into place. `discard()` (or an error)
/// removes it, so no half-written store is ever left. Errors name the output, not the temporary.
final class StoreWriter {
    let output: String
    let temp: String
    let file: H5File
    let description: StoreDescription
    let classes: Int
    private var images: [Split: H5Dataset] = [:]
    private var labels: [Split: H5Dataset] = [:]
    private var filled: [Split: Int] = [:]
    private var counts: [Split: [Int64]] = [:]
    private var absent: [Split: [Int64]] = [:]
    private var patchVolume: [Split: [Int32]] = [:]
    private var patchSlice: [Split: [Int32]] = [:]
    private var patchOrigin: [Split: [Int32]] = [:]
    private var volumes: [Split: [ProcessedVolumeRow]] = [:]
    private let totals: [Split: Int]

    struct ProcessedVolumeRow {
        var source: VolumeSource
        var shape: [Int]
        var spacing: [Double]
        var resampledSpacing: [Double]
        var patches: Int
        var first: Int
    }

    /// Creates the temporary file with `patches[split]` patches per split.
    init(output: String, description: StoreDescription, patches: [Split: Int]) throws {
        let directory = (output as NSString).deletingLastPathComponent
        if !directory.isEmpty && !DatasetLayout.isDirectory(directory) {
            throw ProgramError(.writeFailed, path: output, "output directory \(directory) does not exist")
        }
        self.output = output
        self.temp = TemporaryFiles.make(for: output)
        self.description = description
        self.classes = description.classNames.count
        self.totals = patches
        do { file = try H5File.create(temp) } catch {
            TemporaryFiles.remove(temp)
            throw AtomicFile.reported(error, temporary: temp, as: output)
        }
        do {
            let c = description.channelNames.count, p = description.geometry.patch
            for split in Split.allCases {
                let n = patches[split] ?? 0
                // One patch per chunk; HDF5 cannot chunk an empty fixed-size dataset, so empty splits are contiguous.
                images[split] = try file.createDataset("\(split)/images", of: Float.self, shape: [n, c, p, p],
                                                       chunk: n > 0 ? [1, c, p, p] : nil, deflate: 4, shuffle: true)
                labels[split] = try file.createDataset("\(split)/labels", of: UInt8.self, shape: [n, p, p],
                                                       chunk: n > 0 ? [1, p, p] : nil, deflate: 4, shuffle: true)
                filled[split] = 0
                counts[split] = [Int64](repeating: 0, count: classes)
                absent[split] = [Int64](repeating: 0, count: classes)
                patchVolume[split] = []
                patchSlice[split] = []
                patchOrigin[split] = []
                volumes[split] = []
            }
        } catch {
            discard()
            throw AtomicFile.reported(error, temporary: temp, as: output)
        }
    }

    /// Appends one processed volume's patches to `split`.
    func append(_ volume: ProcessedVolume, to split: Split) throws {
        do { try write(volume, to: split) } catch { throw AtomicFile.reported(error, temporary: temp, as: output) }
    }

    private func write(_ volume: ProcessedVolume, to split: Split) throws {
        let p = description.geometry.patch, c = description.channelNames.count, n = volume.count
        let start = filled[split]!
        guard start + n <= totals[split] ?? 0 else {
            throw ProgramError(.writeFailed, path: output, "internal: more patches than planned in split \(split)")
        }
        if n > 0 {
            try images[split]!.write(volume.images, start: [start, 0, 0, 0], count: [n, c, p, p])
            try labels[split]!.write(volume.labels, start: [start, 0, 0], count: [n, p, p])
        }
        var splitCounts = counts[split]!, splitAbsent = absent[split]!
        var present = [Bool](repeating: false, count: classes)
        for patch in 0..<n {
            for k in 0..<classes { present[k] = false }
            for i in (patch * p * p)..<((patch + 1) * p * p) {
                let k = Int(volume.labels[i])
                splitCounts[k] += 1
                present[k] = true
            }
            for k in 0..<classes where !present[k] { splitAbsent[k] += 1 }
        }
        counts[split] = splitCounts
        absent[split] = splitAbsent
        let row = volumes[split]!.count
        patchVolume[split]! += [Int32](repeating: Int32(row), count: n)
        patchSlice[split]! += volume.slices
        patchOrigin[split]! += volume.origins
        volumes[split]!.append(ProcessedVolumeRow(source: volume.source, shape: volume.shape, spacing: volume.spacing,
                                                  resampledSpacing: volume.resampledSpacing, patches: n, first: start))
        filled[split] = start + n
    }

    /// Writes tables, statistics and attributes, closes and renames into place.
    func finish() throws {
        do {
            for split in Split.allCases {
                guard filled[split] == totals[split] ?? 0 else {
                    throw ProgramError(.writeFailed, path: output, "internal: split \(split) has \(filled[split]!) of \(totals[split] ?? 0) patches")
                }
                try writeSplitTables(split)
            }
            try writeMime()
            try writeRootAttributes()
            images = [:]  // every dataset closed, so that closing the file really closes it
            labels = [:]
            try file.commit()
            _ = try PatchStoreReader(path: temp)  // what was written reads back as a store
            try AtomicFile.publish(temp, as: output)
        } catch {
            discard()
            throw AtomicFile.reported(error, temporary: temp, as: output)
        }
    }

    /// Closes and removes the temporary file.
    func discard() {
        file.close()
        TemporaryFiles.remove(temp)
    }

    private func array<T: H5Scalar>(_ name: String, _ values: [T], shape: [Int]) throws {
        let dataset = try file.createDataset(name, of: T.self, shape: shape)
        if !values.isEmpty { try dataset.write(values) }
    }

    private func writeSplitTables(_ split: Split) throws {
        let n = filled[split]!, rows = volumes[split]!
        let group = try file.group("\(split)")
        try group.setAttribute("num_patches", Int64(n))
        try group.setAttribute("num_volumes", Int64(rows.count))
        try array("\(split)/patch_volume", patchVolume[split]!, shape: [n])
        try array("\(split)/patch_slice", patchSlice[split]!, shape: [n])
        try array("\(split)/patch_origin", patchOrigin[split]!, shape: [n, 2])
        try array("\(split)/class_voxel_counts", counts[split]!, shape: [classes])
        try array("\(split)/class_absent_patches", absent[split]!, shape: [classes])
        let v = "\(split)/volumes"
        try file.createGroup(v)
        try file.writeStrings("\(v)/id", rows.map(\.source.id))
        try file.writeStrings("\(v)/subject", rows.map(\.source.subject))
        try array("\(v)/original_shape", rows.flatMap { $0.shape.map(Int32.init) }, shape: [rows.count, 3])
        try array("\(v)/spacing_mm", rows.flatMap(\.spacing), shape: [rows.count, 3])
        try array("\(v)/resampled_spacing_mm", rows.flatMap(\.resampledSpacing), shape: [rows.count, 3])
        try file.writeStrings("\(v)/image_files", rows.map { $0.source.imageFiles.joined(separator: ";") })
        try file.writeStrings("\(v)/label_file", rows.map(\.source.labelFile))
        try array("\(v)/num_patches", rows.map { Int32($0.patches) }, shape: [rows.count])
        try array("\(v)/first_patch", rows.map { Int32($0.first) }, shape: [rows.count])
    }

    private func writeMime() throws {
        let n = filled[.train]!, pixels = description.geometry.patch * description.geometry.patch
        let weights = StoredMimeWeights(classVoxelCounts: counts[.train]!, patches: n, pixelsPerPatch: pixels)
        try array("mime_a", weights.a, shape: [classes])
        try array("mime_b", weights.b, shape: [classes])
    }

    private func writeRootAttributes() throws {
        let d = description, g = d.geometry
        try file.setAttribute("schema_name", StoreSpec.name)
        try file.setAttribute("schema_version", Int64(StoreSpec.currentVersion))
        try file.setAttribute("dataset_kind", d.kind.rawValue)
        try file.setAttribute("class_names", d.classNames)
        try file.setAttribute("num_classes", Int64(classes))
        try file.setAttribute("in_channels", Int64(d.channelNames.count))
        try file.setAttribute("channel_names", d.channelNames)
        try file.setAttribute("patch_size", [Int64(g.patch), Int64(g.patch)])
        try file.setAttribute("slice_size", Int64(g.sliceSize))
        try file.setAttribute("patch_stride", Int64(g.stride))
        try file.setAttribute("normalisation", SliceOps.normalisationDoc)
        try file.setAttribute("spacing_units", "mm")
        try file.setAttribute("source", d.source)
        try file.setAttribute("program_version", d.programVersion)
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        try file.setAttribute("created", formatter.string(from: Date()))
        try file.setAttribute("split_seed", Int64(bitPattern: d.splitSeed))
        try file.setAttribute("split_fractions", d.splitFractions)
        try file.setAttribute("split_stratified", Int64(d.splitStratified ? 1 : 0))
    }
}

/// The Mime loss weights of the paper, from a split's class voxel counts:
/// a_k = 1 / (mean over patches of #pixels of class k),
/// b_k = 1 / (mean over patches of #pixels not of class k).
/// A class absent from the split gets a_k = NaN (and b_k = NaN if it is everywhere):
/// the loss must refuse such weights with a clear error rather than divide by zero.
/// (The loss itself builds `Losses.MimeWeights` from the same counts.)
struct StoredMimeWeights: Sendable {
    var a: [Double]
    var b: [Double]

    init(classVoxelCounts counts: [Int64], patches: Int, pixelsPerPatch: Int) {
        let n = Double(patches), total = Double(patches) * Double(pixelsPerPatch)
        a = counts.map { $0 > 0 && n > 0 ? n / Double($0) : .nan }
        b = counts.map { Double($0) < total && n > 0 ? n / (total - Double($0)) : .nan }
    }
}
