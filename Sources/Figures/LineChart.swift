/// A line chart of training curves: several named series of (x, y) points,
/// axes with "nice" ticks and numeric labels, axis titles, a legend and a
/// title. Points with a non-finite y are skipped and break their line. A series may carry
/// error bars (a half-length per point); the y axis then fits the bars too.
public struct LineChart {
    /// One curve, e.g. the validation Dice of one loss per epoch.
    public struct Series {
        public var name: String
        public var points: [(x: Double, y: Double)]
        /// nil: the next colour of `Color.palette`.
        public var color: Color?
        /// Error bars: per point, the half-length drawn above and below it (e.g. a standard
        /// deviation); nil, or a non-finite or zero entry: no bar at that point.
        public var errors: [Double]?

        public init(name: String, points: [(x: Double, y: Double)], color: Color? = nil, errors: [Double]? = nil) {
            precondition(errors == nil || errors!.count == points.count, "one error per point")
            self.name = name; self.points = points; self.color = color; self.errors = errors
        }

        /// The y extent of each finite point with its bar.
        var extents: [Double] {
            points.indices.flatMap { i -> [Double] in
                let (x, y) = points[i], e = errors?[i] ?? 0
                guard x.isFinite && y.isFinite else { return [] }
                return e.isFinite && e > 0 ? [y - e, y + e] : [y]
            }
        }

        /// A series with x = 1, 2, 3, ... (epochs) for `values`.
        public init(name: String, values: [Double], color: Color? = nil) {
            self.init(name: name, points: values.enumerated().map { (Double($0 + 1), $1) },
                      color: color)
        }
    }

    public var title: String
    public var xTitle: String
    public var yTitle: String
    public var series: [Series]
    public var width = 800, height = 500
    /// A fixed y range (e.g. 0...1 for Dice); nil: fitted to the data.
    public var yRange: ClosedRange<Double>?
    /// Line thickness in pixels (1-3).
    public var lineThickness = 2
    /// The label of an x tick (e.g. 2^x for an axis of log2 values); nil: the value.
    public var xTickLabel: ((Double) -> String)?

    public init(title: String, xTitle: String, yTitle: String, series: [Series]) {
        self.title = title; self.xTitle = xTitle; self.yTitle = yTitle; self.series = series
    }

    /// The colour series `index` is drawn with.
    public func color(ofSeries index: Int) -> Color {
        series[index].color ?? Color.palette[index % Color.palette.count]
    }

    /// Where the data is drawn inside the canvas (computed by `layout()`).
    public struct Layout {
        public let plotLeft: Int, plotTop: Int, plotWidth: Int, plotHeight: Int
        public let xTicks: AxisTicks, yTicks: AxisTicks

        /// Canvas coordinates of a data point; values outside the axes are
        /// clamped to the plot's edge.
        public func position(x: Double, y: Double) -> (x: Double, y: Double) {
            let u = min(max((x - xTicks.lower) / (xTicks.upper - xTicks.lower), 0), 1)
            let v = min(max((y - yTicks.lower) / (yTicks.upper - yTicks.lower), 0), 1)
            return (Double(plotLeft) + u * Double(plotWidth - 1),
                    Double(plotTop) + (1 - v) * Double(plotHeight - 1))
        }
    }

    static let titleScale = 3, textScale = 2, margin = 16

    /// Axis ranges and the plot rectangle for the current data and size.
    public func layout() -> Layout {
        let finite = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let xs = finite.map(\.x), ys = series.flatMap(\.extents)
        let allWholeX = xs.allSatisfy { $0 == $0.rounded() }
        let xTicks = AxisTicks(lower: xs.min() ?? 0, upper: xs.max() ?? 1, expand: false,
                               minimumStep: allWholeX ? 1 : 0)
        let yTicks = yRange.map { AxisTicks(lower: $0.lowerBound, upper: $0.upperBound, expand: false) }
            ?? AxisTicks(lower: ys.min() ?? 0, upper: ys.max() ?? 1, expand: true)

        let s = Self.textScale, m = Self.margin
        let lineHeight = BitmapFont.height(scale: s)
        let yLabelWidth = yTicks.values.map { BitmapFont.width(of: yTicks.label($0), scale: s) }.max() ?? 0
        let legendWidth = 24 + 8 + (series.map { BitmapFont.width(of: $0.name, scale: s) }.max() ?? 0)
        let left = m + lineHeight + m + yLabelWidth + 8
        let top = m + BitmapFont.height(scale: Self.titleScale) + m
        let right = m + legendWidth + m
        let bottom = 8 + lineHeight + m + lineHeight + m
        return Layout(plotLeft: left, plotTop: top,
                      plotWidth: max(width - left - right, 10), plotHeight: max(height - top - bottom, 10),
                      xTicks: xTicks, yTicks: yTicks)
    }

    /// Draws the chart on a white canvas of `width` x `height`.
    public func render() -> Canvas {
        var canvas = Canvas(width: width, height: height)
        let l = layout(), s = Self.textScale, m = Self.margin
        let ink = Color.gray(40), grid = Color.gray(225)
        let lineHeight = BitmapFont.height(scale: s), capHeight = BitmapFont.glyphHeight * s
        let plotRight = l.plotLeft + l.plotWidth - 1, plotBottom = l.plotTop + l.plotHeight - 1

        canvas.drawText(title, centeredAt: l.plotLeft + l.plotWidth / 2, y: m, color: ink,
                        scale: Self.titleScale)

        // Grid lines, ticks and tick labels.
        for value in l.yTicks.values {
            let y = Int(l.position(x: l.xTicks.lower, y: value).y.rounded())
            canvas.fillRect(x: l.plotLeft, y: y, width: l.plotWidth, height: 1, color: grid)
            canvas.fillRect(x: l.plotLeft - 6, y: y, width: 6, height: 1, color: ink)
            let text = l.yTicks.label(value)
            canvas.drawText(text, x: l.plotLeft - 8 - BitmapFont.width(of: text, scale: s),
                            y: y - capHeight / 2, color: ink, scale: s)
        }
        for value in l.xTicks.values {
            let x = Int(l.position(x: value, y: l.yTicks.lower).x.rounded())
            canvas.fillRect(x: x, y: l.plotTop, width: 1, height: l.plotHeight, color: grid)
            canvas.fillRect(x: x, y: plotBottom + 1, width: 1, height: 6, color: ink)
            canvas.drawText(xTickLabel?(value) ?? l.xTicks.label(value), centeredAt: x, y: plotBottom + 8,
                            color: ink, scale: s)
        }
        canvas.strokeRect(x: l.plotLeft - 1, y: l.plotTop - 1, width: l.plotWidth + 2,
                          height: l.plotHeight + 2, color: ink)

        // Axis titles.
        canvas.drawText(xTitle, centeredAt: l.plotLeft + l.plotWidth / 2,
                        y: plotBottom + 8 + lineHeight + m, color: ink, scale: s)
        canvas.drawText(yTitle, x: m,
                        y: l.plotTop + l.plotHeight / 2 + BitmapFont.width(of: yTitle, scale: s) / 2,
                        color: ink, scale: s, direction: .upward)

        // Curves, with square markers when points are few enough to tell apart.
        for (index, curve) in series.enumerated() {
            let color = color(ofSeries: index)
            let markers = curve.points.count <= 40
            var previous: (x: Double, y: Double)?
            for (i, point) in curve.points.enumerated() {
                guard point.x.isFinite && point.y.isFinite else { previous = nil; continue }
                let p = l.position(x: point.x, y: point.y)
                if let e = curve.errors?[i], e.isFinite, e > 0 {
                    // A vertical bar from y - e to y + e with 9-pixel caps.
                    let low = l.position(x: point.x, y: point.y - e), high = l.position(x: point.x, y: point.y + e)
                    let x = Int(p.x.rounded()), top = Int(high.y.rounded()), bottom = Int(low.y.rounded())
                    canvas.fillRect(x: x, y: top, width: 1, height: bottom - top + 1, color: color)
                    canvas.fillRect(x: x - 4, y: top, width: 9, height: 1, color: color)
                    canvas.fillRect(x: x - 4, y: bottom, width: 9, height: 1, color: color)
                }
                if let q = previous {
                    canvas.drawLine(from: q, to: p, color: color, thickness: lineThickness)
                }
                if markers {
                    canvas.fillRect(x: Int(p.x.rounded()) - 2, y: Int(p.y.rounded()) - 2,
                                    width: 5, height: 5, color: color)
                }
                previous = p
            }
        }

        // Legend, to the right of the plot.
        for (index, curve) in series.enumerated() {
            let x = plotRight + 1 + m, y = l.plotTop + index * (lineHeight + 6)
            canvas.fillRect(x: x, y: y + capHeight / 2 - 1, width: 24, height: 3,
                            color: color(ofSeries: index))
            canvas.drawText(curve.name, x: x + 32, y: y, color: ink, scale: s)
        }
        return canvas
    }

    /// Renders the chart and writes it as a PNG file.
    public func write(to path: String) throws {
        try render().writePNG(to: path)
    }
}
