import Tensors
import XCTest
@testable import Network

/// `ENet.backward` reports which part of the flat gradient buffer is final after
/// each layer; the data-parallel exchange sends that part while backward goes on.
/// Held to what backward really writes: the buffer starts as NaN, every reported
/// part must already be written, and must not change afterwards.
final class GradientReadinessTests: XCTestCase {
    func testReportedGradientsAreWrittenAndNeverChangeAgain() throws {
        for backend in [ConvBackend.reference, .oneDNN] {
            let network = ENet(inChannels: 1, classes: 3, seed: 5, backend: backend)
            let shape = TensorShape(2, 1, 8, 8)
            var rng = TestRandom(9)
            let logits = try network.forward(rng.normal(shape.count), shape: shape, training: true)
            let gradLogits = rng.normal(logits.count)
            let count = network.parameterCount
            let gradients = UnsafeMutableBufferPointer(start: network.store.gradients, count: count)
            gradients.update(repeating: .nan)
            var reported: [Int] = []
            var snapshot = [Float](repeating: .nan, count: count)  // each value as first reported final
            try gradLogits.withUnsafeBufferPointer { dy in
                try network.backward(gradLogits: dy.baseAddress!) { offset in
                    let previous = reported.last ?? count
                    XCTAssertLessThanOrEqual(offset, previous, "\(backend): the final part only grows")
                    for i in offset..<previous {
                        XCTAssertFalse(gradients[i].isNaN, "\(backend): gradient \(i) reported final before it was written")
                        snapshot[i] = gradients[i]
                    }
                    reported.append(offset)
                }
            }
            XCTAssertEqual(reported.last, 0, "\(backend): the whole buffer is final at the end")
            XCTAssertGreaterThan(Set(reported).count, 20, "\(backend): reported in many steps, not once at the end")
            let changed = (0..<count).filter { snapshot[$0].bitPattern != gradients[$0].bitPattern }
            XCTAssertEqual(changed.count, 0, "\(backend): \(changed.count) gradients changed after being reported final")
            // The last layer's gradients, at the end of the buffer, are final first.
            let head = try XCTUnwrap(network.store.tensor(named: "head.out.weight"))
            XCTAssertEqual(reported.first, head.offset, "\(backend)")
        }
    }
}
