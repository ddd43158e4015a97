import XCTest
@testable import Network

/// Forward results of the operations against values worked out by hand.
final class OpForwardTests: XCTestCase {
    func testBatchNormTrainingStatisticsAndRunningUpdate() {
        // One channel, values 1...4 (batch 2, plane 2): mean 2.5, biased var 1.25, unbiased 5/3.
        let shape = TensorShape(2, 1, 1, 2)
        let x: [Float] = [1, 2, 3, 4]
        var y = [Float](repeating: 0, count: 4)
        var rm: [Float] = [1], rv: [Float] = [2], mean: [Float] = [0], invStd: [Float] = [0]
        BatchNorm.forwardTraining(input: x, output: &y, shape: shape, weight: [2], bias: [0.5],
                                  runningMean: &rm, runningVar: &rv, savedMean: &mean, savedInvStd: &invStd)
        XCTAssertEqual(mean[0], 2.5)
        XCTAssertEqual(Double(invStd[0]), 1 / (1.25 + 1e-5).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(Double(rm[0]), 0.9 * 1 + 0.1 * 2.5, accuracy: 1e-6)
        XCTAssertEqual(Double(rv[0]), 0.9 * 2 + 0.1 * 5.0 / 3.0, accuracy: 1e-6)
        for (v, xi) in zip(y, x) {
            XCTAssertEqual(Double(v), 2 * (Double(xi) - 2.5) / (1.25 + 1e-5).squareRoot() + 0.5, accuracy: 1e-5)
        }
        // Inference uses the running estimates.
        BatchNorm.forwardInference(input: x, output: &y, shape: shape, weight: [2], bias: [0.5],
                                   runningMean: [1], runningVar: [4])
        XCTAssertEqual(Double(y[3]), 2 * 3 / (4 + 1e-5).squareRoot() + 0.5, accuracy: 1e-5)
    }

    func testMaxPoolIndicesAndUnpool() {
        // 1x1x2x4: windows [[1, 5], [3, 2]] and [[0, 7], [7, 1]] (tie: first in row-major order wins).
        let x: [Float] = [1, 5, 0, 7,
                          3, 2, 7, 1]
        var y = [Float](repeating: 0, count: 2), idx = [Int32](repeating: 0, count: 2)
        MaxPool2x2.forward(input: x, shape: TensorShape(1, 1, 2, 4), output: &y, indices: &idx)
        XCTAssertEqual(y, [5, 7])
        XCTAssertEqual(idx, [1, 3])
        var up = [Float](repeating: 9, count: 8)
        MaxUnpool2x2.forward(input: [10, 20], indices: idx, shape: TensorShape(1, 1, 1, 2), output: &up)
        XCTAssertEqual(up, [0, 10, 0, 20, 0, 0, 0, 0])
    }

    func testPadConcatUpsamplePReLU() {
        var padded = [Float](repeating: 9, count: 6)
        ChannelOps.padForward(input: [1, 2], shape: TensorShape(2, 1, 1, 1), outChannels: 3, output: &padded)
        XCTAssertEqual(padded, [1, 0, 0, 2, 0, 0])
        var joined = [Float](repeating: 0, count: 6)
        ChannelOps.concatForward([1, 2], aChannels: 1, [3, 4, 5, 6], bChannels: 2, batch: 2, plane: 1, output: &joined)
        XCTAssertEqual(joined, [1, 3, 4, 2, 5, 6])
        var up = [Float](repeating: 0, count: 8)
        UpsampleNearest2x.forward(input: [1, 2], shape: TensorShape(1, 1, 1, 2), output: &up)
        XCTAssertEqual(up, [1, 1, 2, 2, 1, 1, 2, 2])
        var p = [Float](repeating: 0, count: 3)
        PReLU.forward(input: [-2, 0, 3], output: &p, count: 3, slope: 0.25)
        XCTAssertEqual(p, [-0.5, 0, 3])
    }

    func testDropoutMaskRateScaleAndSeeding() {
        let count = 100_000, p = 0.1
        var a = Xoshiro256(seed: 1), b = Xoshiro256(seed: 1)
        var m1 = [Float](repeating: 0, count: count), m2 = m1
        Dropout.makeMask(&m1, count: count, p: p, generator: &a)
        Dropout.makeMask(&m2, count: count, p: p, generator: &b)
        XCTAssertEqual(m1, m2)
        let dropped = m1.filter { $0 == 0 }.count
        XCTAssertEqual(Double(dropped) / Double(count), p, accuracy: 0.005)
        XCTAssertTrue(m1.allSatisfy { $0 == 0 || abs($0 - Float(1 / (1 - p))) < 1e-6 })
    }

    func testNetworkDropoutOnlyInTrainingAndSeeded() throws {
        let shape = TensorShape(2, 1, 16, 16)
        var random = TestRandom(3)
        let x = random.normal(shape.count)
        let a = ENet(inChannels: 1, classes: 2, seed: 9), b = ENet(inChannels: 1, classes: 2, seed: 9)
        let trainA = try a.forward(x, shape: shape, training: true)
        XCTAssertEqual(trainA, try b.forward(x, shape: shape, training: true))  // same seed, same masks
        XCTAssertNotEqual(trainA, try a.forward(x, shape: shape, training: true))  // next step, new masks
        let noDropout = try a.forward(x, shape: shape, training: true, dropout: false)
        XCTAssertNotEqual(trainA, noDropout)
        // Eval is deterministic and ignores dropout.
        XCTAssertEqual(try a.forward(x, shape: shape, training: false), try a.forward(x, shape: shape, training: false))
    }
}
