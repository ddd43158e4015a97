import Common
/// Rebuilds a 3D label volume from per-class scores of 2D slices or overlapping 2D sub-patches.
///
/// Each patch holds K channels (probabilities, or logits: whatever is averaged) for an
/// h x w window of one slice at (slice, originY, originX). The assembler sums them into a
/// (K, depth, height, width) buffer and counts how many patches covered each voxel; the
/// result is the per-voxel average (overlaps averaged) and its argmax over classes.
public struct VolumeAssembler {
    /// Number of classes K (channels per patch).
    public let classes: Int
    /// The volume being rebuilt.
    public let shape: VolumeShape
    /// Channel sums, layout (K, depth, height, width), x fastest.
    private var sums: [Float]
    /// Patches that covered each voxel, layout (depth, height, width).
    private var counts: [Int32]

    public init(classes: Int, shape: VolumeShape) {
        precondition((1...256).contains(classes), "labels are UInt8: 1...256 classes")
        self.classes = classes
        self.shape = shape
        sums = [Float](repeating: 0, count: classes * shape.count)
        counts = [Int32](repeating: 0, count: shape.count)
    }

    /// Adds one patch, layout (K, height, width) with x fastest, whose voxel (y, x) is
    /// voxel (slice, originY + y, originX + x) of the volume. Throws when the window does not
    /// fit in the volume or the patch has the wrong size.
    public mutating func add(_ patch: UnsafeBufferPointer<Float>, slice: Int, originY: Int, originX: Int,
                             height: Int, width: Int) throws {
        guard patch.count == classes * height * width else {
            throw ProgramError(.badInput, path: "patch at slice \(slice) (\(originY), \(originX))",
                                  "\(patch.count) values for \(classes) classes of \(height)x\(width)")
        }
        guard (0..<shape.depth).contains(slice), height > 0, width > 0, originY >= 0, originX >= 0,
              originY + height <= shape.height, originX + width <= shape.width else {
            throw ProgramError(.badInput, path: "patch at slice \(slice) (\(originY), \(originX))",
                                  "a \(height)x\(width) window does not fit in the \(shape) volume")
        }
        let volume = shape.count
        for y in 0..<height {
            let row = shape.index(slice, originY + y, originX)
            for k in 0..<classes {
                let source = (k * height + y) * width
                let target = k * volume + row
                for x in 0..<width { sums[target + x] += patch[source + x] }
            }
            for x in 0..<width { counts[row + x] += 1 }
        }
    }

    /// `add` for an array.
    public mutating func add(_ patch: [Float], slice: Int, originY: Int, originX: Int,
                             height: Int, width: Int) throws {
        try patch.withUnsafeBufferPointer {
            try add($0, slice: slice, originY: originY, originX: originX, height: height, width: width)
        }
    }

    /// Number of voxels no patch has covered yet.
    public var uncoveredVoxels: Int { counts.reduce(0) { $0 + ($1 == 0 ? 1 : 0) } }

    /// The averaged channels, layout (K, depth, height, width). Throws if a voxel was never covered.
    public func averaged() throws -> [Float] {
        try checkCovered()
        var result = sums
        let volume = shape.count
        for k in 0..<classes {
            for i in 0..<volume { result[k * volume + i] /= Float(counts[i]) }
        }
        return result
    }

    /// The label volume: per voxel the class with the largest averaged value (the lowest
    /// class index on ties, like numpy's argmax). Throws if a voxel was never covered.
    public func labels() throws -> [UInt8] {
        let mean = try averaged()
        let volume = shape.count
        var result = [UInt8](repeating: 0, count: volume)
        for i in 0..<volume {
            var best = mean[i]
            var label = 0
            for k in 1..<classes where mean[k * volume + i] > best {
                best = mean[k * volume + i]
                label = k
            }
            result[i] = UInt8(label)
        }
        return result
    }

    private func checkCovered() throws {
        let missing = uncoveredVoxels
        guard missing == 0 else {
            throw ProgramError(.badInput, path: "\(shape) volume", "\(missing) voxels were covered by no patch")
        }
    }
}
