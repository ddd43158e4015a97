import XCTest
@testable import Network

/// How the model behaves across calls: buffers reused per shape, gradients fully written.
final class ENetAPITests: XCTestCase {
    func testBackwardWritesEveryGradient() throws {
        let net = ENet(inChannels: 1, classes: 2, seed: 1)
        net.store.gradients.update(repeating: .nan, count: net.parameterCount)
        var random = TestRandom(1)
        let shape = TensorShape(2, 1, 8, 8)
        let logits = try net.forward(random.normal(shape.count), shape: shape, training: true)
        try net.backward(gradLogits: random.normal(logits.count))
        let gradients = UnsafeBufferPointer(start: net.store.gradients, count: net.parameterCount)
        XCTAssertFalse(gradients.contains { $0.isNaN })
    }

    func testShapeChangesAndSummaryBetweenForwardAndBackward() throws {
        var random = TestRandom(2)
        let small = TensorShape(1, 1, 16, 8), large = TensorShape(2, 1, 16, 24)
        let xs = random.normal(small.count), xl = random.normal(large.count)
        let r = random.normal(large.count * 2)
        let net = ENet(inChannels: 1, classes: 2, seed: 3)
        _ = try net.forward(xs, shape: small, training: false)
        let logits = try net.forward(xl, shape: large, training: false)
        _ = try net.summary(height: 64, width: 64)  // must not disturb the prepared buffers
        try net.backward(gradLogits: r)
        let gradients = Array(UnsafeBufferPointer(start: net.store.gradients, count: net.parameterCount))

        let fresh = ENet(inChannels: 1, classes: 2, seed: 3)
        XCTAssertEqual(try fresh.forward(xl, shape: large, training: false), logits)
        try fresh.backward(gradLogits: r)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: fresh.store.gradients, count: fresh.parameterCount)), gradients)
        XCTAssertEqual(net.outputShape, TensorShape(2, 2, 16, 24))
    }

    func testTrainingForwardMovesRunningStatisticsAndEvalDoesNot() throws {
        let net = ENet(inChannels: 1, classes: 2)
        var random = TestRandom(4)
        let shape = TensorShape(2, 1, 8, 8)
        let x = random.normal(shape.count)
        let before = Array(UnsafeBufferPointer(start: net.store.buffers, count: net.store.bufferCount))
        _ = try net.forward(x, shape: shape, training: false)
        XCTAssertEqual(before, Array(UnsafeBufferPointer(start: net.store.buffers, count: net.store.bufferCount)))
        _ = try net.forward(x, shape: shape, training: true)
        XCTAssertNotEqual(before, Array(UnsafeBufferPointer(start: net.store.buffers, count: net.store.bufferCount)))
    }

    /// Activation gradients share memory by liveness, and the plan stays correct
    /// (the gradients themselves are checked against PyTorch and finite differences).
    func testGradientMemoryIsShared() throws {
        let net = ENet(inChannels: 1, classes: 2)
        var random = TestRandom(5)
        let shape = TensorShape(2, 1, 16, 16)
        let logits = try net.forward(random.normal(shape.count), shape: shape, training: true)
        XCTAssertEqual(net.graph.gradientFloats, 0)  // inference needs no gradient memory
        try net.backward(gradLogits: random.normal(logits.count))
        let everyNode = net.graph.nodes.dropFirst().reduce(0) { $0 + $1.shape.count }
        print("gradient floats \(net.graph.gradientFloats) for \(everyNode) activation floats")
        XCTAssertLessThan(net.graph.gradientFloats * 5, everyNode)

        try net.graph.inferShapes(TensorShape(8, 1, 256, 256))
        let plan = GradientPlan(shape: TensorShape(8, 1, 256, 256), graph: net.graph)
        let values = net.graph.nodes.reduce(0) { $0 + $1.shape.count }
        print("8x1x256x256: activations \(values * 4 / 1_000_000) MB, gradients \(plan.totalFloats * 4 / 1_000_000) MB")
    }
}
