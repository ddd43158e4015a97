/// Element-wise dropout (PyTorch `nn.Dropout`): in training each element is
/// zeroed with probability `p` and the survivors are scaled by `1 / (1 - p)`.
/// The mask holds those factors (0 or 1/(1-p)), so forward and backward are one multiply.
public enum Dropout {
    /// Draws a fresh mask from `generator`.
    public static func makeMask(_ mask: UnsafeMutablePointer<Float>, count: Int, p: Double,
                                generator: inout Xoshiro256) {
        let keep = Float(1 / (1 - p))
        for i in 0..<count { mask[i] = generator.nextUniform() < p ? 0 : keep }
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
}
