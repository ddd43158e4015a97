/// The surface of a binary mask as MedPy defines it: the mask minus its binary
/// erosion, `mask ^ scipy.ndimage.binary_erosion(mask, generate_binary_structure(3, 1))`.
///
/// The erosion uses the 6-neighbourhood (face connectivity) and treats voxels
/// outside the volume as background (scipy's default `border_value=0`), so every
/// mask voxel on the volume's border is a surface voxel. In particular a volume
/// of depth 1 has no z neighbours inside it: all its mask voxels are surface, as
/// with MedPy on a 3D array of one slice.
public func surface(of mask: [Bool], shape: VolumeShape) -> [Bool] {
    precondition(mask.count == shape.count, "mask size does not match its shape")
    var result = [Bool](repeating: false, count: mask.count)
    let (d, h, w) = (shape.depth, shape.height, shape.width)
    let plane = h * w
    mask.withUnsafeBufferPointer { m in
        result.withUnsafeMutableBufferPointer { s in
            for z in 0..<d {
                for y in 0..<h {
                    for x in 0..<w {
                        let i = (z * h + y) * w + x
                        guard m[i] else { continue }
                        // Interior iff all six face neighbours exist and are in the mask.
                        let interior = x > 0 && x < w - 1 && y > 0 && y < h - 1 && z > 0 && z < d - 1
                            && m[i - 1] && m[i + 1] && m[i - w] && m[i + w]
                            && m[i - plane] && m[i + plane]
                        s[i] = !interior
                    }
                }
            }
        }
    }
    return result
}
