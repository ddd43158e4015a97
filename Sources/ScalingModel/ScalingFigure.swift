import Figures
import Foundation

/// The figures: predicted efficiency against ranks, one chart per image size, one line
/// per network and exchange.
extension ScalingReport {
    /// One chart per image size (file name `scaling-<size>.png`).
    public var figures: [(name: String, chart: LineChart)] {
        inputs.profiles.map { profile in
            var series: [LineChart.Series] = []
            for (n, network) in inputs.networks.enumerated() {
                for (v, variant) in ExchangeVariant.allCases.enumerated() {
                    let points = Self.figureRanks.compactMap { ranks -> (x: Double, y: Double)? in
                        prediction(network: network.name, size: profile.size, variant: variant, ranks: ranks)
                            .map { (log2(Double(ranks)), 100 * $0.efficiency) }
                    }
                    // One hue per exchange, darker for the second network.
                    let base = Color.palette[[3, 0, 2][v % 3]]
                    let color = n == 0 ? base : Color(base.r / 2, base.g / 2, base.b / 2)
                    series.append(.init(name: "\(network.name): \(variant.rawValue)", points: points, color: color))
                }
            }
            var chart = LineChart(title: "ENet \(profile.size)x\(profile.size): predicted weak scaling",
                                  xTitle: "ranks (batch \(profile.batch), \(profile.threads) thread each)",
                                  yTitle: "efficiency (%)", series: series)
            chart.width = 1200
            chart.height = 560
            chart.yRange = 0...100
            chart.xTickLabel = { String(1 << Int($0.rounded())) }
            return ("scaling-\(profile.size).png", chart)
        }
    }

    /// Writes every figure into `directory` (each PNG written under a temporary name and renamed).
    public func writeFigures(to directory: String) throws {
        for (name, chart) in figures { try chart.write(to: directory + "/" + name) }
    }
}
