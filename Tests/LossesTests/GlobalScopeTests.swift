import Common
import XCTest
@testable import Losses

/// The `global` scope, with two ranks simulated in one process: each "rank" holds half of the
/// batch and its reduction closure adds the other half's statistics (as MPI_Allreduce would).
final class GlobalScopeTests: XCTestCase {
    let shape = LossShape(images: 4, classes: 3, height: 3, width: 5)

    /// The statistics vector a loss hands to its reduction closure for `batch`.
    func statistics(_ kind: LossKind, _ batch: Batch) throws -> [Double] {
        var captured: [Double] = []
        let loss = try Loss(kind, options: LossOptions(diceScope: .global, reduceStatistics: { captured = $0 }))
        _ = try loss.value(logits: batch.logits, labels: batch.labels, shape: batch.shape)
        return captured
    }

    func testGlobalDiceOfTwoHalvesIsTheBatchDiceOfTheWhole() throws {
        let whole = Batch.random(shape, seed: 41, absent: [(0, 2), (1, 2)])  // class 2 only on "rank 1"
        let halves = [whole.images(0..<2), whole.images(2..<4)]
        for kind in [LossKind.dice, .vnet, .gdl] {
            let stats = try halves.map { try statistics(kind, $0) }
            XCTAssertEqual(stats[0].count, 4 * shape.classes)
            let (reference, referenceGradient) = try evaluate(try Loss(kind, options: LossOptions(diceScope: .batch)), whole)
            var gradient: [Double] = []
            for rank in 0..<2 {
                let other = stats[1 - rank]
                let loss = try Loss(kind, options: LossOptions(diceScope: .global, reduceStatistics: { local in
                    for i in local.indices { local[i] += other[i] }
                }))
                let (result, g) = try evaluate(loss, halves[rank])
                XCTAssertEqual(result.value, reference.value, accuracy: 1e-14, "\(kind) rank \(rank)")
                gradient += g
            }
            // The gradient on each rank is the whole-batch gradient restricted to its pixels.
            assertClose(gradient, referenceGradient, absolute: 1e-16, relative: 1e-12, "\(kind)")
            // ... which the per-rank batch scope does not give.
            let (local, _) = try evaluate(try Loss(kind, options: LossOptions(diceScope: .batch)), halves[0])
            XCTAssertGreaterThan(abs(local.value - reference.value), 1e-3, "\(kind)")
        }
    }

    /// The trainer's two steps (statistics, its own sum over ranks, then the loss from the
    /// sums) give the same bits as the reduction closure inside the loss.
    func testSummedStatisticsGiveTheClosureResult() throws {
        let whole = Batch.random(shape, seed: 43, absent: [(0, 1)])
        let halves = [whole.images(0..<2), whole.images(2..<4)].map { half in
            (half, half.logits.map(Float.init))
        }
        for kind in [LossKind.dice, .vnet, .gdl, .diceCE] {
            let plain = try Loss(kind, options: LossOptions(diceScope: .global))
            let local = try halves.map { half, logits in
                try logits.withUnsafeBufferPointer { z in
                    try half.labels.withUnsafeBufferPointer { try plain.globalStatistics(logits: z, labels: $0, shape: half.shape) }
                }
            }
            XCTAssertEqual(local[0], try statistics(kind, Batch(shape: halves[0].0.shape,
                                                                logits: halves[0].1.map(Double.init),
                                                                labels: halves[0].0.labels)))
            let summed = zip(local[0], local[1]).map(+)
            for (rank, (half, logits)) in halves.enumerated() {
                let other = local[1 - rank]
                let closure = try Loss(kind, options: LossOptions(diceScope: .global, reduceStatistics: { mine in
                    for i in mine.indices { mine[i] += other[i] }
                }))
                var a = [Float](repeating: 0, count: half.shape.logitCount), b = a
                let (ra, rb) = try logits.withUnsafeBufferPointer { z in
                    try half.labels.withUnsafeBufferPointer { y in
                        (try a.withUnsafeMutableBufferPointer {
                            try plain.evaluate(logits: z, labels: y, shape: half.shape, logitGradient: $0,
                                               summedStatistics: rank == 0 ? summed : zip(local[1], local[0]).map(+))
                        },
                         try b.withUnsafeMutableBufferPointer {
                            try closure.evaluate(logits: z, labels: y, shape: half.shape, logitGradient: $0)
                        })
                    }
                }
                XCTAssertEqual(ra, rb, "\(kind) rank \(rank)")
                XCTAssertEqual(a, b, "\(kind) rank \(rank)")
            }
        }
    }

    func testGlobalNeedsAReductionThatKeepsTheLength() throws {
        let batch = Batch.random(shape, seed: 42)
        let unreduced = try Loss(.dice, options: LossOptions(diceScope: .global))
        XCTAssertThrowsError(try unreduced.value(logits: batch.logits, labels: batch.labels, shape: shape)) {
            XCTAssertEqual($0 as? ProgramError, LossError.missingReduction)
        }
        // CE and Mime need no reduction in any scope.
        XCTAssertNoThrow(try Loss(.ce, options: LossOptions(diceScope: .global)).value(
            logits: batch.logits, labels: batch.labels, shape: shape))
        let loss = try Loss(.dice, options: LossOptions(diceScope: .global, reduceStatistics: { $0.append(1) }))
        XCTAssertThrowsError(try loss.value(logits: batch.logits, labels: batch.labels, shape: shape)) {
            XCTAssertEqual($0 as? ProgramError, LossError.reductionChangedLength(expected: 12, actual: 13))
        }
        struct RankFailed: Error {}
        let failing = try Loss(.gdlCE, options: LossOptions(diceScope: .global, reduceStatistics: { _ in throw RankFailed() }))
        XCTAssertThrowsError(try failing.value(logits: batch.logits, labels: batch.labels, shape: shape)) {
            XCTAssertTrue($0 is RankFailed)
        }
    }
}
