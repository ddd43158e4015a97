import XCTest
@testable import Network

/// Every operation's backward against central finite differences of
/// `L = sum(forward(x) * r)` for a fixed random `r` (so dL/dy = r).
final class OpGradientTests: XCTestCase {
    let shape = TensorShape(2, 3, 4, 6)

    /// Checks dL/dx for `forward` (Float in, Float out) and `backward` (dy -> dx, accumulated into zeros).
    private func checkInputGradient(_ name: String, input: [Float], outputCount: Int, step: Float = 1e-2,
                                    relative: Double = 1e-2,
                                    forward: ([Float]) -> [Float],
                                    backward: (_ x: [Float], _ dy: [Float], _ dx: inout [Float]) -> Void) {
        var random = TestRandom(99)
        let r = random.normal(outputCount)
        var dx = [Float](repeating: 0, count: input.count)
        backward(input, r, &dx)
        var x = input
        let numeric = (0..<input.count).map { i in
            centralDifference(&x, i, step: step) { weightedSum(forward($0), r) }
        }
        assertGradientsClose(dx.map(Double.init), numeric, relative: relative, name)
    }

    func testBatchNormTrainingGradients() {
        var random = TestRandom(1)
        let x = random.normal(shape.count, scale: 2).map { $0 + 0.5 }
        let gamma = random.uniform(shape.channels, 0.5, 1.5), beta = random.normal(shape.channels)
        let c = shape.channels
        func forward(_ x: [Float], _ gamma: [Float], _ beta: [Float]) -> (y: [Float], mean: [Float], invStd: [Float]) {
            var y = [Float](repeating: 0, count: x.count)
            var rm = [Float](repeating: 0, count: c), rv = [Float](repeating: 1, count: c)
            var mean = [Float](repeating: 0, count: c), invStd = [Float](repeating: 0, count: c)
            BatchNorm.forwardTraining(input: x, output: &y, shape: shape, weight: gamma, bias: beta,
                                      runningMean: &rm, runningVar: &rv, savedMean: &mean, savedInvStd: &invStd)
            return (y, mean, invStd)
        }
        var r = TestRandom(7)
        let weights = r.normal(shape.count)
        let loss = { (x: [Float], g: [Float], b: [Float]) in weightedSum(forward(x, g, b).y, weights) }
        let saved = forward(x, gamma, beta)
        var dx = [Float](repeating: 0, count: x.count)
        var dGamma = [Float](repeating: 0, count: c), dBeta = [Float](repeating: 0, count: c)
        BatchNorm.backwardTraining(input: x, gradOutput: weights, gradInput: &dx, shape: shape, weight: gamma,
                                   savedMean: saved.mean, savedInvStd: saved.invStd,
                                   gradWeight: &dGamma, gradBias: &dBeta)
        var xs = x, gs = gamma, bs = beta
        let nx = (0..<x.count).map { i in centralDifference(&xs, i, step: 1e-2) { loss($0, gamma, beta) } }
        let ng = (0..<c).map { i in centralDifference(&gs, i, step: 1e-2) { loss(x, $0, beta) } }
        let nb = (0..<c).map { i in centralDifference(&bs, i, step: 1e-2) { loss(x, gamma, $0) } }
        assertGradientsClose(dx.map(Double.init), nx, relative: 1e-2, "BN train dx")
        assertGradientsClose(dGamma.map(Double.init), ng, relative: 1e-2, "BN train dgamma")
        assertGradientsClose(dBeta.map(Double.init), nb, relative: 1e-2, "BN train dbeta")
    }

    func testBatchNormInferenceGradients() {
        var random = TestRandom(2)
        let x = random.normal(shape.count, scale: 2)
        let gamma = random.uniform(shape.channels, 0.5, 1.5), beta = random.normal(shape.channels)
        let rm = random.normal(shape.channels), rv = random.uniform(shape.channels, 0.5, 2)
        func forward(_ x: [Float], _ gamma: [Float]) -> [Float] {
            var y = [Float](repeating: 0, count: x.count)
            BatchNorm.forwardInference(input: x, output: &y, shape: shape, weight: gamma, bias: beta,
                                       runningMean: rm, runningVar: rv)
            return y
        }
        var r = TestRandom(8)
        let weights = r.normal(shape.count)
        var dx = [Float](repeating: 0, count: x.count)
        var dGamma = [Float](repeating: 0, count: shape.channels), dBeta = dGamma
        BatchNorm.backwardInference(input: x, gradOutput: weights, gradInput: &dx, shape: shape, weight: gamma,
                                    runningMean: rm, runningVar: rv, gradWeight: &dGamma, gradBias: &dBeta)
        var xs = x, gs = gamma
        let nx = (0..<x.count).map { i in centralDifference(&xs, i, step: 1e-2) { weightedSum(forward($0, gamma), weights) } }
        let ng = (0..<shape.channels).map { i in centralDifference(&gs, i, step: 1e-2) { weightedSum(forward(x, $0), weights) } }
        assertGradientsClose(dx.map(Double.init), nx, relative: 1e-2, "BN eval dx")
        assertGradientsClose(dGamma.map(Double.init), ng, relative: 1e-2, "BN eval dgamma")
        // d/dbeta = sum of the weights per channel, exactly.
        for c in 0..<shape.channels {
            var s = 0.0
            for n in 0..<shape.batch { for i in 0..<shape.plane { s += Double(weights[(n * shape.channels + c) * shape.plane + i]) } }
            XCTAssertEqual(Double(dBeta[c]), s, accuracy: 1e-4)
        }
    }

    func testPReLUGradients() {
        var random = TestRandom(3)
        let x = random.awayFromZero(shape.count, gap: 0.05)
        let slope: Float = 0.2
        let r = random.normal(shape.count)
        func forward(_ x: [Float], _ a: Float) -> [Float] {
            var y = [Float](repeating: 0, count: x.count)
            PReLU.forward(input: x, output: &y, count: x.count, slope: a)
            return y
        }
        var dx = [Float](repeating: 0, count: x.count)
        var dSlope: Float = 0
        PReLU.backward(input: x, gradOutput: r, gradInput: &dx, count: x.count, slope: slope, gradSlope: &dSlope)
        var xs = x
        let nx = (0..<x.count).map { i in centralDifference(&xs, i, step: 1e-2) { weightedSum(forward($0, slope), r) } }
        var slopes = [slope]
        let ns = centralDifference(&slopes, 0, step: 1e-2) { weightedSum(forward(x, $0[0]), r) }
        assertGradientsClose(dx.map(Double.init), nx, relative: 1e-2, "PReLU dx")
        assertGradientsClose([Double(dSlope)], [ns], relative: 1e-3, "PReLU dslope")
    }

    /// Distinct values with gaps larger than the step, so no perturbation changes an argmax.
    private func distinctValues(_ count: Int, seed: UInt64) -> [Float] {
        var random = TestRandom(seed)
        var values = (0..<count).map { Float($0) * 0.1 }
        for i in stride(from: count - 1, to: 0, by: -1) {  // Fisher-Yates shuffle
            values.swapAt(i, Int(random.generator.next() % UInt64(i + 1)))
        }
        return values
    }

    func testMaxPoolGradients() {
        let x = distinctValues(shape.count, seed: 4)
        let out = TensorShape(shape.batch, shape.channels, shape.height / 2, shape.width / 2)
        func forward(_ x: [Float]) -> ([Float], [Int32]) {
            var y = [Float](repeating: 0, count: out.count), idx = [Int32](repeating: 0, count: out.count)
            MaxPool2x2.forward(input: x, shape: shape, output: &y, indices: &idx)
            return (y, idx)
        }
        let indices = forward(x).1
        checkInputGradient("maxpool", input: x, outputCount: out.count, forward: { forward($0).0 }) { _, dy, dx in
            MaxPool2x2.backward(gradOutput: dy, indices: indices, outputShape: out, gradInput: &dx)
        }
    }

    func testMaxUnpoolGradients() {
        // Indices from a real pool, then unpool a fresh input with them.
        let pooled = TensorShape(shape.batch, shape.channels, shape.height / 2, shape.width / 2)
        var y = [Float](repeating: 0, count: pooled.count), indices = [Int32](repeating: 0, count: pooled.count)
        MaxPool2x2.forward(input: distinctValues(shape.count, seed: 5), shape: shape, output: &y, indices: &indices)
        var random = TestRandom(6)
        let x = random.normal(pooled.count)
        checkInputGradient("unpool", input: x, outputCount: shape.count, forward: { x in
            var out = [Float](repeating: 1, count: shape.count)
            MaxUnpool2x2.forward(input: x, indices: indices, shape: pooled, output: &out)
            return out
        }) { _, dy, dx in
            MaxUnpool2x2.backward(gradOutput: dy, indices: indices, shape: pooled, gradInput: &dx)
        }
    }

    func testChannelPadGradients() {
        var random = TestRandom(7)
        let x = random.normal(shape.count)
        let outChannels = 5
        let outCount = shape.batch * outChannels * shape.plane
        checkInputGradient("pad", input: x, outputCount: outCount, forward: { x in
            var y = [Float](repeating: 1, count: outCount)
            ChannelOps.padForward(input: x, shape: shape, outChannels: outChannels, output: &y)
            return y
        }) { _, dy, dx in
            ChannelOps.padBackward(gradOutput: dy, shape: shape, outChannels: outChannels, gradInput: &dx)
        }
    }

    func testConcatGradients() {
        var random = TestRandom(8)
        let (ca, cb, plane) = (2, 3, 5)
        let a = random.normal(shape.batch * ca * plane), b = random.normal(shape.batch * cb * plane)
        let outCount = a.count + b.count
        let r = random.normal(outCount)
        func forward(_ a: [Float], _ b: [Float]) -> [Float] {
            var y = [Float](repeating: 0, count: outCount)
            ChannelOps.concatForward(a, aChannels: ca, b, bChannels: cb, batch: shape.batch, plane: plane, output: &y)
            return y
        }
        var da = [Float](repeating: 0, count: a.count), db = [Float](repeating: 0, count: b.count)
        ChannelOps.concatBackward(gradOutput: r, aChannels: ca, bChannels: cb, batch: shape.batch, plane: plane,
                                  gradA: &da, gradB: &db)
        var as_ = a, bs = b
        let na = (0..<a.count).map { i in centralDifference(&as_, i, step: 1e-2) { weightedSum(forward($0, b), r) } }
        let nb = (0..<b.count).map { i in centralDifference(&bs, i, step: 1e-2) { weightedSum(forward(a, $0), r) } }
        assertGradientsClose(da.map(Double.init), na, relative: 1e-3, "concat da")
        assertGradientsClose(db.map(Double.init), nb, relative: 1e-3, "concat db")
    }

    func testAddGradients() {
        var random = TestRandom(9)
        let a = random.normal(20), b = random.normal(20), r = random.normal(20)
        func forward(_ a: [Float], _ b: [Float]) -> [Float] {
            var y = [Float](repeating: 0, count: 20)
            ChannelOps.addForward(a, b, count: 20, output: &y)
            return y
        }
        var da = [Float](repeating: 0.5, count: 20), db = [Float](repeating: 0, count: 20)
        ChannelOps.addBackward(gradOutput: r, count: 20, gradA: &da, gradB: &db)
        var as_ = a, bs = b
        let na = (0..<20).map { i in centralDifference(&as_, i, step: 1e-2) { weightedSum(forward($0, b), r) } }
        let nb = (0..<20).map { i in centralDifference(&bs, i, step: 1e-2) { weightedSum(forward(a, $0), r) } }
        // da started at 0.5: backward must add, not overwrite.
        assertGradientsClose(da.map { Double($0) - 0.5 }, na, relative: 1e-3, "add da (accumulated)")
        assertGradientsClose(db.map(Double.init), nb, relative: 1e-3, "add db")
    }

    func testDropoutGradientsWithFixedMask() {
        var generator = Xoshiro256(seed: 10)
        let count = 200, p = 0.3
        var mask = [Float](repeating: 0, count: count)
        Dropout.makeMask(&mask, count: count, p: p, generator: &generator)
        var random = TestRandom(11)
        let x = random.normal(count)
        checkInputGradient("dropout", input: x, outputCount: count, forward: { x in
            var y = [Float](repeating: 0, count: count)
            Dropout.forward(input: x, mask: mask, count: count, output: &y)
            return y
        }) { _, dy, dx in
            Dropout.backward(gradOutput: dy, mask: mask, count: count, gradInput: &dx)
        }
    }

    func testUpsampleGradients() {
        var random = TestRandom(12)
        let x = random.normal(shape.count)
        checkInputGradient("upsample", input: x, outputCount: shape.count * 4, forward: { x in
            var y = [Float](repeating: 0, count: shape.count * 4)
            UpsampleNearest2x.forward(input: x, shape: shape, output: &y)
            return y
        }) { _, dy, dx in
            UpsampleNearest2x.backward(gradOutput: dy, shape: shape, gradInput: &dx)
        }
    }
}
