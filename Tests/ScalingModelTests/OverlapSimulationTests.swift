import XCTest
@testable import ScalingModel

/// The exchange played against a backward pass: what hides and what does not.
final class OverlapSimulationTests: XCTestCase {
    /// 1,000 values, final in ten equal steps over 1 s of backward (the head first).
    let timeline = BackwardTimeline(backwardSeconds: 1, points: (1...10).map {
        .init(offset: 1000 - 100 * $0, seconds: 0.1 * Double($0))
    })

    func testOneBucketGoesOutAfterBackward() {
        let costs = CostParameters(alpha: 1e-3, beta: 1e-6, gamma: 1e-7)
        let outcome = OverlapSimulation(costs: costs, ranks: 8, timeline: timeline, parameterCount: 1000,
                                        bucketFloats: 1000).run()
        XCTAssertEqual(outcome.buckets, 1)
        // The bucket is final when backward ends, so its whole sum is exposed; the agreement
        // went out during backward, but adding its values took the training thread's time.
        let bucket = ExchangeAlgorithm.halvingDoubling.terms(ranks: 8, bytes: 4000).seconds(with: costs)
        let agreement = ExchangeAlgorithm.halvingDoubling.terms(ranks: 8, bytes: 24)
        XCTAssertEqual(outcome.exposedSeconds, bucket + agreement.combined * costs.gamma, accuracy: 1e-12)
    }

    func testSmallBucketsHideBehindBackwardExceptTheLast() {
        // A report every 10 ms: each bucket's four rounds are done before the next is final.
        let dense = BackwardTimeline(backwardSeconds: 1, points: (1...100).map {
            .init(offset: 1000 - 10 * $0, seconds: 0.01 * Double($0))
        })
        let costs = CostParameters(alpha: 1e-4, beta: 1e-6, gamma: 0)
        let outcome = OverlapSimulation(costs: costs, ranks: 4, timeline: dense, parameterCount: 1000,
                                        bucketFloats: 100).run()
        XCTAssertEqual(outcome.buckets, 10)
        let last = ExchangeAlgorithm.halvingDoubling.terms(ranks: 4, bytes: 400).seconds(with: costs)
        XCTAssertEqual(outcome.exposedSeconds, last, accuracy: 1e-9)
        XCTAssertGreaterThan(outcome.hiddenFraction, 0.85)
    }

    func testBucketsStillInFlightQueueBeforeTheLast() {
        // One report every 100 ms: a bucket needs four of them, so the buckets final near
        // the end are still in flight when backward ends and the last one waits behind them.
        let costs = CostParameters(alpha: 1e-4, beta: 1e-6, gamma: 0)
        let outcome = OverlapSimulation(costs: costs, ranks: 4, timeline: timeline, parameterCount: 1000,
                                        bucketFloats: 100).run()
        let last = ExchangeAlgorithm.halvingDoubling.terms(ranks: 4, bytes: 400).seconds(with: costs)
        XCTAssertGreaterThan(outcome.exposedSeconds, last * 1.2)
    }

    func testRoundsWaitForTheTrainingThreadDuringBackward() {
        // 16 rounds (R = 256) but only ten looks during backward: a bucket final at 0.1 s
        // cannot finish before backward ends, however fast the network.
        let costs = CostParameters(alpha: 1e-9, beta: 0, gamma: 0)
        let outcome = OverlapSimulation(costs: costs, ranks: 256, timeline: timeline, parameterCount: 1000,
                                        bucketFloats: 100).run()
        XCTAssertGreaterThan(outcome.exposedSeconds, 0)
        XCTAssertLessThan(outcome.exposedSeconds, 1e-6, "after backward the rounds follow each other at once")
    }

    func testCombiningDuringBackwardIsExposed() {
        let costs = CostParameters(alpha: 0, beta: 0, gamma: 1e-5)
        let outcome = OverlapSimulation(costs: costs, ranks: 2, timeline: timeline, parameterCount: 1000,
                                        bucketFloats: 100).run()
        // Every bucket's half (200 bytes) is added on the training thread, whenever it happens.
        XCTAssertEqual(outcome.exposedSeconds, 10 * 200 * 1e-5 + 12 * 1e-5, accuracy: 1e-9)
    }

    func testEveryRoundCostsTheTrainingThread() {
        // A free network: what remains is posting the rounds. One bucket after backward posts
        // its 2·log2(8) rounds then; ten buckets post theirs during backward, which they delay.
        let free = CostParameters(alpha: 0, beta: 0, gamma: 0)
        for (buckets, floats) in [(1, 1000), (10, 100)] {
            var simulation = OverlapSimulation(costs: free, ranks: 8, timeline: timeline, parameterCount: 1000,
                                               bucketFloats: floats)
            simulation.roundOverhead = 1e-6
            XCTAssertEqual(simulation.run().exposedSeconds, Double(6 * (buckets + 1)) * 1e-6, accuracy: 1e-12,
                           "\(buckets) bucket(s) and the agreement, 6 rounds each")
        }
    }

    func testSlowerNetworksExposeMore() {
        var previous = 0.0
        for beta in [1e-9, 1e-8, 1e-7, 1e-6] {
            let exposed = OverlapSimulation(costs: CostParameters(alpha: 1e-5, beta: beta, gamma: 1e-9), ranks: 64,
                                            timeline: timeline, parameterCount: 1000, bucketFloats: 250).run()
                .exposedSeconds
            XCTAssertGreaterThanOrEqual(exposed, previous)
            previous = exposed
        }
    }

    func testTimelineMedianAndFinalTime() {
        let a = [BackwardTimeline.Point(offset: 5, seconds: 1), .init(offset: 0, seconds: 2)]
        let b = [BackwardTimeline.Point(offset: 5, seconds: 3), .init(offset: 0, seconds: 4)]
        let c = [BackwardTimeline.Point(offset: 5, seconds: 2), .init(offset: 0, seconds: 9)]
        let median = BackwardTimeline(medianOf: [(2, a), (4, b), (9, c)])
        XCTAssertEqual(median.points.map(\.seconds), [2, 4])
        XCTAssertEqual(median.backwardSeconds, 4)
        XCTAssertEqual(median.finalTime(from: 7), 2)
        XCTAssertEqual(median.finalTime(from: 3), 4)
    }
}
