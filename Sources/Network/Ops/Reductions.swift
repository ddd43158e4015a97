/// Fast, accurate reductions for the operations: 16 Float lanes over runs of
/// 256 values (a few rounding steps each), runs added in Double.
enum Reductions {
    private static let lanes = 16
    private static let run = 256

    @inline(__always)
    private static func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    /// `sum(x)`.
    static func sum(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var total = 0.0, i = 0
        while i + run <= count {
            var acc = SIMD16<Float>()
            for j in stride(from: i, to: i + run, by: lanes) { acc += load(x + j) }
            total += Double(acc.sum())
            i += run
        }
        while i < count { total += Double(x[i]); i += 1 }
        return total
    }

    /// `sum((x - mean)^2)`.
    static func sumOfSquaredDeviations(_ x: UnsafePointer<Float>, count: Int, mean: Float) -> Double {
        var total = 0.0, i = 0
        let m = SIMD16<Float>(repeating: mean)
        while i + run <= count {
            var acc = SIMD16<Float>()
            for j in stride(from: i, to: i + run, by: lanes) { let d = load(x + j) - m; acc += d * d }
            total += Double(acc.sum())
            i += run
        }
        while i < count { let d = Double(x[i]) - Double(mean); total += d * d; i += 1 }
        return total
    }

    /// `sum(a * (b - shift))`.
    static func dotCentered(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int, shift: Float) -> Double {
        var total = 0.0, i = 0
        let s = SIMD16<Float>(repeating: shift)
        while i + run <= count {
            var acc = SIMD16<Float>()
            for j in stride(from: i, to: i + run, by: lanes) { acc += load(a + j) * (load(b + j) - s) }
            total += Double(acc.sum())
            i += run
        }
        while i < count { total += Double(a[i]) * (Double(b[i]) - Double(shift)); i += 1 }
        return total
    }
}
