/// Element-wise dropout (PyTorch `nn.Dropout`): in training each element is
/// zeroed with probability `p` and the survivors are scaled by `1 / (1 - p)`.
/// The mask holds those factors (0 or 1/(1-p)), so forward and backward are one multiply.
public enum Dropout {
    /// Draws a fresh mask from `generator`: each 64-bit draw gives two 32-bit
    /// uniforms, an element is dropped when its uniform is below `p * 2^32`.
    public static func makeMask(_ mask: UnsafeMutablePointer<Float>, count: Int, p: Double,
                                generator: inout Xoshiro256) {
        let keep = Float(1 / (1 - p))
        let threshold = UInt64((p * 4_294_967_296).rounded())
        var i = 0
        while i < count {
            let bits = generator.next()
            mask[i] = bits >> 32 < threshold ? 0 : keep
            if i + 1 < count { mask[i + 1] = bits & 0xFFFF_FFFF < threshold ? 0 : keep }
            i += 2
        }
    }

    /// `y = x * mask`.
    public static func forward(input x: UnsafePointer<Float>, mask: UnsafePointer<Float>, count: Int,
                               output y: UnsafeMutablePointer<Float>) {
        for i in 0..<count { y[i] = x[i] * mask[i] }
    }

    /// `dx += dy * mask`.
    public static func backward(gradOutput dy: UnsafePointer<Float>, mask: UnsafePointer<Float>, count: Int,
                                gradInput dx: UnsafeMutablePointer<Float>) {
        for i in 0..<count { dx[i] += dy[i] * mask[i] }
    }

    /// `y = a + x * mask`: a residual added to a dropped-out branch in one pass.
    public static func addForward(_ a: UnsafePointer<Float>, _ x: UnsafePointer<Float>, mask: UnsafePointer<Float>,
                                  count: Int, output y: UnsafeMutablePointer<Float>) {
        for i in 0..<count { y[i] = a[i] + x[i] * mask[i] }
    }
}
