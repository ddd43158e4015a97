/// PReLU with one learnable slope shared by all channels (PyTorch `nn.PReLU()`):
/// `y = x` for `x > 0`, else `slope * x`.
public enum PReLU {
    public static func forward(input x: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>, count: Int,
                               slope: Float) {
        for i in 0..<count { let v = x[i]; y[i] = v > 0 ? v : slope * v }
    }

    /// `dx += dy * (x > 0 ? 1 : slope)`, `dslope = sum(dy * min(x, 0))` (overwritten).
    public static func backward(input x: UnsafePointer<Float>, gradOutput dy: UnsafePointer<Float>,
                                gradInput dx: UnsafeMutablePointer<Float>?, count: Int,
                                slope: Float, gradSlope: UnsafeMutablePointer<Float>) {
        var sum = 0.0
        for i in 0..<count {
            let v = x[i], g = dy[i]
            if v > 0 {
                dx?[i] += g
            } else {
                dx?[i] += slope * g
                sum += Double(g) * Double(v)
            }
        }
        gradSlope.pointee = Float(sum)
    }
}
