import Foundation
import XCTest
@testable import ScalingModel

/// The report from a small synthetic data directory: what it fits, chooses, predicts and
/// writes, and how it refuses bad input.
final class ScalingReportTests: XCTestCase {
    let machine = CostParameters(alpha: 5e-6, beta: 2e-10, gamma: 1e-10)

    /// Measurements made with `machine` (shm) and 4x its costs (tcp), a 100,000-value gradient
    /// whose backward takes 50 ms, two training runs.
    func inputs() -> ScalingInputs {
        var measurements: [ExchangeMeasurement] = []
        for (transport, factor) in [("shm", 1.0), ("tcp", 4.0)] {
            for ranks in [2, 4, 8] {
                for floats in [6, 100_000, 400_000] {
                    for method in ["allgather", "ordered", "combine"] {
                        var m = ExchangeMeasurement(method: method, ranks: ranks, floats: floats, medianSeconds: 0,
                                                    bytesSentPerRank: 2 * floats * (ranks - 1) / ranks * 4,
                                                    optimalBytesPerRank: 2 * floats * (ranks - 1) / ranks * 4,
                                                    transport: transport, cores: 2)
                        let costs = CostParameters(alpha: machine.alpha * factor, beta: machine.beta * factor,
                                                   gamma: machine.gamma)
                        m.minSeconds = m.oversubscription * m.modelAlgorithm!.terms(ranks: ranks, bytes: m.bytes)
                            .seconds(with: costs)
                        m.medianSeconds = m.minSeconds
                        measurements.append(m)
                    }
                }
            }
        }
        let timeline = BackwardTimeline(backwardSeconds: 0.05, points: (1...10).map {
            .init(offset: 100_000 - 10_000 * $0, seconds: 0.005 * Double($0))
        })
        let profile = StepProfile(size: 128, batch: 8, threads: 1, parameters: 100_000, runningStatistics: 64,
                                  trainImagesPerSecond: 80, timeline: timeline)
        let training = [2, 4].map {
            ScalingInputs.TrainingRun(ranks: $0, imagesPerSecond: 100, exposedMillisecondsPerStep: 0.5,
                                      leastExposedMillisecondsPerStep: 0.2, exposedFraction: 0.005,
                                      commBytesPerStep: 8000, cores: 2)
        }
        let networks = [NetworkSpec(name: "slow", alphaMicroseconds: 50, gigabytesPerSecond: 0.001, source: "made up"),
                        NetworkSpec(name: "fast", alphaMicroseconds: 1, gigabytesPerSecond: 10, source: "made up")]
        return ScalingInputs(measurements: measurements, profiles: [profile], training: training,
                             io: .init(patchesPerSecond: 1000, bytesPerPatch: 81920, fileBytesPerPatch: 50000,
                                       patchShape: [1, 128, 128]),
                             networks: networks)
    }

    func testReportPredictsEveryCellAndOrdersTheExchanges() throws {
        let report = try ScalingReport(inputs())
        XCTAssertEqual(report.fit.links["shm"]!.alpha, machine.alpha, accuracy: 1e-9)
        XCTAssertTrue(ScalingReport.candidateBucketsMiB.contains(report.overlapBucketMiB))
        XCTAssertEqual(report.predictions.count, 2 * 3 * ScalingReport.figureRanks.count)
        for network in ["slow", "fast"] {
            for ranks in ScalingReport.tableRanks {
                let old = report.prediction(network: network, size: 128, variant: .allgather, ranks: ranks)!
                let one = report.prediction(network: network, size: 128, variant: .orderedOneBucket, ranks: ranks)!
                XCTAssertLessThan(one.exposedSeconds, old.exposedSeconds, "\(network), \(ranks) ranks")
                XCTAssertGreaterThan(one.efficiency, old.efficiency)
            }
            XCTAssertEqual(report.prediction(network: network, size: 128, variant: .orderedOneBucket, ranks: 1)!
                .efficiency, 1)
        }
        // With one bucket the gradient's sum starts when backward ends and none of it hides
        // (only the agreement, posted before backward, does).
        let slow = report.prediction(network: "slow", size: 128, variant: .orderedOneBucket, ranks: 256)!
        let bucket = ExchangeAlgorithm.halvingDoubling.terms(ranks: 256, bytes: 400_000)
            .seconds(with: inputs().networks[0].parameters(gamma: report.fit.gamma))
        XCTAssertGreaterThanOrEqual(slow.exposedSeconds, bucket)
        XCTAssertEqual(report.checks.map(\.ranks), [2, 4])
        XCTAssertGreaterThan(report.checks[1].predictedMilliseconds, report.checks[0].predictedMilliseconds,
                             "4 ranks on 2 cores are oversubscribed")
    }

    func testTablesAndFiguresAreWritten() throws {
        let report = try ScalingReport(inputs())
        let table = report.readmeTable
        XCTAssertTrue(table.contains("| 128², 0.100 s | slow | allgather (old) |"), table)
        XCTAssertTrue(table.contains("At 256 ranks on slow the ordered exchange is predicted at"), table)
        XCTAssertTrue(table.contains("| 4 (oversubscribed) |"), table)
        let details = report.details
        XCTAssertTrue(details.contains("(within 10 %: yes)"), details)
        XCTAssertTrue(details.contains("agreement (3 doubles)"), details)
        XCTAssertTrue(details.contains("### Store reads at the measured speed"), details)
        let directory = NSTemporaryDirectory() + "scaling-report-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try report.writeFigures(to: directory)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/scaling-128.png"))
        let json = try JSONEncoder().encode(report.summary)
        let decoded = try JSONDecoder().decode(ScalingReport.Summary.self, from: json)
        XCTAssertEqual(decoded.predictions.count, report.predictions.count)
    }

    func testLoadNamesTheFileItCannotRead() throws {
        let directory = NSTemporaryDirectory() + "scaling-inputs-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        XCTAssertThrowsError(try ScalingInputs.load(directory: directory, networksFile: directory + "/n.json")) {
            XCTAssertTrue("\($0)".contains("no model-<size>.json"), "\($0)")
        }
        XCTAssertThrowsError(try ScalingInputs.load(directory: directory + "/missing", networksFile: "n.json")) {
            XCTAssertEqual("\($0)", directory + "/missing: not a readable directory")
        }
        try "{}".write(toFile: directory + "/model-128.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ScalingInputs.load(directory: directory, networksFile: directory + "/n.json")) {
            XCTAssertTrue("\($0)".hasPrefix(directory + "/model-128.json: not the expected JSON"), "\($0)")
        }
    }
}
