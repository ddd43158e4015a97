/// Compares a candidate vector b with a reference a from partial sums, so that the pieces of
/// both can live on different ranks: the sums add up across ranks before the ratios are formed.
struct VectorComparison: Equatable {
    /// Σ a², Σ b², Σ a·b, Σ (a − b)².
    var aa = 0.0, bb = 0.0, ab = 0.0, dd = 0.0

    init() {}

    init(sums: ArraySlice<Double>) {
        precondition(sums.count == 4)
        let s = Array(sums)
        (aa, bb, ab, dd) = (s[0], s[1], s[2], s[3])
    }

    /// Adds the pairs (reference[i], candidate[i]).
    mutating func add(reference a: UnsafeBufferPointer<Float>, candidate b: UnsafeBufferPointer<Float>) {
        precondition(a.count == b.count)
        for i in 0..<a.count {
            let x = Double(a[i]), y = Double(b[i])
            aa += x * x
            bb += y * y
            ab += x * y
            dd += (x - y) * (x - y)
        }
    }

    mutating func add(reference a: [Float], candidate b: [Float]) {
        a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in add(reference: x, candidate: y) } }
    }

    var sums: [Double] { [aa, bb, ab, dd] }

    /// ‖a‖, the reference's norm.
    var referenceNorm: Double { aa.squareRoot() }

    /// ‖a − b‖ / ‖a‖: 0 when the vectors are equal, NaN when anything is non-finite
    /// (or a alone is zero).
    var relativeError: Double { dd == 0 ? 0 : (dd / aa).squareRoot() }

    /// a·b / (‖a‖‖b‖): 1 when both are zero.
    var cosine: Double { aa == 0 && bb == 0 ? 1 : ab / (aa * bb).squareRoot() }
}
