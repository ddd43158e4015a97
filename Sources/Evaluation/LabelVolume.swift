import Common
/// The size of a 3D volume in voxels, in (z, y, x) order.
///
/// Voxel (z, y, x) is stored at `(z * height + y) * width + x`: x varies fastest.
/// This is the memory order of a NIfTI file's data block (dim[1] = x is the
/// fastest axis), so a NIfTI buffer of dims (nx, ny, nz) is used as-is with
/// `VolumeShape(depth: nz, height: ny, width: nx)`. A 2D image is a volume of
/// depth 1.
public struct VolumeShape: Equatable, Hashable, CustomStringConvertible, Sendable {
    /// Voxels along z (slices).
    public let depth: Int
    /// Voxels along y (rows).
    public let height: Int
    /// Voxels along x (columns), the fastest-varying axis.
    public let width: Int

    public init(depth: Int, height: Int, width: Int) {
        precondition(depth > 0 && height > 0 && width > 0, "volume dimensions must be positive")
        self.depth = depth
        self.height = height
        self.width = width
    }

    /// A shape read from a file: throws (naming `name`) instead of trapping unless every
    /// dimension is positive and the volume has at most `Limits.voxels` voxels.
    public init(depth: Int, height: Int, width: Int, name: String) throws {
        guard depth > 0, height > 0, width > 0, let count = Limits.product([depth, height, width]), count <= Limits.voxels else {
            throw ProgramError(.tooLarge, path: name, "a \(depth)x\(height)x\(width) (z,y,x) volume: each size must be positive, "
                               + "at most \(Limits.voxels) voxels in all")
        }
        self.init(depth: depth, height: height, width: width)
    }

    /// Number of voxels.
    public var count: Int { depth * height * width }

    /// Linear index of voxel (z, y, x).
    @inlinable public func index(_ z: Int, _ y: Int, _ x: Int) -> Int { (z * height + y) * width + x }

    public var description: String { "\(depth)x\(height)x\(width) (z,y,x)" }
}

/// Voxel size in millimetres along each axis; anisotropic spacing is the norm
/// (e.g. cine-MRI: 1.5 x 1.5 mm in-plane, 10 mm between slices).
public struct VoxelSpacing: Equatable, Hashable, CustomStringConvertible, Sendable {
    /// Distance between slices (mm).
    public let z: Double
    /// Distance between rows (mm).
    public let y: Double
    /// Distance between columns (mm).
    public let x: Double

    public init(z: Double, y: Double, x: Double) {
        precondition(z > 0 && y > 0 && x > 0 && z.isFinite && y.isFinite && x.isFinite,
                     "voxel spacing must be positive and finite")
        self.z = z
        self.y = y
        self.x = x
    }

    /// Spacing read from a file: throws (naming `name`) instead of trapping when an axis is
    /// not positive and finite, as in a NIfTI header with pixdim 0.
    public init(z: Double, y: Double, x: Double, name: String) throws {
        for (axis, value) in [("z", z), ("y", y), ("x", x)] where !(value > 0 && value.isFinite) {
            throw ProgramError(.badInput, path: name, "voxel spacing along \(axis) is \(value) mm; it must be positive and finite")
        }
        self.init(z: z, y: y, x: x)
    }

    /// 1 mm in every direction.
    public static let unit = VoxelSpacing(z: 1, y: 1, x: 1)

    /// True when every axis agrees with `other` to a relative tolerance.
    public func isClose(to other: VoxelSpacing, relativeTolerance: Double = 1e-4) -> Bool {
        func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= relativeTolerance * max(abs(a), abs(b)) }
        return close(z, other.z) && close(y, other.y) && close(x, other.x)
    }

    public var description: String { "\(z)x\(y)x\(x) mm (z,y,x)" }
}

/// The length in mm of the diagonal of the box covered by `shape` voxels of size `spacing`:
/// `sqrt((depth*z)^2 + (height*y)^2 + (width*x)^2)`. The paper's HD95 for a missed or
/// spurious structure.
public func scanDiagonal(_ shape: VolumeShape, _ spacing: VoxelSpacing) -> Double {
    let dz = Double(shape.depth) * spacing.z
    let dy = Double(shape.height) * spacing.y
    let dx = Double(shape.width) * spacing.x
    return (dz * dz + dy * dy + dx * dx).squareRoot()
}

/// A 3D label map: one class index per voxel, x fastest (see `VolumeShape`), with its voxel spacing.
public struct LabelVolume: Equatable, Sendable {
    public let shape: VolumeShape
    public let spacing: VoxelSpacing
    /// `shape.count` class indices, voxel (z, y, x) at `shape.index(z, y, x)`.
    public let labels: [UInt8]

    /// Throws when `labels.count` is not `shape.count`; `name` goes into the message.
    public init(shape: VolumeShape, spacing: VoxelSpacing, labels: [UInt8], name: String = "volume") throws {
        guard labels.count == shape.count else {
            throw ProgramError(.badInput, path: name, "\(labels.count) labels for a \(shape) volume of \(shape.count) voxels")
        }
        self.shape = shape
        self.spacing = spacing
        self.labels = labels
    }

    /// Largest label present (0 for an all-background volume).
    public var maxLabel: UInt8 { labels.max() ?? 0 }
}

extension LabelVolume {
    /// A label volume from voxel values read as floating point (what a generic NIfTI reader
    /// returns), x fastest. Every value must be an integer in 0...255; `name` (the file) goes
    /// into the error otherwise, with the first offending voxel.
    public init(shape: VolumeShape, spacing: VoxelSpacing, values: [Float], name: String) throws {
        var labels = [UInt8](repeating: 0, count: values.count)
        for (i, v) in values.enumerated() {
            guard let label = UInt8(exactly: v) else {
                let x = i % shape.width, y = (i / shape.width) % shape.height, z = i / (shape.width * shape.height)
                throw ProgramError(.badInput, path: name, "voxel (x \(x), y \(y), z \(z)) holds \(v), not a label in 0...255")
            }
            labels[i] = label
        }
        try self.init(shape: shape, spacing: spacing, labels: labels, name: name)
    }
}
