import Common
import Tensors
import XCTest

/// `DNNLConv2D` against `ReferenceConv2D`: forward within 1e-4, gradients within
/// 1e-3 (relative to the largest reference value), on small versions of every
/// kind of convolution the ENet uses and on random geometries.
final class DNNLConv2DTests: XCTestCase {
    /// Small stand-ins for every kind in the ENet (reference/enet_torch.py), with the channel counts
    /// that trip oneDNN 2.6 (4 and 8 around a 3x3; dilation 16 at 32x32).
    static let kinds: [(String, Conv2DGeometry, bias: Bool, inputGradient: Bool)] = [
        ("initial 3x3 s2 from 1 channel", geo(2, 1, 15, 16, 16, (3, 3), stride: 2, pad: (1, 1)), true, false),
        ("down 2x2 s2", geo(2, 16, 4, 16, 16, (2, 2), stride: 2), true, true),
        ("3x3 with 4 channels", geo(2, 4, 4, 8, 8, (3, 3), pad: (1, 1)), true, true),
        ("3x3 with 8 channels", geo(2, 8, 8, 8, 8, (3, 3), pad: (1, 1)), true, true),
        ("3x3 32 -> 8", geo(2, 32, 8, 8, 8, (3, 3), pad: (1, 1)), true, true),
        ("1x1 4 -> 64", geo(2, 4, 64, 6, 6, (1, 1)), true, true),
        ("1x1 128 -> 32", geo(2, 128, 32, 4, 4, (1, 1)), true, true),
        ("1x1 32 -> 128", geo(2, 32, 128, 4, 4, (1, 1)), true, true),
        ("3x3 16 channels", geo(2, 16, 16, 8, 8, (3, 3), pad: (1, 1)), true, true),
        ("3x3 dilation 2", geo(2, 32, 32, 8, 8, (3, 3), pad: (2, 2), dilation: 2), true, true),
        ("3x3 dilation 4", geo(1, 32, 32, 10, 10, (3, 3), pad: (4, 4), dilation: 4), true, true),
        ("3x3 dilation 8", geo(1, 32, 32, 16, 16, (3, 3), pad: (8, 8), dilation: 8), true, true),
        ("3x3 dilation 16 at 32x32", geo(1, 32, 32, 32, 32, (3, 3), pad: (16, 16), dilation: 16), true, true),
        ("asymmetric 5x1", geo(2, 32, 32, 8, 8, (5, 1), pad: (2, 0)), true, true),
        ("asymmetric 1x5", geo(2, 32, 32, 8, 8, (1, 5), pad: (0, 2)), true, true),
        ("shortcut 3x3 128 -> 64", geo(1, 128, 64, 4, 4, (3, 3), pad: (1, 1)), true, true),
        ("head 3x3 no bias", geo(2, 16, 16, 12, 12, (3, 3), pad: (1, 1)), false, true),
        ("head 1x1 16 -> 4", geo(2, 16, 4, 12, 12, (1, 1)), true, true),
    ]

    static func geo(_ n: Int, _ cin: Int, _ cout: Int, _ h: Int, _ w: Int, _ k: (Int, Int), stride: Int = 1,
                    pad: (Int, Int) = (0, 0), dilation: Int = 1) -> Conv2DGeometry {
        Conv2DGeometry(batch: n, inChannels: cin, outChannels: cout, height: h, width: w, kernel: k,
                       stride: (stride, stride), padding: pad, dilation: (dilation, dilation))
    }

    /// Runs the reference and a `DNNLConv2D` in each of `layouts` on the same random data
    /// and checks the tolerances.
    func compare(_ name: String, _ g: Conv2DGeometry, bias: Bool, inputGradient: Bool, seed: UInt64,
                 layouts: [ConvLayout] = [.any], file: StaticString = #filePath, line: UInt = #line) throws {
        var rng = SplitMix64(seed: seed)
        let x = randomFloats(g.inputCount, &rng)
        let w = randomFloats(g.weightCount, &rng)
        let b = bias ? randomFloats(g.outChannels, &rng) : nil
        let dy = randomFloats(g.outputCount, &rng)
        let want = try runBoth(ReferenceConv2D(g), input: x, weight: w, bias: b, gradOutput: dy,
                               inputGradient: inputGradient)
        for layout in layouts {
            let fast = try DNNLConv2D(g, bias: bias, inputGradient: inputGradient, layouts: [layout])
            let got = try runBoth(fast, input: x, weight: w, bias: b, gradOutput: dy, inputGradient: inputGradient)
            let label = "\(name): \(g) [\(fast.layout), \(fast.implementations)]"
            XCTAssertLessThanOrEqual(relativeError(got.output, want.output), 1e-4, "forward \(label)",
                                     file: file, line: line)
            XCTAssertLessThanOrEqual(relativeError(got.gradWeight, want.gradWeight), 1e-3, "gradWeight \(label)",
                                     file: file, line: line)
            if let gi = got.gradInput, let wi = want.gradInput {
                XCTAssertLessThanOrEqual(relativeError(gi, wi), 1e-3, "gradInput \(label)", file: file, line: line)
            }
            if let gb = got.gradBias, let wb = want.gradBias {
                XCTAssertLessThanOrEqual(relativeError(gb, wb), 1e-3, "gradBias \(label)", file: file, line: line)
            }
            // A second call reuses the same memories and primitives: same answers.
            let again = try runBoth(fast, input: x, weight: w, bias: b, gradOutput: dy, inputGradient: inputGradient)
            XCTAssertEqual(again.output, got.output, "repeat \(label)", file: file, line: line)
            XCTAssertEqual(again.gradWeight, got.gradWeight, "repeat \(label)", file: file, line: line)
        }
    }

    func testEveryENetKindMatchesReference() throws {
        for (i, (name, g, bias, inputGradient)) in Self.kinds.enumerated() {
            // Every layout: `choice: .fastest` may pick any of them.
            try compare(name, g, bias: bias, inputGradient: inputGradient, seed: UInt64(100 + i),
                        layouts: ConvLayout.allCases)
        }
    }

    func testRandomGeometriesMatchReference() throws {
        var rng = SplitMix64(seed: 2026)
        for i in 0..<12 {
            let kh = Int.random(in: 1...5, using: &rng), kw = Int.random(in: 1...5, using: &rng)
            let dh = Int.random(in: 1...3, using: &rng), dw = Int.random(in: 1...3, using: &rng)
            let g = Conv2DGeometry(
                batch: Int.random(in: 1...3, using: &rng),
                inChannels: Int.random(in: 1...20, using: &rng), outChannels: Int.random(in: 1...20, using: &rng),
                height: (kh - 1) * dh + Int.random(in: 1...8, using: &rng),
                width: (kw - 1) * dw + Int.random(in: 1...8, using: &rng),
                kernel: (kh, kw), stride: (Int.random(in: 1...2, using: &rng), Int.random(in: 1...2, using: &rng)),
                padding: (Int.random(in: 0...kh / 2, using: &rng), Int.random(in: 0...kw / 2, using: &rng)),
                dilation: (dh, dw))
            try compare("random \(i)", g, bias: Bool.random(using: &rng), inputGradient: true, seed: UInt64(i),
                        layouts: ConvLayout.allCases)
        }
    }

    func testNilBiasOnBiasKernelAddsNothing() throws {
        let g = Self.geo(1, 8, 16, 6, 6, (3, 3), pad: (1, 1))
        var rng = SplitMix64(seed: 5)
        let x = randomFloats(g.inputCount, &rng), w = randomFloats(g.weightCount, &rng)
        var fast = [Float](repeating: 0, count: g.outputCount), slow = fast
        try DNNLConv2D(g, bias: true).forward(input: x, weight: w, bias: nil, output: &fast)
        ReferenceConv2D(g).forward(input: x, weight: w, bias: nil, output: &slow)
        XCTAssertLessThanOrEqual(relativeError(fast, slow), 1e-4)
    }

    func testFastestChoiceMatchesReference() throws {
        let g = Self.geo(2, 16, 8, 10, 10, (3, 3), pad: (1, 1))
        var rng = SplitMix64(seed: 9)
        let x = randomFloats(g.inputCount, &rng), w = randomFloats(g.weightCount, &rng)
        let b = randomFloats(g.outChannels, &rng), dy = randomFloats(g.outputCount, &rng)
        let fast = try DNNLConv2D(g, choice: .fastest)
        XCTAssertFalse(fast.usesReferenceKernel)
        let got = try runBoth(fast, input: x, weight: w, bias: b, gradOutput: dy, inputGradient: true)
        let want = try runBoth(ReferenceConv2D(g), input: x, weight: w, bias: b, gradOutput: dy, inputGradient: true)
        XCTAssertLessThanOrEqual(relativeError(got.output, want.output), 1e-4)
        XCTAssertLessThanOrEqual(relativeError(got.gradInput!, want.gradInput!), 1e-3)
        XCTAssertLessThanOrEqual(relativeError(got.gradWeight, want.gradWeight), 1e-3)
        XCTAssertLessThanOrEqual(relativeError(got.gradBias!, want.gradBias!), 1e-3)
    }

    /// Kernels share the context's workspace: a kernel created later grows (moves) it,
    /// and another kernel's data lands in the bytes (and layout padding) of the first
    /// between its calls. Neither may change the first kernel's answers.
    func testKernelsSharingTheWorkspaceStayCorrect() throws {
        let context = try DNNLContext()
        let small = Self.geo(2, 4, 4, 6, 6, (3, 3), pad: (1, 1)) // 4 channels: padded to 16 when blocked
        let big = Self.geo(2, 32, 32, 8, 8, (3, 3), pad: (1, 1))
        var rng = SplitMix64(seed: 11)
        func data(_ g: Conv2DGeometry) -> (x: [Float], w: [Float], b: [Float], dy: [Float]) {
            (randomFloats(g.inputCount, &rng), randomFloats(g.weightCount, &rng), randomFloats(g.outChannels, &rng),
             randomFloats(g.outputCount, &rng))
        }
        let (sd, bd) = (data(small), data(big))
        let want = try runBoth(ReferenceConv2D(small), input: sd.x, weight: sd.w, bias: sd.b, gradOutput: sd.dy,
                               inputGradient: true)
        func check(_ kernel: DNNLConv2D, _ label: String) throws {
            let got = try runBoth(kernel, input: sd.x, weight: sd.w, bias: sd.b, gradOutput: sd.dy, inputGradient: true)
            XCTAssertLessThanOrEqual(relativeError(got.output, want.output), 1e-4, label)
            XCTAssertLessThanOrEqual(relativeError(got.gradInput!, want.gradInput!), 1e-3, label)
            XCTAssertLessThanOrEqual(relativeError(got.gradWeight, want.gradWeight), 1e-3, label)
        }
        let a = try DNNLConv2D(small, layouts: [.any], context: context)
        XCTAssertGreaterThan(a.workspaceBytes, 0, "the test needs reorders")
        try check(a, "alone")
        let before = context.workspaceBytes
        let b = try DNNLConv2D(big, layouts: [.any], context: context)
        XCTAssertGreaterThan(context.workspaceBytes, before, "the big kernel grows the workspace")
        _ = try runBoth(b, input: bd.x, weight: bd.w, bias: bd.b, gradOutput: bd.dy, inputGradient: true)
        try check(a, "after the workspace moved")
        _ = try runBoth(b, input: bd.x, weight: bd.w, bias: bd.b, gradOutput: bd.dy, inputGradient: true)
        try check(a, "after another kernel overwrote the workspace")
    }

    func testMisuseThrows() throws {
        let g = Self.geo(1, 4, 4, 4, 4, (1, 1))
        let x = [Float](repeating: 1, count: g.inputCount), w = [Float](repeating: 1, count: g.weightCount)
        var y = [Float](repeating: 0, count: g.outputCount)
        XCTAssertThrowsError(try DNNLConv2D(g, bias: false).forward(input: x, weight: w, bias: [1, 2, 3, 4], output: &y))
        var gx = x, gw = w
        XCTAssertThrowsError(try DNNLConv2D(g, inputGradient: false).backward(
            input: x, weight: w, gradOutput: y, gradInput: &gx, gradWeight: &gw, gradBias: nil))
    }

    /// No convolution of the real ENet (256x256, batch 8) may run a `ref:` kernel:
    /// those are 10-100x slower. Creating the primitives is enough to know.
    func testENetShapesUseNoReferenceKernel() throws {
        for (layer, _) in ENetConvolutions.distinct(size: 256, batch: 8) {
            let kernel = try DNNLConv2D(layer.geometry, bias: layer.bias, inputGradient: layer.inputGradient)
            XCTAssertFalse(kernel.usesReferenceKernel,
                           "\(layer.name) \(layer.geometry): \(kernel.layout) \(kernel.implementations)")
        }
    }

    /// The convolution list against the PyTorch reference: names in registration order,
    /// forward FLOPs and conv parameters. Numbers from /root/torch-venv/bin/python with
    /// reference/enet_torch.py: `[n for n, c in ENet(1, 4).named_modules() if isinstance(c, Conv2d)]`,
    /// forward hooks summing 2 * out.numel() * in_channels * kh * kw on a 1x1x256x256 input,
    /// and the sum of the convs' weight + bias sizes.
    func testENetConvolutionsMatchPyTorchReference() {
        let torchNames = """
            initial.conv b1_0.conv0 b1_0.conv1 b1_0.conv2 b1_1.conv0 b1_1.conv1 b1_1.conv2 b1_2.conv0 b1_2.conv1 \
            b1_2.conv2 b1_3.conv0 b1_3.conv1 b1_3.conv2 b1_4.conv0 b1_4.conv1 b1_4.conv2 b2_0.conv0 b2_0.conv1 \
            b2_0.conv2 b2_1.conv0 b2_1.conv1 b2_1.conv2 b2_2.conv0 b2_2.conv1 b2_2.conv2 b2_3.conv0 b2_3.conv1a \
            b2_3.conv1b b2_3.conv2 b2_4.conv0 b2_4.conv1 b2_4.conv2 b2_5.conv0 b2_5.conv1 b2_5.conv2 b2_6.conv0 \
            b2_6.conv1 b2_6.conv2 b2_7.conv0 b2_7.conv1a b2_7.conv1b b2_7.conv2 b2_8.conv0 b2_8.conv1 b2_8.conv2 \
            b3_1.conv0 b3_1.conv1 b3_1.conv2 b3_2.conv0 b3_2.conv1 b3_2.conv2 b3_3.conv0 b3_3.conv1a b3_3.conv1b \
            b3_3.conv2 b3_4.conv0 b3_4.conv1 b3_4.conv2 b3_5.conv0 b3_5.conv1 b3_5.conv2 b3_6.conv0 b3_6.conv1 \
            b3_6.conv2 b3_7.conv0 b3_7.conv1a b3_7.conv1b b3_7.conv2 b3_8.conv0 b3_8.conv1 b3_8.conv2 b3_8.shortcut \
            up4_0.conv0 up4_0.conv1 up4_0.conv2 b4_1.conv0 b4_1.conv1 b4_1.conv2 b4_2.conv0 b4_2.conv1 b4_2.conv2 \
            b4_2.shortcut.conv up5_0.conv0 up5_0.conv1 up5_0.conv2 b5_1.conv0 b5_1.conv1 b5_1.conv2 head.conv0 \
            head.conv1 head.out
            """
        let all = ENetConvolutions.all(size: 256, batch: 1)
        XCTAssertEqual(all.map(\.name), torchNames.split(separator: " ").map(String.init))
        XCTAssertEqual(all.reduce(0) { $0 + $1.geometry.forwardFlops }, 2_082_832_384)
        XCTAssertEqual(all.reduce(0) { $0 + $1.geometry.weightCount + ($1.bias ? $1.geometry.outChannels : 0) }, 450_170)
        XCTAssertEqual(ENetConvolutions.distinct(size: 256, batch: 8).map(\.count).reduce(0, +), 91)
        XCTAssertEqual(all.filter { !$0.inputGradient }.map(\.name), ["initial.conv"])
    }
}
