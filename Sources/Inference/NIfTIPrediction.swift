import Common
import ENetTraining
import Evaluation
import Foundation
import PatchStore
import Training

/// `predict`: a trained model applied to NIfTI scans, label maps written on the scans' grids.
///
/// Each scan gets the preprocessing of the store the model was trained on (recorded in the
/// checkpoint's `trainer/store`): per-volume normalisation (`SliceOps.normalise`), every slice
/// resampled bilinearly to `slice_size`, cut into the store's patches; patch probabilities are
/// averaged where patches overlap, the argmax is taken, and the label map is resampled back to
/// the scan's in-plane size by nearest neighbour. The output has the scan's header and affine.
public enum NIfTIPrediction {
    /// One scan to predict and where its labels go.
    public struct Job: Equatable {
        public var input: String
        public var output: String
    }

    /// Predicts `input` (a .nii/.nii.gz file, or a directory of them) into `output` (a file, or a
    /// directory created if needed, with the same file names). Every input is checked before
    /// anything is written; each output is written to a temporary file and renamed.
    @discardableResult
    public static func run(checkpoint: String, input: String, output: String, batch: Int = 8,
                           log: (String) -> Void = { _ in }) throws -> [Job] {
        let store = try storeRecord(checkpoint)
        let model = try SegmentationModel(checkpoint: checkpoint)
        try model.check(channels: store.channelNames.count, classes: store.classNames.count,
                        of: "the store it was trained on (\(store.path))")
        guard model.inChannels == 1 else {
            throw ProgramError(.checkpoint, path: checkpoint, "the model takes \(model.inChannels) channels (\(store.channelNames.joined(separator: ", "))); "
                               + "predict reads one scan per volume, so only single-channel models are supported")
        }
        try Check.batchSize(batch, channels: model.inChannels, height: store.patchSize[0], width: store.patchSize[1])
        let jobs = try plan(input: input, output: output)
        for job in jobs { try checkInput(job.input) }
        if jobs.count > 1 || isDirectory(input) {
            do { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) } catch {
                throw ProgramError(.writeFailed, path: output, "cannot create the output directory: \(error.localizedDescription)")
            }
        }
        for job in jobs {
            let volume = try NIfTIVolume.read(job.input)
            let labels = try predict(volume, model: model, store: store, batch: batch)
            try NIfTIWriter.write(labels.map(Float.init), like: volume.header, as: .uint8, to: job.output)
            log("\(job.input) -> \(job.output)")
        }
        return jobs
    }

    /// The preprocessing recorded in a training checkpoint.
    public static func storeRecord(_ checkpoint: String) throws -> StoreRecord {
        guard FileManager.default.fileExists(atPath: checkpoint) else { throw ProgramError(.missingFile, path: checkpoint, "no such checkpoint") }
        guard let store = try TrainingCheckpoint.storeRecord(checkpoint) else {
            throw ProgramError(.checkpoint, path: checkpoint, "not a training checkpoint (no trainer/store): the preprocessing to apply is unknown")
        }
        // The preprocessing to repeat sizes what predict allocates: check it like a store's.
        guard store.patchSize.count == 2, store.patchSize[0] == store.patchSize[1],
              store.patchSize.allSatisfy({ Limits.side.contains($0) && $0 % 8 == 0 }),
              Limits.side.contains(store.sliceSize), store.sliceSize >= store.patchSize[0],
              Limits.classes.contains(store.classNames.count), Limits.channels.contains(store.channelNames.count) else {
            throw ProgramError(.checkpoint, path: checkpoint, "trainer/store records a preprocessing this program cannot repeat "
                               + "(patch \(store.patchSize), slices \(store.sliceSize), \(store.classNames.count) classes, "
                               + "\(store.channelNames.count) channels)")
        }
        return store
    }

    /// Input/output pairs: one file, or every .nii/.nii.gz of a directory (sorted by name).
    static func plan(input: String, output: String) throws -> [Job] {
        guard FileManager.default.fileExists(atPath: input) else { throw ProgramError(.missingFile, path: input, "no such file or directory") }
        guard isDirectory(input) else {
            guard output.hasSuffix(".nii") || output.hasSuffix(".nii.gz") else {
                throw ProgramError(.badInput, path: output, "the output name must end in .nii or .nii.gz")
            }
            guard !isDirectory(output) else { throw ProgramError(.badInput, path: output, "is a directory; give the output file's name") }
            return [Job(input: input, output: output)]
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: input)
            .filter { ($0.hasSuffix(".nii") || $0.hasSuffix(".nii.gz")) && !$0.hasPrefix(".") }.sorted()
        guard !names.isEmpty else { throw ProgramError(.badInput, path: input, "holds no .nii or .nii.gz file") }
        if FileManager.default.fileExists(atPath: output) && !isDirectory(output) {
            throw ProgramError(.badInput, path: output, "exists and is not a directory (the input is a directory of scans)")
        }
        return names.map { Job(input: input + "/" + $0, output: output + "/" + $0) }
    }

    /// Rejects what cannot be predicted, from the header alone: 2D images, 4D series.
    static func checkInput(_ path: String) throws {
        let header = try NIfTIVolume.readHeader(path)  // rejects 4D and missing or broken files
        guard header.dims.count >= 3 else {
            throw ProgramError(.badInput, path: path, "is 2D (\(header.dims.map(String.init).joined(separator: " x "))); predict needs a 3D volume")
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var flag: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
    }

    /// Labels of `volume` on its own grid (x fastest), preprocessed like `store`.
    static func predict(_ volume: NIfTIVolume, model: SegmentationModel, store: StoreRecord,
                        batch: Int) throws -> [UInt8] {
        let (nx, ny, nz) = (volume.shape[0], volume.shape[1], volume.shape[2])
        let size = store.sliceSize, k = model.classes
        let geometry = PatchGeometry(sliceSize: size, patch: store.patchSize[0])
        let p = geometry.patch, origins = geometry.axisOrigins
        let windows = origins.flatMap { y in origins.map { x in (y, x) } }
        var normalised = volume.voxels
        SliceOps.normalise(&normalised)
        var result = [UInt8](repeating: 0, count: volume.voxels.count)
        var slice = [Float](repeating: 0, count: size * size)
        var patches = [Float](repeating: 0, count: batch * p * p)
        for z in 0..<nz {
            normalised.withUnsafeBufferPointer { src in
                slice.withUnsafeMutableBufferPointer { dst in
                    SliceOps.resampleBilinear(UnsafeBufferPointer(rebasing: src[(z * nx * ny)..<((z + 1) * nx * ny)]),
                                              nx: nx, ny: ny, size: size, into: dst)
                }
            }
            var assembler = VolumeAssembler(classes: k, shape: VolumeShape(depth: 1, height: size, width: size))
            for start in stride(from: 0, to: windows.count, by: batch) {
                let n = min(batch, windows.count - start)
                for i in 0..<n {
                    let (oy, ox) = windows[start + i]
                    for y in 0..<p {
                        for x in 0..<p { patches[(i * p + y) * p + x] = slice[(oy + y) * size + ox + x] }
                    }
                }
                let probabilities = try patches.withUnsafeBufferPointer {
                    try model.probabilities(UnsafeBufferPointer(rebasing: $0[0..<(n * p * p)]), count: n, height: p, width: p)
                }
                for i in 0..<n {
                    try assembler.add(Array(probabilities[(i * k * p * p)..<((i + 1) * k * p * p)]), slice: 0,
                                      originY: windows[start + i].0, originX: windows[start + i].1, height: p, width: p)
                }
            }
            let labels = try assembler.labels()
            resampleNearest(labels, size: size, toWidth: nx, height: ny) { x, y, label in
                result[(z * ny + y) * nx + x] = label
            }
        }
        return result
    }

    /// Nearest-neighbour resampling of a `size` x `size` label map back to `width` x `height`,
    /// with the pixel-centre convention of `SliceOps.resampleNearest` (the inverse direction).
    static func resampleNearest(_ labels: [UInt8], size: Int, toWidth width: Int, height: Int,
                                _ put: (_ x: Int, _ y: Int, _ label: UInt8) -> Void) {
        let sx = Double(size) / Double(width), sy = Double(size) / Double(height)
        for y in 0..<height {
            let j = min(Int((Double(y) + 0.5) * sy), size - 1)
            for x in 0..<width {
                put(x, y, labels[j * size + min(Int((Double(x) + 0.5) * sx), size - 1)])
            }
        }
    }
}
