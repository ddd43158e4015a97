/// Exact Euclidean distance transform with anisotropic voxel spacing
/// (Felzenszwalb & Huttenlocher, "Distance Transforms of Sampled Functions", 2012).
///
/// The squared distance is separable: one 1D lower-envelope-of-parabolas pass per
/// axis (x, then y, then z), each with that axis's spacing, gives for every voxel
/// min over sites of (dz² + dy² + dx²) in mm², in O(voxels) time.
public enum DistanceTransform {
    /// For every voxel, the squared distance in mm² to the nearest voxel where
    /// `sites` is true; `+infinity` everywhere when there is no site.
    ///
    /// With `sites` = the zeros of an input this is the square of
    /// `scipy.ndimage.distance_transform_edt(input, sampling=(z, y, x))`.
    public static func squaredDistances(toSites sites: [Bool], shape: VolumeShape,
                                        spacing: VoxelSpacing) -> [Double] {
        precondition(sites.count == shape.count, "site mask size does not match its shape")
        var f = sites.map { $0 ? 0.0 : Double.infinity }
        let (d, h, w) = (shape.depth, shape.height, shape.width)
        var pass = LinePass(capacity: max(d, h, w))
        f.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            for z in 0..<d { for y in 0..<h {
                pass.run(base + (z * h + y) * w, count: w, stride: 1, spacing: spacing.x)
            } }
            if h > 1 { for z in 0..<d { for x in 0..<w {
                pass.run(base + z * h * w + x, count: h, stride: w, spacing: spacing.y)
            } } }
            if d > 1 { for y in 0..<h { for x in 0..<w {
                pass.run(base + y * w + x, count: d, stride: h * w, spacing: spacing.z)
            } } }
        }
        return f
    }

    /// `squaredDistances` followed by a square root: distances in mm.
    public static func distances(toSites sites: [Bool], shape: VolumeShape,
                                 spacing: VoxelSpacing) -> [Double] {
        squaredDistances(toSites: sites, shape: shape, spacing: spacing).map { $0.squareRoot() }
    }
}

/// Scratch buffers and the 1D transform of one line, reused across lines.
struct LinePass {
    private var line: [Double]
    private var result: [Double]
    /// Sample indices of the parabolas in the lower envelope.
    private var vertex: [Int]
    /// Boundaries between envelope parabolas (one more than `vertex`).
    private var boundary: [Double]

    init(capacity: Int) {
        line = [Double](repeating: 0, count: capacity)
        result = line
        vertex = [Int](repeating: 0, count: capacity)
        boundary = [Double](repeating: 0, count: capacity + 1)
    }

    /// Replaces the `count` values at `start`, `start + stride`, ... with
    /// min_q (position(i) - position(q))² + f(q), where position(i) = i * spacing.
    mutating func run(_ start: UnsafeMutablePointer<Double>, count n: Int, stride: Int, spacing s: Double) {
        for i in 0..<n { line[i] = start[i * stride] }
        LinePass.transform(line, count: n, spacing: s, into: &result, vertex: &vertex, boundary: &boundary)
        for i in 0..<n { start[i * stride] = result[i] }
    }

    /// The 1D squared-distance transform of sampled function `f` (infinite values are
    /// "no site" and contribute no parabola).
    static func transform(_ f: [Double], count n: Int, spacing s: Double, into d: inout [Double],
                          vertex v: inout [Int], boundary z: inout [Double]) {
        var k = -1
        for q in 0..<n where f[q].isFinite {
            let pq = Double(q) * s
            if k < 0 {
                k = 0
                v[0] = q
                z[0] = -.infinity
                z[1] = .infinity
                continue
            }
            // Where the parabola rooted at q overtakes the envelope's last parabola.
            var crossing: Double
            while true {
                let r = v[k]
                let pr = Double(r) * s
                crossing = ((f[q] + pq * pq) - (f[r] + pr * pr)) / (2 * (pq - pr))
                // Parabola k is hidden by q from z[k] on: drop it. z[0] = -inf stops the loop at k = 0.
                if crossing > z[k] { break }
                k -= 1
            }
            k += 1
            v[k] = q
            z[k] = crossing
            z[k + 1] = .infinity
        }
        if k < 0 {
            for i in 0..<n { d[i] = .infinity }
            return
        }
        k = 0
        for i in 0..<n {
            let x = Double(i) * s
            while z[k + 1] < x { k += 1 }
            let dx = x - Double(v[k]) * s
            d[i] = dx * dx + f[v[k]]
        }
    }
}
