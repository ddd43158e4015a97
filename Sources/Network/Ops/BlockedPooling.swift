/// Max-pool 2x2 (with indices), max-unpool and nearest x2 upsampling on blocked
/// `nChw16c` tensors: the plain versions' semantics (`MaxPool.swift`,
/// `Upsample.swift`) with the 16 channels of a block in one vector. Indices are
/// stored per element in the pooled tensor's layout and hold the same value as
/// in the plain version: the position `y * W + x` of the maximum in its input plane.
enum BlockedPooling {
    /// `N x C x H x W` -> `N x C x H/2 x W/2`; ties go to the first maximum in
    /// row-major order, a NaN wins (as `MaxPool2x2.forward`).
    static func maxPoolForward(input x: UnsafePointer<Float>, shape: TensorShape, output y: UnsafeMutablePointer<Float>,
                               indices: UnsafeMutablePointer<Int32>) {
        let (w, oh, ow) = (shape.width, shape.height / 2, shape.width / 2)
        for plane in 0..<shape.blockPlanes {
            let input = x + plane * shape.plane * 16, out = plane * oh * ow * 16
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let first = (2 * oy) * w + 2 * ox
                    var best = Lanes(at: input + first * 16)
                    var bestIndex = SIMD16<Int32>(repeating: Int32(first))
                    @inline(__always) func consider(_ index: Int) {
                        let v = Lanes(at: input + index * 16)
                        let take = (v .> best) .| (v .!= v)
                        best.replace(with: v, where: take)
                        bestIndex.replace(with: Int32(index), where: take)
                    }
                    consider(first + 1)
                    consider(first + w)
                    consider(first + w + 1)
                    let o = out + (oy * ow + ox) * 16
                    best.store(at: y + o)
                    UnsafeMutableRawPointer(indices + o).storeBytes(of: bestIndex, as: SIMD16<Int32>.self)
                }
            }
        }
    }

    /// Calls `body(pooledOffset, planeOffset)` for every pooled element: its offset in
    /// the pooled tensor and the offset of its input-plane position (`indices`) in the
    /// full-size tensor. `shape` is the pooled shape.
    @inline(__always)
    private static func forEachSelected(_ shape: TensorShape, _ indices: UnsafePointer<Int32>,
                                        _ body: (Int, Int) -> Void) {
        let inPlane = shape.plane * 4
        for plane in 0..<shape.blockPlanes {
            let pooled = plane * shape.plane * 16, full = plane * inPlane * 16
            for i in 0..<(shape.plane * 16) {
                let o = pooled + i
                body(o, full + Int(indices[o]) * 16 + (i & 15))
            }
        }
    }

    /// `y = x[index]` with the indices of an earlier forward; `shape` is the input's.
    static func maxPoolGather(input x: UnsafePointer<Float>, shape: TensorShape, indices: UnsafePointer<Int32>,
                              output y: UnsafeMutablePointer<Float>) {
        let pooled = TensorShape(shape.batch, shape.channels, shape.height / 2, shape.width / 2)
        forEachSelected(pooled, indices) { o, i in y[o] = x[i] }
    }

    /// `dx[index] += dy`; `outputShape` is the pooled shape.
    static func maxPoolBackward(gradOutput dy: UnsafePointer<Float>, indices: UnsafePointer<Int32>,
                                outputShape: TensorShape, gradInput dx: UnsafeMutablePointer<Float>) {
        forEachSelected(outputShape, indices) { o, i in dx[i] += dy[o] }
    }

    /// `N x C x H x W` -> `N x C x 2H x 2W`, zero except `y[index] = x`.
    static func unpoolForward(input x: UnsafePointer<Float>, indices: UnsafePointer<Int32>, shape: TensorShape,
                              output y: UnsafeMutablePointer<Float>) {
        y.update(repeating: 0, count: shape.blockPlanes * 16 * shape.plane * 4)
        forEachSelected(shape, indices) { o, i in y[i] = x[o] }
    }

    /// `dx += dy[index]`.
    static func unpoolBackward(gradOutput dy: UnsafePointer<Float>, indices: UnsafePointer<Int32>, shape: TensorShape,
                               gradInput dx: UnsafeMutablePointer<Float>) {
        forEachSelected(shape, indices) { o, i in dx[o] += dy[i] }
    }

    /// Nearest x2: `y[i, j] = x[i / 2, j / 2]`; `shape` is the input's.
    static func upsampleForward(input x: UnsafePointer<Float>, shape: TensorShape, output y: UnsafeMutablePointer<Float>) {
        let (h, w) = (shape.height, shape.width)
        for plane in 0..<shape.blockPlanes {
            let input = x + plane * h * w * 16, out = y + plane * h * w * 64
            for i in 0..<(2 * h) {
                for j in 0..<(2 * w) {
                    Lanes(at: input + ((i / 2) * w + j / 2) * 16).store(at: out + (i * 2 * w + j) * 16)
                }
            }
        }
    }

    /// `dx[i, j] += the sum of the 2x2 block of dy it was copied to`.
    static func upsampleBackward(gradOutput dy: UnsafePointer<Float>, shape: TensorShape,
                                 gradInput dx: UnsafeMutablePointer<Float>) {
        let (h, w) = (shape.height, shape.width)
        for plane in 0..<shape.blockPlanes {
            let grad = dy + plane * h * w * 64, out = dx + plane * h * w * 16
            for i in 0..<h {
                for j in 0..<w {
                    let top = grad + ((2 * i) * 2 * w + 2 * j) * 16, bottom = top + 2 * w * 16
                    let sum = Lanes(at: top) + Lanes(at: top + 16) + Lanes(at: bottom) + Lanes(at: bottom + 16)
                    (Lanes(at: out + (i * w + j) * 16) + sum).store(at: out + (i * w + j) * 16)
                }
            }
        }
    }
}
