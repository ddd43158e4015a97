import Foundation
import XCTest
@testable import Network

/// The whole ENet's backward against central finite differences of
/// `L = sum(logits * r)` (fixed random `r`), dropout off, in eval mode and in
/// train mode (batch statistics), on parameters spread over every kind of block
/// and on input pixels.
///
/// ENet is only piecewise smooth: an argmax switch in a max-pool moves a value
/// elsewhere through max-unpool (a jump in L) and PReLUs have kinks. Before the
/// differences the graph freezes those choices (`freezePiecewiseChoices`, which runs
/// the graph as built, without fusions), so they are taken on the piece the analytic
/// gradient belongs to. Without that,
/// train mode disagreed by 10-700% for the first layers at any usable step.
final class ENetGradientTests: XCTestCase {
    /// (tensor, element) pairs across the network.
    let probes: [(String, Int)] = [
        ("initial.conv.weight", 4), ("b1_0.conv0.weight", 7), ("b1_0.bn0.weight", 1), ("b1_2.conv1.weight", 30),
        ("b2_0.prelu_out.weight", 0), ("b2_3.conv1a.weight", 11), ("b3_8.shortcut.weight", 100),
        ("up4_0.conv0.weight", 500), ("b4_2.shortcut.bn.weight", 2), ("up5_0.conv0.weight", 40),
        ("up5_0.prelu_out.weight", 0), ("b5_1.conv1.weight", 9), ("head.bn0.bias", 5), ("head.out.bias", 1),
    ]
    let pixels = [37, 200, 511]

    func testWholeNetworkGradientsEvalMode() throws {
        try check(shape: TensorShape(2, 1, 16, 16), training: false, step: 1e-3, relative: 1e-2)
    }

    func testWholeNetworkGradientsTrainMode() throws {
        try check(shape: TensorShape(2, 1, 16, 16), training: true, step: 1e-3, relative: 1e-2)
    }

    /// The fast path (oneDNN convolutions, blocked activations and the blocked layer ops) too.
    func testWholeNetworkGradientsOneDNNBlocked() throws {
        for training in [false, true] {
            try check(shape: TensorShape(2, 1, 16, 16), training: training, step: 1e-3, relative: 1e-2,
                      backend: .oneDNN)
        }
    }

    private func check(shape: TensorShape, training: Bool, step h: Float, relative: Double,
                       backend: ConvBackend = .reference) throws {
        let net = ENet(inChannels: 1, classes: 3, seed: 5, backend: backend)
        // Non-trivial BatchNorm biases, slopes and running statistics, so nothing hides behind 0 or 1.
        var random = TestRandom(21)
        for tensor in net.store.tensors where tensor.shape.count == 1 {
            let values = net.store.values(tensor)
            for i in 0..<tensor.count {
                if tensor.name.hasSuffix("running_var") {
                    values[i] = Float(random.generator.nextUniform(0.5, 2))
                } else if tensor.name.hasSuffix("running_mean") || tensor.name.hasSuffix(".bias")
                            || tensor.name.contains("prelu") {
                    values[i] += Float(random.generator.nextNormal() * 0.1)
                }
            }
        }
        net.computesInputGradient = true
        let x = UnsafeMutablePointer<Float>.allocate(capacity: shape.count)
        defer { x.deallocate() }
        x.initialize(from: random.normal(shape.count), count: shape.count)
        let logits = try net.forward(x, shape: shape, training: training, dropout: false, retainActivations: true)
        let r = random.normal(logits.count)
        let gradInput = try XCTUnwrap(try net.backward(gradLogits: r))
        let gradients = Array(UnsafeBufferPointer(start: net.store.gradients, count: net.parameterCount))
        // Differences are taken on the linear piece of this forward: an argmax switch
        // moves values through max-unpool (a jump), and PReLU kinks bend the loss.
        try net.freezePiecewiseChoices(at: Array(UnsafeBufferPointer(start: x, count: shape.count)), shape: shape,
                                       training: training)

        func loss() throws -> Double {
            weightedSum(Array(try net.forward(x, shape: shape, training: training, dropout: false)), r)
        }
        var analytic: [Double] = [], numeric: [Double] = [], labels: [String] = []
        for (name, element) in probes {
            let tensor = try XCTUnwrap(net.store.tensor(named: name), name)
            let index = tensor.offset + element
            analytic.append(Double(gradients[index]))
            numeric.append(try finiteDifference(at: net.store.parameters + index, step: h, loss))
            labels.append("\(name)[\(element)]")
        }
        for pixel in pixels {
            analytic.append(Double(gradInput[pixel]))
            numeric.append(try finiteDifference(at: x + pixel, step: h, loss))
            labels.append("input[\(pixel)]")
        }
        for (label, (a, n)) in zip(labels, zip(analytic, numeric)) {
            print("\(training ? "train" : "eval") \(label): analytic \(a), numeric \(n)")
        }
        assertGradientsClose(analytic, numeric, relative: relative, training ? "ENet train" : "ENet eval")
    }

    /// Central difference of `loss` in the value at `pointer`.
    private func finiteDifference(at pointer: UnsafeMutablePointer<Float>, step h: Float,
                                  _ loss: () throws -> Double) throws -> Double {
        let saved = pointer.pointee
        pointer.pointee = saved + h
        let plus = try loss()
        pointer.pointee = saved - h
        let minus = try loss()
        pointer.pointee = saved
        return (plus - minus) / (Double(saved + h) - Double(saved - h))
    }
}
