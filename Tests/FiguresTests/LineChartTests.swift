import Foundation
import XCTest
@testable import Figures

final class LineChartTests: XCTestCase {
    func testNiceTicks() {
        let dice = AxisTicks(lower: 0.13, upper: 0.87, expand: true)
        XCTAssertEqual(dice.step, 0.1, accuracy: 1e-12)
        XCTAssertEqual(dice.lower, 0.1, accuracy: 1e-12)
        XCTAssertEqual(dice.upper, 0.9, accuracy: 1e-12)
        XCTAssertEqual(dice.values.map(dice.label), ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9"])

        let loss = AxisTicks(lower: 0.0213, upper: 0.4, expand: true)
        XCTAssertEqual(loss.step, 0.1, accuracy: 1e-12)
        XCTAssertEqual(loss.values.first!, 0, accuracy: 1e-12)
        XCTAssertEqual(loss.label(0), "0.0")

        // Epochs 1...3: whole-number ticks even though a step of 0.5 would be "nicer".
        let epochs = AxisTicks(lower: 1, upper: 3, expand: false, minimumStep: 1)
        XCTAssertEqual(epochs.values, [1, 2, 3])
        XCTAssertEqual(epochs.label(2), "2")

        let big = AxisTicks(lower: 0, upper: 2000, expand: false)
        XCTAssertEqual(big.values, [0, 500, 1000, 1500, 2000])
        XCTAssertEqual(AxisTicks(lower: 0, upper: 0.2, expand: false).label(0.05), "0.05")

        let single = AxisTicks(lower: 5, upper: 5, expand: true)
        XCTAssertLessThan(single.lower, 5)
        XCTAssertGreaterThan(single.upper, 5)
    }

    func chart() -> LineChart {
        LineChart(title: "Loss per epoch", xTitle: "epoch", yTitle: "training loss", series: [
            .init(name: "dice", values: [0.9, 0.6, 0.45, 0.38, 0.33, 0.31]),
            .init(name: "gdl", values: [0.8, 0.7, .nan, 0.5, 0.42, 0.4]),
            .init(name: "mime", values: [0.95, 0.5, 0.3, 0.2, 0.16, 0.15], color: Color(0, 0, 0)),
        ])
    }

    func testChartPixelsAfterPNGRoundTrip() throws {
        let path = try scratchDirectory(self, samples: true) + "/loss.png"
        let chart = chart()
        try chart.write(to: path)
        let png = try PNGReader.read(path)
        XCTAssertEqual(png.width, 800)
        XCTAssertEqual(png.height, 500)
        XCTAssertEqual(png[0, 0], .white)
        XCTAssertEqual(png[799, 499], .white)

        let layout = chart.layout()
        XCTAssertEqual(layout.xTicks.lower, 1)
        XCTAssertEqual(layout.xTicks.upper, 6)
        // Every data point of a series sits on a pixel of its colour, and so does
        // the midpoint of a line segment between two finite points.
        for (index, series) in chart.series.enumerated() {
            let colour = chart.color(ofSeries: index)
            for point in series.points where point.y.isFinite {
                let p = layout.position(x: point.x, y: point.y)
                XCTAssertEqual(png[Int(p.x.rounded()), Int(p.y.rounded())], colour, "\(series.name) at \(point)")
            }
        }
        let a = layout.position(x: 5, y: 0.16), b = layout.position(x: 6, y: 0.15)
        XCTAssertEqual(png[Int(((a.x + b.x) / 2).rounded()), Int(((a.y + b.y) / 2).rounded())], .black)
        // The NaN breaks gdl's line: halfway between epochs 2 and 4 there is no gdl pixel.
        let gdl = chart.color(ofSeries: 1)
        let p2 = layout.position(x: 2, y: 0.7), p4 = layout.position(x: 4, y: 0.5)
        let mid = (x: Int(((p2.x + p4.x) / 2).rounded()), y: Int(((p2.y + p4.y) / 2).rounded()))
        for dy in -3...3 { XCTAssertNotEqual(png[mid.x, mid.y + dy], gdl) }

        // Text exists where the title, tick labels and legend are drawn, and the legend shows each colour.
        func inkPixels(x: Range<Int>, y: Range<Int>) -> Int {
            y.reduce(0) { sum, py in sum + x.filter { png[$0, py] != .white }.count }
        }
        XCTAssertGreaterThan(inkPixels(x: 0..<800, y: 0..<layout.plotTop - 4), 100, "title")
        XCTAssertGreaterThan(inkPixels(x: 0..<layout.plotLeft - 8, y: layout.plotTop..<(layout.plotTop + layout.plotHeight)), 100, "y labels")
        let legend = Set((layout.plotTop..<(layout.plotTop + 100)).flatMap { y in
            ((layout.plotLeft + layout.plotWidth + 2)..<800).map { png[$0, y] }
        })
        for index in chart.series.indices { XCTAssertTrue(legend.contains(chart.color(ofSeries: index))) }
    }

    func testLongRunDrawsLinesWithoutMarkers() throws {
        let path = try scratchDirectory(self, samples: true) + "/dice.png"
        // Smooth, noisy-looking curves over 60 epochs; the values only need to vary.
        let curves = ["dice", "vnet", "gdl", "mime"].enumerated().map { k, name in
            LineChart.Series(name: name, values: (0..<60).map { e in
                0.85 * (1 - exp(-Double(e) / Double(8 + 4 * k))) + 0.02 * sin(Double(e * (k + 2)))
            })
        }
        var chart = LineChart(title: "Validation Dice per epoch", xTitle: "epoch", yTitle: "mean Dice",
                              series: curves)
        chart.yRange = 0...1
        try chart.write(to: path)
        let png = try PNGReader.read(path)
        let l = chart.layout()
        XCTAssertEqual(l.xTicks.values, [10, 20, 30, 40, 50, 60])
    }

    func testMarkersOnlyForShortSeries() {
        // A flat line at 0.5 (no grid line there), 2 px thick: rows y and y + 1. A 5x5
        // marker would also cover row y - 2.
        for (count, marked) in [(40, true), (41, false)] {
            var chart = LineChart(title: "", xTitle: "", yTitle: "", series: [
                .init(name: "flat", values: [Double](repeating: 0.5, count: count)),
            ])
            chart.yRange = 0...1
            let canvas = chart.render(), p = chart.layout().position(x: 15, y: 0.5)
            let x = Int(p.x.rounded()), y = Int(p.y.rounded()), colour = chart.color(ofSeries: 0)
            XCTAssertEqual(canvas[x, y], colour)
            XCTAssertEqual(canvas[x, y + 1], colour)
            XCTAssertEqual(canvas[x, y - 2] == colour, marked, "\(count) points")
        }
    }

    /// Error bars: the bar's column and caps in the series' colour, nothing else changed on a
    /// fixed axis; a fitted axis grows to hold the bars.
    func testErrorBars() {
        let points: [(x: Double, y: Double)] = [(1, 0.5), (2, 0.6), (3, 0.55)]
        var plain = LineChart(title: "", xTitle: "", yTitle: "", series: [.init(name: "mime", points: points)])
        plain.yRange = 0...1
        var barred = plain
        barred.series[0].errors = [0.2, .nan, 0]
        let (a, b) = (plain.render(), barred.render())
        let l = barred.layout(), colour = barred.color(ofSeries: 0)
        let p = l.position(x: 1, y: 0.5), top = l.position(x: 1, y: 0.7), bottom = l.position(x: 1, y: 0.3)
        let x = Int(p.x.rounded())
        XCTAssertEqual(b[x, Int(top.y.rounded())], colour)
        XCTAssertEqual(b[x, Int(bottom.y.rounded())], colour)
        XCTAssertEqual(b[x - 4, Int(top.y.rounded())], colour, "cap")
        XCTAssertEqual(b[x + 4, Int(bottom.y.rounded())], colour, "cap")
        // Only the bar of the first point differs (the others have none).
        for y in 0..<a.height {
            for column in 0..<a.width where a[column, y] != b[column, y] {
                XCTAssertTrue(abs(column - x) <= 4 && y >= Int(top.y.rounded()) && y <= Int(bottom.y.rounded()),
                              "pixel \(column),\(y) changed")
            }
        }
        var fitted = LineChart(title: "", xTitle: "", yTitle: "", series: [.init(name: "mime", points: points, errors: [0.4, 0, 0])])
        XCTAssertLessThanOrEqual(fitted.layout().yTicks.lower, 0.1)
        XCTAssertGreaterThanOrEqual(fitted.layout().yTicks.upper, 0.9)
        fitted.series[0].errors = nil
        XCTAssertGreaterThan(fitted.layout().yTicks.lower, 0.1)
    }

    func testXTickLabelsCanBeRewritten() {
        var chart = chart()
        let plain = chart.render()
        chart.xTickLabel = { "2^\(Int($0))" }
        let powers = chart.render()
        // Only the band of x tick labels under the plot differs.
        let l = chart.layout(), below = l.plotTop + l.plotHeight - 1 + 8
        var differing: [Int] = []
        for y in 0..<plain.height {
            for x in 0..<plain.width where plain[x, y] != powers[x, y] { differing.append(y) }
        }
        XCTAssertFalse(differing.isEmpty)
        XCTAssertTrue(differing.allSatisfy { $0 >= below && $0 < below + BitmapFont.height(scale: LineChart.textScale) },
                      "rows \(differing.min()!)...\(differing.max()!)")
    }

    func testFixedRangeAndEmptyChartStillRender() throws {
        var dice = LineChart(title: "Validation Dice", xTitle: "epoch", yTitle: "Dice", series: [
            .init(name: "dice", values: [0.2, 0.5, 0.7]),
        ])
        dice.yRange = 0...1
        dice.width = 400; dice.height = 300
        let layout = dice.layout()
        XCTAssertEqual(layout.yTicks.lower, 0)
        XCTAssertEqual(layout.yTicks.upper, 1)
        let canvas = dice.render()
        XCTAssertEqual(canvas.width, 400)
        let top = layout.position(x: 3, y: 1)
        XCTAssertEqual(top.y, Double(layout.plotTop))

        let empty = LineChart(title: "nothing yet", xTitle: "epoch", yTitle: "loss", series: [
            .init(name: "dice", values: [.nan]),
        ])
        XCTAssertEqual(empty.render().height, 500)
    }
}
