/// The 95th percentile Hausdorff distance (HD95) in mm of class `label`, MedPy's definition
/// (`medpy.metric.binary.hd95`, the one the paper's authors used):
///
/// 1. the surface of each mask is the mask minus its 6-neighbourhood erosion (`surface(of:shape:)`);
/// 2. every surface voxel of the prediction gets its distance to the nearest surface voxel of
///    the reference, and every reference surface voxel its distance to the nearest prediction
///    surface voxel, with an exact Euclidean distance transform in mm (`DistanceTransform`);
/// 3. both directions' distances are pooled into one list and its 95th percentile is taken
///    with linear interpolation (`percentile`, numpy's default).
///
/// This is neither the DeepMind surface-distance HD95 (weighted by surface area) nor MONAI's
/// (maximum of two per-direction percentiles).
///
/// Empty cases, the paper's rules (where MedPy would raise):
/// - class in the reference, nothing predicted → the scan diagonal (`scanDiagonal`);
/// - nothing in the reference, something predicted → the scan diagonal;
/// - nothing in either → 0.
///
/// Both label maps have `shape`; `spacing` is the voxel size in mm.
public func hausdorff95(prediction: [UInt8], reference: [UInt8], label: UInt8,
                        shape: VolumeShape, spacing: VoxelSpacing) -> Double {
    precondition(prediction.count == shape.count && reference.count == shape.count,
                 "label maps do not match the shape")
    let predicted = prediction.contains(label)
    let present = reference.contains(label)
    if !predicted && !present { return 0 }
    if !predicted || !present { return scanDiagonal(shape, spacing) }

    // Only the box around both masks matters: distances between its voxels do not depend on
    // the rest of the grid, and a mask voxel on a face of the box has only background beyond
    // it, exactly as for the full volume, so erosion and surfaces are unchanged.
    let box = BoundingBox(of: [prediction, reference], label: label, shape: shape)!
    let a = box.crop(prediction, shape: shape).map { $0 == label }
    let b = box.crop(reference, shape: shape).map { $0 == label }
    let distances = surfaceDistances(a, b, shape: box.shape, spacing: spacing)
        + surfaceDistances(b, a, shape: box.shape, spacing: spacing)
    return percentile(distances, 95)!
}

/// Distances (mm) from every surface voxel of `from` to the nearest surface voxel of `to`:
/// MedPy's `__surface_distances(from, to)`. Both masks must be non-empty.
public func surfaceDistances(_ from: [Bool], _ to: [Bool], shape: VolumeShape,
                             spacing: VoxelSpacing) -> [Double] {
    let fromSurface = surface(of: from, shape: shape)
    let toSurface = surface(of: to, shape: shape)
    let squared = DistanceTransform.squaredDistances(toSites: toSurface, shape: shape, spacing: spacing)
    var result: [Double] = []
    for i in 0..<fromSurface.count where fromSurface[i] { result.append(squared[i].squareRoot()) }
    return result
}

/// The smallest box of voxels holding every voxel of a class in any of several label maps.
struct BoundingBox {
    var lower: (z: Int, y: Int, x: Int)
    var upper: (z: Int, y: Int, x: Int)  // inclusive

    /// nil when no map contains `label`.
    init?(of maps: [[UInt8]], label: UInt8, shape: VolumeShape) {
        var lo = (z: Int.max, y: Int.max, x: Int.max)
        var hi = (z: -1, y: -1, x: -1)
        for map in maps {
            var i = 0
            for z in 0..<shape.depth { for y in 0..<shape.height { for x in 0..<shape.width {
                if map[i] == label {
                    lo = (min(lo.z, z), min(lo.y, y), min(lo.x, x))
                    hi = (max(hi.z, z), max(hi.y, y), max(hi.x, x))
                }
                i += 1
            } } }
        }
        guard hi.z >= 0 else { return nil }
        lower = lo
        upper = hi
    }

    var shape: VolumeShape {
        VolumeShape(depth: upper.z - lower.z + 1, height: upper.y - lower.y + 1, width: upper.x - lower.x + 1)
    }

    /// The voxels of `map` (of `shape`) inside the box, x fastest.
    func crop<T>(_ map: [T], shape full: VolumeShape) -> [T] {
        var out: [T] = []
        out.reserveCapacity(shape.count)
        for z in lower.z...upper.z { for y in lower.y...upper.y {
            let row = full.index(z, y, 0)
            out.append(contentsOf: map[(row + lower.x)...(row + upper.x)])
        } }
        return out
    }
}
