/// PReLU with one learnable slope shared by all channels (PyTorch `nn.PReLU()`):
/// `y = x` for `x > 0`, else `slope * x`.
public enum PReLU {
    public static func forward(input x: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>, count: Int,
                               slope: Float) {
        for i in 0..<count { let v = x[i]; y[i] = v > 0 ? v : slope * v }
    }

    /// Forward with the sides held fixed (`positive[i]` instead of `x[i] > 0`): the
    /// same linear piece around a point, for finite-difference checks.
    public static func forward(input x: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>, count: Int,
                               slope: Float, positive: UnsafePointer<Bool>) {
        for i in 0..<count { y[i] = positive[i] ? x[i] : slope * x[i] }
    }

    /// `dx += dy * (x > 0 ? 1 : slope)`, `dslope = sum(dy * min(x, 0))` (overwritten).
    public static func backward(input x: UnsafePointer<Float>, gradOutput dy: UnsafePointer<Float>,
                                gradInput dx: UnsafeMutablePointer<Float>?, count: Int,
                                slope: Float, gradSlope: UnsafeMutablePointer<Float>) {
        // dslope: 16 Float lanes per run of 256 values, runs added in Double (as `Reductions`).
        var sum = 0.0, i = 0
        let zero = SIMD16<Float>(), scale = SIMD16<Float>(repeating: slope)
        while i + 256 <= count {
            var acc = SIMD16<Float>()
            for j in stride(from: i, to: i + 256, by: 16) {
                let v = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD16<Float>.self)
                let g = UnsafeRawPointer(dy + j).loadUnaligned(as: SIMD16<Float>.self)
                let negative = v .<= zero
                acc += (g * v).replacing(with: 0, where: .!negative)
                if let dx {
                    let d = UnsafeMutableRawPointer(dx + j)
                    let current = d.loadUnaligned(as: SIMD16<Float>.self)
                    d.storeBytes(of: current + g.replacing(with: g * scale, where: negative), as: SIMD16<Float>.self)
                }
            }
            sum += Double(acc.sum())
            i += 256
        }
        while i < count {
            let v = x[i], g = dy[i]
            if v > 0 {
                dx?[i] += g
            } else {
                dx?[i] += slope * g
                sum += Double(g) * Double(v)
            }
            i += 1
        }
        gradSlope.pointee = Float(sum)
    }
}
