import Foundation
import Tensors
import XCTest
@testable import Network

/// A convolution that does nothing: isolates the time of everything else.
final class NoOpConv: Conv2DKernel {
    let geometry: Conv2DGeometry
    init(_ g: Conv2DGeometry) { geometry = g }
    func forward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                 output: UnsafeMutablePointer<Float>) throws {}
    func backward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
                  gradInput: UnsafeMutablePointer<Float>?, gradWeight: UnsafeMutablePointer<Float>,
                  gradBias: UnsafeMutablePointer<Float>?) throws {}
}

/// Time spent outside the convolutions (a measurement, not a check): with a
/// no-op convolution, one training step and one inference at 8x1x256x256.
/// Runs with NETWORK_TIMING=1, in release:
/// `NETWORK_TIMING=1 swift test -c release -Xswiftc -enable-testing --skip-build --filter NonConvolutionTimingTests`
final class NonConvolutionTimingTests: XCTestCase {
    func testTimeOutsideConvolutions() throws {
        guard ProcessInfo.processInfo.environment["NETWORK_TIMING"] == "1" else {
            throw XCTSkip("set NETWORK_TIMING=1 (in a release build) to time the non-convolution work")
        }
        for layout in ActivationLayout.allCases {
            try time(layout: layout)
        }
    }

    /// Eval forward keeps no activations, so on the oneDNN path the fused conv units
    /// would skip BatchNorm and PReLU: the no-op convolution does not fuse, so this
    /// times them (an upper bound for inference).
    private func time(layout: ActivationLayout) throws {
        let shape = TensorShape(8, 1, 256, 256)
        let net = ENet(inChannels: 1, classes: 4, backend: ConvBackend(activationLayout: layout) { g, _, _, _ in
            NoOpConv(g)
        })
        var random = TestRandom(1)
        let x = random.normal(shape.count)
        let g = random.normal(8 * 4 * 256 * 256).map { $0 * 1e-3 }
        let adam = Adam(count: net.parameterCount)
        _ = try net.forward(x, shape: shape, training: true); try net.backward(gradLogits: g)
        var f: [Double] = [], b: [Double] = [], e: [Double] = []
        for _ in 0..<3 {
            var t = Date()
            _ = try x.withUnsafeBufferPointer { try net.forward($0.baseAddress!, shape: shape, training: true) }
            f.append(Date().timeIntervalSince(t)); t = Date()
            try g.withUnsafeBufferPointer { try net.backward(gradLogits: $0.baseAddress!) }
            b.append(Date().timeIntervalSince(t)); t = Date()
            _ = try x.withUnsafeBufferPointer { try net.forward($0.baseAddress!, shape: shape, training: false) }
            e.append(Date().timeIntervalSince(t))
            adam.update(parameters: net.store.parameters, gradients: net.store.gradients)
        }
        print("\(layout): outside convolutions, 8x1x256x256, best of 3: train forward \(f.min()!) s, backward \(b.min()!) s, "
              + "eval forward \(e.min()!) s")
    }
}
