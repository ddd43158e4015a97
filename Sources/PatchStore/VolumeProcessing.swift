import Common
import Foundation

/// How slices become patches.
public struct PatchGeometry: Sendable, Equatable {
    /// Every slice is resampled to `sliceSize` x `sliceSize`.
    public var sliceSize: Int
    /// Patch side (equals `sliceSize` for whole slices).
    public var patch: Int
    /// Step between patch origins.
    public var stride: Int

    public init(sliceSize: Int, patch: Int? = nil, stride: Int? = nil) {
        self.sliceSize = sliceSize
        self.patch = patch ?? sliceSize
        self.stride = stride ?? patch ?? sliceSize
    }

    /// Origins along one axis.
    public var axisOrigins: [Int] { SliceOps.origins(length: sliceSize, patch: patch, stride: stride) }
    /// Patches cut from one slice.
    public var patchesPerSlice: Int { axisOrigins.count * axisOrigins.count }
}

/// One volume turned into patches, ready to be written.
struct ProcessedVolume {
    var source: VolumeSource
    var shape: [Int]
    var spacing: [Double]
    var resampledSpacing: [Double]
    /// patches x C x H x W.
    var images: [Float]
    /// patches x H x W.
    var labels: [UInt8]
    var slices: [Int32]
    /// (y, x) per patch.
    var origins: [Int32]
    var count: Int { slices.count }
}

enum VolumeProcessing {
    /// Reads, checks, normalises, resamples and tiles one volume.
    static func process(_ source: VolumeSource, classes: Int, geometry g: PatchGeometry) throws -> ProcessedVolume {
        let labelVolume = try NIfTIVolume.read(source.labelFile)
        let labels = try labelValues(labelVolume, classes: classes)
        var channels: [[Float]] = []
        for file in source.imageFiles {
            var image = try NIfTIVolume.read(file)
            guard image.shape == labelVolume.shape else {
                throw shapeMismatch(label: labelVolume, imageFile: file, imageShape: image.shape)
            }
            SliceOps.normalise(&image.voxels)
            channels.append(image.voxels)
        }
        let (nx, ny, nz) = (labelVolume.shape[0], labelVolume.shape[1], labelVolume.shape[2])
        let size = g.sliceSize, p = g.patch, c = channels.count
        let origins = g.axisOrigins
        let count = nz * origins.count * origins.count
        var out = ProcessedVolume(source: source, shape: labelVolume.shape, spacing: labelVolume.spacing,
                                  resampledSpacing: [labelVolume.spacing[0] * Double(nx) / Double(size),
                                                     labelVolume.spacing[1] * Double(ny) / Double(size),
                                                     labelVolume.spacing[2]],
                                  images: [Float](repeating: 0, count: count * c * p * p),
                                  labels: [UInt8](repeating: 0, count: count * p * p),
                                  slices: [], origins: [])
        out.slices.reserveCapacity(count)
        var sliceImages = [Float](repeating: 0, count: c * size * size)
        var sliceLabels = [UInt8](repeating: 0, count: size * size)
        let plane = nx * ny
        var n = 0
        for z in 0..<nz {
            for ch in 0..<c {
                channels[ch].withUnsafeBufferPointer { src in
                    sliceImages.withUnsafeMutableBufferPointer { dst in
                        SliceOps.resampleBilinear(UnsafeBufferPointer(rebasing: src[(z * plane)..<((z + 1) * plane)]),
                                                  nx: nx, ny: ny, size: size,
                                                  into: UnsafeMutableBufferPointer(rebasing: dst[(ch * size * size)..<((ch + 1) * size * size)]))
                    }
                }
            }
            labels.withUnsafeBufferPointer { src in
                sliceLabels.withUnsafeMutableBufferPointer { dst in
                    SliceOps.resampleNearest(UnsafeBufferPointer(rebasing: src[(z * plane)..<((z + 1) * plane)]),
                                             nx: nx, ny: ny, size: size, into: dst)
                }
            }
            for oy in origins {
                for ox in origins {
                    for row in 0..<p {
                        let from = (oy + row) * size + ox
                        for ch in 0..<c {
                            let to = ((n * c + ch) * p + row) * p
                            for i in 0..<p { out.images[to + i] = sliceImages[ch * size * size + from + i] }
                        }
                        let to = (n * p + row) * p
                        for i in 0..<p { out.labels[to + i] = sliceLabels[from + i] }
                    }
                    out.slices.append(Int32(z))
                    out.origins += [Int32(oy), Int32(ox)]
                    n += 1
                }
            }
        }
        return out
    }

    /// Label voxels as class indices, rejecting non-integers, negatives and values >= K.
    static func labelValues(_ volume: NIfTIVolume, classes: Int) throws -> [UInt8] {
        var result = [UInt8](repeating: 0, count: volume.voxels.count)
        for (i, v) in volume.voxels.enumerated() {
            let r = v.rounded()
            guard abs(v - r) < 1e-3, r >= 0, r < Float(classes) else {
                let x = i % volume.shape[0], y = (i / volume.shape[0]) % volume.shape[1], z = i / volume.sliceCount
                let what = abs(v - r) >= 1e-3 ? "is not a whole number" : r < 0 ? "is negative" : ">= number of classes K=\(classes)"
                throw ProgramError(.labelOutOfRange, path: volume.path,
                                      "label value \(v) at voxel (\(x), \(y), \(z)) \(what)")
            }
            result[i] = UInt8(r)
        }
        return result
    }

    static func shapeMismatch(label: NIfTIVolume, imageFile: String, imageShape: [Int]) -> ProgramError {
        shapeMismatch(labelFile: label.path, labelShape: label.shape, imageFile: imageFile, imageShape: imageShape)
    }

    static func shapeMismatch(labelFile: String, labelShape: [Int], imageFile: String, imageShape: [Int]) -> ProgramError {
        let fmt = { (s: [Int]) in s.map(String.init).joined(separator: "x") }
        return ProgramError(.shapeMismatch, path: labelFile,
                               "label shape \(fmt(labelShape)) differs from image shape \(fmt(imageShape)) of \(imageFile)")
    }
}
