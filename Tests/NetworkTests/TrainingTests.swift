import Foundation
import XCTest
@testable import Network

/// The network learns: Adam on softmax cross-entropy segments bright disks from noise.
///
/// `testShortTrainingReducesLoss` (a few steps, reference path) and the full run
/// on the oneDNN path (`testTrainingLearnsDisks`, a few hundred steps) always run;
/// the full run with the reference convolution is slow in a debug build, so it
/// runs only when NETWORK_TRAINING_TEST=1 (best with `swift test -c release`).
final class TrainingTests: XCTestCase {
    /// Images with one bright disk (+1) on Gaussian noise (std 0.3); labels 1 inside the disk.
    static func disks(count: Int, size: Int, seed: UInt64) -> (images: [Float], labels: [Int]) {
        var g = Xoshiro256(seed: seed)
        var images = [Float](), labels = [Int]()
        for _ in 0..<count {
            let radius = g.nextUniform(Double(size) / 8, Double(size) / 4)
            let cy = g.nextUniform(radius, Double(size) - radius), cx = g.nextUniform(radius, Double(size) - radius)
            for y in 0..<size {
                for x in 0..<size {
                    let dy = Double(y) + 0.5 - cy, dx = Double(x) + 0.5 - cx
                    let inside = dy * dy + dx * dx <= radius * radius
                    images.append(Float((inside ? 1 : 0) + 0.3 * g.nextNormal()))
                    labels.append(inside ? 1 : 0)
                }
            }
        }
        return (images, labels)
    }

    /// Mean softmax cross-entropy over pixels, and its gradient w.r.t. the logits.
    static func crossEntropy(_ logits: UnsafeBufferPointer<Float>, labels: [Int], shape: TensorShape,
                             gradient: inout [Float]) -> Double {
        let (k, plane) = (shape.channels, shape.plane)
        let pixels = Double(shape.batch * plane)
        var loss = 0.0
        for n in 0..<shape.batch {
            for i in 0..<plane {
                let base = n * k * plane + i
                var maxLogit = -Double.infinity
                for c in 0..<k { maxLogit = max(maxLogit, Double(logits[base + c * plane])) }
                var sum = 0.0
                for c in 0..<k { sum += exp(Double(logits[base + c * plane]) - maxLogit) }
                let label = labels[n * plane + i]
                for c in 0..<k {
                    let p = exp(Double(logits[base + c * plane]) - maxLogit) / sum
                    gradient[base + c * plane] = Float((p - (c == label ? 1 : 0)) / pixels)
                    if c == label { loss -= log(max(p, 1e-12)) }
                }
            }
        }
        return loss / pixels
    }

    /// Dice of the foreground (class 1 = argmax) against the labels.
    static func foregroundDice(_ logits: [Float], labels: [Int], shape: TensorShape) -> Double {
        var intersection = 0, predicted = 0, actual = 0
        for n in 0..<shape.batch {
            for i in 0..<shape.plane {
                let base = n * 2 * shape.plane + i
                let foreground = logits[base + shape.plane] > logits[base]
                let label = labels[n * shape.plane + i] == 1
                if foreground { predicted += 1 }
                if label { actual += 1 }
                if foreground && label { intersection += 1 }
            }
        }
        return 2 * Double(intersection) / Double(max(predicted + actual, 1))
    }

    /// Trains for `steps` full-batch steps; returns the losses.
    private func train(_ net: ENet, images: [Float], labels: [Int], shape: TensorShape, steps: Int,
                       learningRate: Float) throws -> [Double] {
        let adam = Adam(count: net.parameterCount, learningRate: learningRate)
        var gradient = [Float](repeating: 0, count: shape.batch * 2 * shape.plane)
        var losses: [Double] = []
        for _ in 0..<steps {
            let logits = try images.withUnsafeBufferPointer {
                try net.forward($0.baseAddress!, shape: shape, training: true)
            }
            losses.append(Self.crossEntropy(logits, labels: labels, shape: TensorShape(shape.batch, 2, shape.height,
                                                                                         shape.width),
                                            gradient: &gradient))
            try net.backward(gradLogits: gradient)
            adam.update(parameters: net.store.parameters, gradients: net.store.gradients)
        }
        return losses
    }

    func testShortTrainingReducesLoss() throws {
        let shape = TensorShape(2, 1, 16, 16)
        let (images, labels) = Self.disks(count: shape.batch, size: 16, seed: 1)
        let net = ENet(inChannels: 1, classes: 2, seed: 0)
        let losses = try train(net, images: images, labels: labels, shape: shape, steps: 6, learningRate: 5e-3)
        print("short training losses: \(losses)")
        XCTAssertLessThan(losses.last!, 0.8 * losses.first!)
    }

    /// On the fast path (oneDNN, blocked activations, fused layers): always runs.
    func testTrainingLearnsDisks() throws {
        try learnDisks(backend: .oneDNN)
    }

    /// The same with the reference convolution: NETWORK_TRAINING_TEST=1 (slow in debug).
    func testTrainingLearnsDisksReference() throws {
        guard ProcessInfo.processInfo.environment["NETWORK_TRAINING_TEST"] == "1" else {
            throw XCTSkip("set NETWORK_TRAINING_TEST=1 to run the few-hundred-step training test on the reference path")
        }
        try learnDisks(backend: .reference)
    }

    private func learnDisks(backend: ConvBackend) throws {
        let environment = ProcessInfo.processInfo.environment
        let size = Int(environment["NETWORK_TRAINING_SIZE"] ?? "16")!
        let steps = Int(environment["NETWORK_TRAINING_STEPS"] ?? "200")!
        let shape = TensorShape(8, 1, size, size)
        let (images, labels) = Self.disks(count: shape.batch, size: size, seed: 1)
        let net = ENet(inChannels: 1, classes: 2, seed: 0, backend: backend)
        let start = Date()
        let losses = try train(net, images: images, labels: labels, shape: shape, steps: steps, learningRate: 5e-3)
        let seconds = Date().timeIntervalSince(start)
        let trainDice = Self.foregroundDice(try net.forward(images, shape: shape, training: false), labels: labels,
                                            shape: shape)
        // Fresh images from the same distribution.
        let (testImages, testLabels) = Self.disks(count: shape.batch, size: size, seed: 2)
        let testDice = Self.foregroundDice(try net.forward(testImages, shape: shape, training: false),
                                           labels: testLabels, shape: shape)
        print("\(backend.activationLayout): training \(steps) steps on 8x1x\(size)x\(size): "
              + "\(String(format: "%.1f", seconds)) s; loss \(losses.first!) -> \(losses.suffix(5)); "
              + "eval-mode Dice train \(trainDice), fresh images \(testDice)")
        XCTAssertLessThan(losses.suffix(10).reduce(0, +) / 10, 0.25 * losses.first!)
        XCTAssertGreaterThan(trainDice, 0.9)
    }
}
