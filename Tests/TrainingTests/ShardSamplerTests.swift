import Common
import Training
import XCTest

final class ShardSamplerTests: XCTestCase {
    func testRanksPartitionTheEpochWithoutOverlap() throws {
        for world in [1, 2, 3, 4] {
            let samplers = try (0..<world).map {
                try ShardSampler(count: 103, rank: $0, worldSize: world, batch: 4, seed: 7)
            }
            let steps = samplers[0].stepsPerEpoch
            XCTAssertEqual(steps, 103 / (4 * world))
            var seen = Set<Int>()
            for sampler in samplers {
                let batches = sampler.batches(epoch: 2).map { $0[0] }
                XCTAssertEqual(batches.count, steps, "every rank runs the same number of steps")
                XCTAssertTrue(batches.allSatisfy { $0.count == 4 })
                for index in batches.joined() { XCTAssertTrue(seen.insert(index).inserted, "patch \(index) twice") }
            }
            XCTAssertEqual(seen.count, steps * 4 * world)
            XCTAssertTrue(seen.allSatisfy { (0..<103).contains($0) })
        }
    }

    func testRankTakesEveryRthItemOfOneGlobalPermutation() throws {
        let a = try ShardSampler(count: 40, rank: 1, worldSize: 4, batch: 2, seed: 3)
        let order = a.permutation(epoch: 0)
        XCTAssertEqual(order.sorted(), Array(0..<40))
        XCTAssertEqual(a.indices(epoch: 0), [order[1], order[5], order[9], order[13], order[17],
                                             order[21], order[25], order[29], order[33], order[37]])
    }

    /// Every split of the same workers into ranks x micro-batches reads the same groups:
    /// worker r * A + m is micro-batch m of rank r, whatever the split.
    func testEverySplitReadsTheSameGroupsPerWorker() throws {
        for workers in [2, 4, 6, 8] {
            let single = try ShardSampler(count: 77, rank: 0, worldSize: 1, batch: 3, accumulate: workers, seed: 5)
            let reference = single.batches(epoch: 1)
            for ranks in 1...workers where workers % ranks == 0 {
                let micro = workers / ranks
                for rank in 0..<ranks {
                    let sampler = try ShardSampler(count: 77, rank: rank, worldSize: ranks, batch: 3, accumulate: micro,
                                                   seed: 5)
                    let steps = sampler.batches(epoch: 1)
                    XCTAssertEqual(steps.count, reference.count)
                    for s in steps.indices {
                        for m in 0..<micro {
                            let w = sampler.worker(micro: m)
                            XCTAssertEqual(w, rank * micro + m)
                            XCTAssertEqual(steps[s][m], reference[s][w], "\(ranks) x \(micro): rank \(rank) micro \(m)")
                        }
                    }
                }
            }
        }
    }

    func testSeededAndDifferentPerEpoch() throws {
        let a = try ShardSampler(count: 50, rank: 0, worldSize: 1, batch: 5, seed: 11)
        let b = try ShardSampler(count: 50, rank: 0, worldSize: 1, batch: 5, seed: 11)
        XCTAssertEqual(a.permutation(epoch: 4), b.permutation(epoch: 4))
        XCTAssertNotEqual(a.permutation(epoch: 4), a.permutation(epoch: 5))
        let c = try ShardSampler(count: 50, rank: 0, worldSize: 1, batch: 5, seed: 12)
        XCTAssertNotEqual(a.permutation(epoch: 4), c.permutation(epoch: 4))
    }

    func testTooFewPatchesAndZeroBatchAreErrors() {
        XCTAssertThrowsError(try ShardSampler(count: 7, rank: 0, worldSize: 4, batch: 2, seed: 0)) { error in
            XCTAssertEqual(error as? ProgramError, TrainingError.tooFewPatches(count: 7, needed: 8))
        }
        XCTAssertThrowsError(try ShardSampler(count: 7, rank: 0, worldSize: 1, batch: 0, seed: 0))
    }
}
