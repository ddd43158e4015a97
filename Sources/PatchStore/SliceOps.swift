import Foundation

/// The per-slice image operations of `preprocess`: intensity normalisation,
/// in-plane resampling, and tiling a slice into patches.
public enum SliceOps {
    /// Percentiles used for normalisation.
    public static let clipPercentiles = (low: 0.5, high: 99.5)
    public static let normalisationDoc = "per volume and channel: clip to the 0.5 and 99.5 percentiles "
        + "(linear interpolation between order statistics, as numpy.percentile), then scale linearly to [0, 1]; "
        + "a constant volume becomes 0"

    /// The `p`-th percentile (0...100) of `values` with linear interpolation (numpy's default).
    public static func percentile(_ sorted: [Float], _ p: Double) -> Float {
        guard !sorted.isEmpty else { return 0 }
        let position = p / 100 * Double(sorted.count - 1)
        let lo = Int(position.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
        let f = Float(position - Double(lo))
        return sorted[lo] + (sorted[hi] - sorted[lo]) * f
    }

    /// Clips to the 0.5/99.5 percentiles and scales to [0, 1], in place.
    public static func normalise(_ values: inout [Float]) {
        let sorted = values.sorted()
        let lo = percentile(sorted, clipPercentiles.low), hi = percentile(sorted, clipPercentiles.high)
        guard hi > lo else {
            for i in values.indices { values[i] = 0 }
            return
        }
        let scale = 1 / (hi - lo)
        for i in values.indices { values[i] = (min(max(values[i], lo), hi) - lo) * scale }
    }

    /// Bilinear resampling of a `nx` x `ny` slice (x fastest) to `size` x `size`, pixel
    /// centres aligned (source coordinate = (i + 0.5) * n / size - 0.5, clamped at the edges).
    public static func resampleBilinear(_ src: UnsafeBufferPointer<Float>, nx: Int, ny: Int, size: Int,
                                        into dst: UnsafeMutableBufferPointer<Float>) {
        let sx = Double(nx) / Double(size), sy = Double(ny) / Double(size)
        for j in 0..<size {
            let y = min(max((Double(j) + 0.5) * sy - 0.5, 0), Double(ny - 1))
            let y0 = Int(y), y1 = min(y0 + 1, ny - 1)
            let fy = Float(y - Double(y0))
            for i in 0..<size {
                let x = min(max((Double(i) + 0.5) * sx - 0.5, 0), Double(nx - 1))
                let x0 = Int(x), x1 = min(x0 + 1, nx - 1)
                let fx = Float(x - Double(x0))
                let top = src[x0 + nx * y0] * (1 - fx) + src[x1 + nx * y0] * fx
                let bottom = src[x0 + nx * y1] * (1 - fx) + src[x1 + nx * y1] * fx
                dst[i + size * j] = top * (1 - fy) + bottom * fy
            }
        }
    }

    /// Nearest-neighbour resampling (for labels), same pixel-centre convention.
    public static func resampleNearest(_ src: UnsafeBufferPointer<UInt8>, nx: Int, ny: Int, size: Int,
                                       into dst: UnsafeMutableBufferPointer<UInt8>) {
        let sx = Double(nx) / Double(size), sy = Double(ny) / Double(size)
        for j in 0..<size {
            let y = min(Int((Double(j) + 0.5) * sy), ny - 1)
            for i in 0..<size {
                let x = min(Int((Double(i) + 0.5) * sx), nx - 1)
                dst[i + size * j] = src[x + nx * y]
            }
        }
    }

    /// Patch origins along one axis: 0, stride, 2 stride, ... and, if the last patch
    /// does not reach the end, one more flush with the end (so the slice is covered).
    public static func origins(length: Int, patch: Int, stride step: Int) -> [Int] {
        guard patch < length else { return [0] }
        var result = Array(Swift.stride(from: 0, through: length - patch, by: step))
        if result.last! + patch < length { result.append(length - patch) }
        return result
    }
}
