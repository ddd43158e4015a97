/// Nearest-neighbour x2 upsampling (PyTorch `interpolate(scale_factor=2, mode="nearest")`):
/// `y[n, c, i, j] = x[n, c, i / 2, j / 2]`.
public enum UpsampleNearest2x {
    /// `x` is `shape`; `y` is `N x C x 2H x 2W`.
    public static func forward(input x: UnsafePointer<Float>, shape: TensorShape, output y: UnsafeMutablePointer<Float>) {
        let ow = 2 * shape.width
        for p in 0..<(shape.batch * shape.channels) {
            let src = x + p * shape.plane, dst = y + p * shape.plane * 4
            for i in 0..<(2 * shape.height) {
                let row = src + (i / 2) * shape.width, out = dst + i * ow
                for j in 0..<ow { out[j] = row[j / 2] }
            }
        }
    }

    /// `dx[i, j] += sum of the 2x2 block of dy it was copied to`.
    public static func backward(gradOutput dy: UnsafePointer<Float>, shape: TensorShape,
                                gradInput dx: UnsafeMutablePointer<Float>) {
        let ow = 2 * shape.width
        for p in 0..<(shape.batch * shape.channels) {
            let src = dy + p * shape.plane * 4, dst = dx + p * shape.plane
            for i in 0..<shape.height {
                for j in 0..<shape.width {
                    let top = src + (2 * i) * ow + 2 * j, bottom = top + ow
                    dst[i * shape.width + j] += top[0] + top[1] + bottom[0] + bottom[1]
                }
            }
        }
    }
}
