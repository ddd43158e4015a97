/// 2x2 max-pooling with stride 2 that records, for every output, the flat index
/// `y * W + x` of its maximum inside the input plane (PyTorch's `return_indices`),
/// and the matching max-unpooling that scatters values back to those positions.
public enum MaxPool2x2 {
    /// `input` is `shape`; output is `N x C x H/2 x W/2`. Ties go to the first
    /// maximum in row-major order within the window, as in PyTorch's CPU kernel.
    public static func forward(input x: UnsafePointer<Float>, shape: TensorShape,
                               output y: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>) {
        let oh = shape.height / 2, ow = shape.width / 2
        for p in 0..<(shape.batch * shape.channels) {
            let plane = x + p * shape.plane
            let outBase = p * oh * ow
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var best = -Float.infinity, bestIndex = (2 * oy) * shape.width + 2 * ox
                    for dy in 0..<2 {
                        for dx in 0..<2 {
                            let index = (2 * oy + dy) * shape.width + 2 * ox + dx
                            let v = plane[index]
                            if v > best || v.isNaN { best = v; bestIndex = index }
                        }
                    }
                    y[outBase + oy * ow + ox] = best
                    indices[outBase + oy * ow + ox] = Int32(bestIndex)
                }
            }
        }
    }

    /// `dx[index] += dy` for every pooled element. `outputShape` is the pooled shape.
    public static func backward(gradOutput dy: UnsafePointer<Float>, indices: UnsafePointer<Int32>,
                                outputShape: TensorShape, gradInput dx: UnsafeMutablePointer<Float>) {
        let inPlane = outputShape.plane * 4
        for p in 0..<(outputShape.batch * outputShape.channels) {
            for i in 0..<outputShape.plane {
                let o = p * outputShape.plane + i
                dx[p * inPlane + Int(indices[o])] += dy[o]
            }
        }
    }
}

/// Max-unpooling 2x2 (PyTorch `max_unpool2d` with kernel 2): output planes are
/// twice as large, zero except at the recorded indices.
public enum MaxUnpool2x2 {
    /// `input` and `indices` are `shape`; output is `N x C x 2H x 2W`.
    public static func forward(input x: UnsafePointer<Float>, indices: UnsafePointer<Int32>, shape: TensorShape,
                               output y: UnsafeMutablePointer<Float>) {
        let outPlane = shape.plane * 4
        y.update(repeating: 0, count: shape.count * 4)
        for p in 0..<(shape.batch * shape.channels) {
            for i in 0..<shape.plane {
                let o = p * shape.plane + i
                y[p * outPlane + Int(indices[o])] = x[o]
            }
        }
    }

    /// `dx += dy[index]`.
    public static func backward(gradOutput dy: UnsafePointer<Float>, indices: UnsafePointer<Int32>, shape: TensorShape,
                                gradInput dx: UnsafeMutablePointer<Float>) {
        let outPlane = shape.plane * 4
        for p in 0..<(shape.batch * shape.channels) {
            for i in 0..<shape.plane {
                let o = p * shape.plane + i
                dx[o] += dy[p * outPlane + Int(indices[o])]
            }
        }
    }
}
