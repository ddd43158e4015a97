// Independent, deliberately naive references for the tests: surfaces from explicit neighbour
// lists, all-pairs distances, percentile by numpy's documented formula. Double precision.
import Common
@testable import Evaluation
import Foundation

enum BruteForce {
    typealias Point = (z: Int, y: Int, x: Int)

    static func points(_ mask: (Int, Int, Int) -> Bool, _ shape: VolumeShape) -> [Point] {
        var result: [Point] = []
        for z in 0..<shape.depth { for y in 0..<shape.height { for x in 0..<shape.width where mask(z, y, x) {
            result.append((z, y, x))
        } } }
        return result
    }

    /// Mask voxels with at least one face neighbour outside the mask or outside the volume.
    static func surfacePoints(_ labels: [UInt8], _ label: UInt8, _ shape: VolumeShape) -> [Point] {
        func inMask(_ z: Int, _ y: Int, _ x: Int) -> Bool {
            guard z >= 0, z < shape.depth, y >= 0, y < shape.height, x >= 0, x < shape.width else { return false }
            return labels[(z * shape.height + y) * shape.width + x] == label
        }
        let offsets = [(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)]
        return points({ z, y, x in
            inMask(z, y, x) && offsets.contains { !inMask(z + $0.0, y + $0.1, x + $0.2) }
        }, shape)
    }

    static func distance(_ a: Point, _ b: Point, _ s: VoxelSpacing) -> Double {
        let dz = Double(a.z - b.z) * s.z, dy = Double(a.y - b.y) * s.y, dx = Double(a.x - b.x) * s.x
        return (dz * dz + dy * dy + dx * dx).squareRoot()
    }

    static func nearest(_ p: Point, _ set: [Point], _ s: VoxelSpacing) -> Double {
        set.map { distance(p, $0, s) }.min() ?? .infinity
    }

    /// numpy.percentile(values, q) with the default linear method, written from its docs.
    static func numpyPercentile(_ values: [Double], _ q: Double) -> Double {
        let a = values.sorted()
        let virtual = q / 100 * Double(a.count - 1)
        let i = Int(virtual)
        if i + 1 >= a.count { return a[a.count - 1] }
        let g = virtual - Double(i)
        return a[i] * (1 - g) + a[i + 1] * g
    }

    static func hd95(_ pred: [UInt8], _ gt: [UInt8], _ label: UInt8, _ shape: VolumeShape,
                     _ s: VoxelSpacing) -> Double {
        let diagonal = (pow(Double(shape.depth) * s.z, 2) + pow(Double(shape.height) * s.y, 2)
            + pow(Double(shape.width) * s.x, 2)).squareRoot()
        let hasPred = pred.contains(label), hasGT = gt.contains(label)
        if !hasPred && !hasGT { return 0 }
        if !hasPred || !hasGT { return diagonal }
        let a = surfacePoints(pred, label, shape), b = surfacePoints(gt, label, shape)
        let pooled = a.map { nearest($0, b, s) } + b.map { nearest($0, a, s) }
        return numpyPercentile(pooled, 95)
    }

    static func dice(_ pred: [UInt8], _ gt: [UInt8], _ label: UInt8) -> Double {
        var inter = 0, sum = 0
        for (p, g) in zip(pred, gt) {
            if p == label && g == label { inter += 1 }
            if p == label { sum += 1 }
            if g == label { sum += 1 }
        }
        return sum == 0 ? 1 : Double(2 * inter) / Double(sum)
    }
}

/// A random label map of `classes` classes made of a few boxes and ellipsoids plus sparse
/// noise, so masks have interiors as well as thin parts and isolated voxels.
func randomLabels(_ shape: VolumeShape, classes: Int, using rng: inout SplitMix64) -> [UInt8] {
    var labels = [UInt8](repeating: 0, count: shape.count)
    for _ in 0..<Int.random(in: 1...4, using: &rng) {
        let label = UInt8(Int.random(in: 1..<classes, using: &rng))
        let c = (Double.random(in: 0..<Double(shape.depth), using: &rng),
                 Double.random(in: 0..<Double(shape.height), using: &rng),
                 Double.random(in: 0..<Double(shape.width), using: &rng))
        let r = (Double.random(in: 0.5...Double(shape.depth) / 2 + 0.5, using: &rng),
                 Double.random(in: 0.5...Double(shape.height) / 2, using: &rng),
                 Double.random(in: 0.5...Double(shape.width) / 2, using: &rng))
        let ellipsoid = Bool.random(using: &rng)
        for z in 0..<shape.depth { for y in 0..<shape.height { for x in 0..<shape.width {
            let u = (Double(z) - c.0) / r.0, v = (Double(y) - c.1) / r.1, w = (Double(x) - c.2) / r.2
            let inside = ellipsoid ? u * u + v * v + w * w <= 1 : max(abs(u), abs(v), abs(w)) <= 1
            if inside { labels[shape.index(z, y, x)] = label }
        } } }
    }
    for i in 0..<labels.count where Double.random(in: 0..<1, using: &rng) < 0.03 {
        labels[i] = UInt8(Int.random(in: 0..<classes, using: &rng))
    }
    return labels
}
