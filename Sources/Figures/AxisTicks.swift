import Foundation

/// Evenly spaced "nice" tick values (steps of 1, 2 or 5 times a power of ten)
/// for a chart axis, and their labels.
public struct AxisTicks: Equatable, Sendable {
    /// The axis range, widened to whole steps when asked to.
    public let lower: Double, upper: Double
    public let step: Double
    /// Tick positions inside `lower...upper`.
    public let values: [Double]

    /// Ticks for data in `lower...upper`, about `target` of them. With
    /// `expand`, the range grows outwards to the neighbouring ticks; `minimumStep`
    /// keeps e.g. epoch axes on whole numbers.
    public init(lower: Double, upper: Double, target: Int = 6, expand: Bool,
                minimumStep: Double = 0) {
        var lo = lower, hi = upper
        if !(hi > lo) {  // one value (or none): open a small window around it
            let pad = lo == 0 ? 0.5 : abs(lo) * 0.1
            lo -= pad; hi += pad
        }
        let rough = (hi - lo) / Double(max(target - 1, 1))
        let magnitude = pow(10, (log10(rough)).rounded(.down))
        let residual = rough / magnitude
        let nice: Double = residual < 1.5 ? 1 : residual < 3 ? 2 : residual < 7 ? 5 : 10
        let step = max(nice * magnitude, minimumStep)
        self.step = step
        if expand {
            lo = (lo / step).rounded(.down) * step
            hi = (hi / step).rounded(.up) * step
        }
        self.lower = lo; self.upper = hi
        let first = Int((lo / step - 1e-9).rounded(.up)), last = Int((hi / step + 1e-9).rounded(.down))
        values = first <= last ? (first...last).map { Double($0) * step } : []
    }

    /// `value` printed with just enough decimals for this step.
    public func label(_ value: Double) -> String {
        let decimals = max(0, Int((-log10(step) - 1e-9).rounded(.up)))
        let text = String(format: "%.\(decimals)f", value)
        // Avoid "-0.0" for ticks that are zero up to rounding.
        return Double(text) == 0 ? String(format: "%.\(decimals)f", 0.0) : text
    }
}
