import XCTest
@testable import ScalingModel

/// The formulas, the least-squares solver and the fit recover parameters from times
/// made with known ones.
final class CostFitTests: XCTestCase {
    func testFormulasMatchTheTextbookCosts() {
        let p = 1_000_000.0
        let hd = ExchangeAlgorithm.halvingDoubling.terms(ranks: 8, bytes: p)
        XCTAssertEqual(hd.latency, 6)
        XCTAssertEqual(hd.bytes, 2 * 7 / 8 * p, accuracy: 1e-6)
        XCTAssertEqual(hd.combined, 7 / 8 * p, accuracy: 1e-6)
        let direct = ExchangeAlgorithm.directSlices.terms(ranks: 6, bytes: p)
        XCTAssertEqual(direct.latency, 10)
        XCTAssertEqual(direct.bytes, 2 * 5 / 6 * p, accuracy: 1e-6)
        let gather = ExchangeAlgorithm.allgatherSum.terms(ranks: 16, bytes: p)
        XCTAssertEqual(gather, CostTerms(latency: 15, bytes: 15 * p, combined: 15 * p))
        XCTAssertEqual(ExchangeAlgorithm.combine.terms(ranks: 1, bytes: p), CostTerms(latency: 0, bytes: 0, combined: p))
        XCTAssertEqual(ExchangeAlgorithm.ordered(ranks: 12), .directSlices)
        XCTAssertEqual(ExchangeAlgorithm.ordered(ranks: 1024), .halvingDoubling)
        XCTAssertTrue(ExchangeAlgorithm.halvingDoubling.rounds(ranks: 1, bytes: p).isEmpty)
    }

    func testNonNegativeLeastSquaresDropsAParameterTheDataContradicts() {
        // y = 2·x0 exactly; an unconstrained fit with x1 would go negative on this noise.
        let rows: [[Double]] = [[1, 1], [2, 1], [3, 1]]
        let x = LeastSquares.nonNegative(rows: rows, targets: [1.9, 3.9, 6.0])
        XCTAssertGreaterThanOrEqual(x[1], 0)
        XCTAssertEqual(x[0], 2, accuracy: 0.1)
        XCTAssertEqual(LeastSquares.solve([[1, 0], [0, 2]], [3, 4])!, [3, 2])
        XCTAssertNil(LeastSquares.solve([[1, 1], [2, 2]], [1, 2]), "singular")
    }

    func testFitRecoversParametersFromModelTimes() throws {
        let shm = CostParameters(alpha: 3e-6, beta: 2e-10, gamma: 1e-10)
        let tcp = CostParameters(alpha: 40e-6, beta: 8e-10, gamma: 1e-10)
        var measurements: [ExchangeMeasurement] = []
        for (name, p) in [("shm", shm), ("tcp", tcp)] {
            for ranks in [2, 3, 4, 8, 16] {
                for floats in [6, 10_000, 458_281, 1_833_124] {
                    for method in ["ordered", "allgather", "combine"] {
                        var m = ExchangeMeasurement(method: method, ranks: ranks, floats: floats, medianSeconds: 0,
                                                    transport: name, cores: 2)
                        m.minSeconds = m.oversubscription
                            * m.modelAlgorithm!.terms(ranks: ranks, bytes: m.bytes).seconds(with: p)
                        m.medianSeconds = m.minSeconds
                        measurements.append(m)
                    }
                }
            }
        }
        measurements.append(ExchangeMeasurement(method: "mpi-allreduce", ranks: 2, floats: 6, medianSeconds: 1,
                                                transport: "shm", cores: 2))
        let fit = try CostFit.fit(measurements)
        XCTAssertEqual(fit.gamma, 1e-10, accuracy: 1e-13)
        XCTAssertEqual(fit.links["shm"]!.alpha, 3e-6, accuracy: 1e-9)
        XCTAssertEqual(fit.links["tcp"]!.beta, 8e-10, accuracy: 1e-13)
        XCTAssertFalse(fit.points.contains { $0.method == "mpi-allreduce" }, "MPI's own algorithm is not fitted")
        XCTAssertLessThan(fit.errorSummary().max, 1e-6)
        XCTAssertEqual(fit.logRSquared, 1, accuracy: 1e-9)
    }

    func testFitNeedsMeasurements() {
        XCTAssertThrowsError(try CostFit.fit([]))
    }
}
