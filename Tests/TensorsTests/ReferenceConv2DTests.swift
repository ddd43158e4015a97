import Common
import Tensors
import XCTest

/// The reference convolution is the ground truth for every fast kernel, so it
/// is checked on its own: by hand on a tiny case, and its backward against
/// finite differences of its forward.
final class ReferenceConv2DTests: XCTestCase {
    func testForwardByHand() {
        // Input 1..9 as 3x3, kernel 2x2 of [1, 2; 3, 4], bias 0.5, no padding:
        // out[0,0] = 1*1 + 2*2 + 3*4 + 4*5 + .5 = 37.5, out[0,1] = 2 + 6 + 15 + 24 + .5 = 47.5,
        // out[1,0] = 4 + 10 + 21 + 32 + .5 = 67.5, out[1,1] = 5 + 12 + 24 + 36 + .5 = 77.5.
        let g = Conv2DGeometry(batch: 1, inChannels: 1, outChannels: 1, height: 3, width: 3, kernel: (2, 2))
        var out = [Float](repeating: 0, count: 4)
        ReferenceConv2D(g).forward(input: (1...9).map(Float.init), weight: [1, 2, 3, 4], bias: [0.5], output: &out)
        XCTAssertEqual(out, [37.5, 47.5, 67.5, 77.5])

        // Stride 2, pad 1, dilation 2 on the same input, kernel [1, 10; 100, 1000]: output 2x2,
        // each output sees only the centre pixel (5) through one tap: out[0,0] through tap (1,1)
        // = 5000, out[0,1] through (1,0) = 500, out[1,0] through (0,1) = 50, out[1,1] through (0,0) = 5.
        let s = Conv2DGeometry(batch: 1, inChannels: 1, outChannels: 1, height: 3, width: 3, kernel: (2, 2),
                               stride: (2, 2), padding: (1, 1), dilation: (2, 2))
        XCTAssertEqual(s.outputHeight, 2)
        XCTAssertEqual(s.outputWidth, 2)
        ReferenceConv2D(s).forward(input: (1...9).map(Float.init), weight: [1, 10, 100, 1000], bias: nil, output: &out)
        XCTAssertEqual(out, [5000, 500, 50, 5])
    }

    /// loss = sum(r * conv(x, w) + r * b): its gradients are what `backward(gradOutput: r)` returns.
    func testBackwardMatchesFiniteDifferences() {
        let g = Conv2DGeometry(batch: 2, inChannels: 2, outChannels: 3, height: 5, width: 4, kernel: (3, 2),
                               stride: (2, 1), padding: (1, 1), dilation: (1, 2))
        var rng = SplitMix64(seed: 7)
        // The three variables: input, weight, bias.
        var v = [randomFloats(g.inputCount, &rng), randomFloats(g.weightCount, &rng),
                 randomFloats(g.outChannels, &rng)]
        let r = randomFloats(g.outputCount, &rng)
        let conv = ReferenceConv2D(g)

        func loss() -> Double {
            var y = [Float](repeating: 0, count: g.outputCount)
            conv.forward(input: v[0], weight: v[1], bias: v[2], output: &y)
            return zip(y, r).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        var gx = [Float](repeating: 0, count: g.inputCount)
        var gw = [Float](repeating: 0, count: g.weightCount)
        var gb = [Float](repeating: 0, count: g.outChannels)
        conv.backward(input: v[0], weight: v[1], gradOutput: r, gradInput: &gx, gradWeight: &gw, gradBias: &gb)

        // Central differences with a power-of-two step; the loss is linear in each
        // variable, so only rounding separates them from the true derivative.
        let h: Float = 1.0 / 64
        func numeric(_ k: Int, _ i: Int) -> Double {
            let saved = v[k][i]
            v[k][i] = saved + h
            let up = loss()
            v[k][i] = saved - h
            let down = loss()
            v[k][i] = saved
            return (up - down) / (2 * Double(h))
        }
        for i in gx.indices { XCTAssertEqual(Double(gx[i]), numeric(0, i), accuracy: 1e-4, "input \(i)") }
        for i in gw.indices { XCTAssertEqual(Double(gw[i]), numeric(1, i), accuracy: 1e-4, "weight \(i)") }
        for i in gb.indices { XCTAssertEqual(Double(gb[i]), numeric(2, i), accuracy: 1e-4, "bias \(i)") }
        // The check must be able to fail: the gradient is not all zeros.
        XCTAssertGreaterThan(gx.map { abs($0) }.max()!, 0.1)
    }
}
