/// The `p`-th percentile (0...100) of `values` with linear interpolation between the
/// two nearest ranks, like `numpy.percentile`'s default (`method="linear"`): sorted
/// values a, position h = (n - 1) * p / 100, result a[⌊h⌋] + (h - ⌊h⌋)(a[⌊h⌋+1] - a[⌊h⌋]).
/// Returns nil for no values.
public func percentile(_ values: [Double], _ p: Double) -> Double? {
    precondition((0...100).contains(p), "percentile must be in 0...100")
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    let h = Double(sorted.count - 1) * p / 100
    let lower = Int(h.rounded(.down))
    let upper = min(lower + 1, sorted.count - 1)
    let t = h - Double(lower)
    return sorted[lower] + t * (sorted[upper] - sorted[lower])
}
