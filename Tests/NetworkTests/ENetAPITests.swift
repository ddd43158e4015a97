import XCTest
@testable import Network

/// How the model behaves across calls: buffers reused per shape, gradients fully written.
final class ENetAPITests: XCTestCase {
    func testBackwardNeedsRetainedActivations() throws {
        let net = ENet(inChannels: 1, classes: 2)
        let shape = TensorShape(2, 1, 8, 8)
        let x = [Float](repeating: 0.5, count: shape.count)
        let logits = try net.forward(x, shape: shape, training: false)
        XCTAssertThrowsError(try net.backward(gradLogits: [Float](repeating: 1, count: logits.count)))
        _ = try net.forward(x, shape: shape, training: true)
        XCTAssertNoThrow(try net.backward(gradLogits: [Float](repeating: 1, count: logits.count)))
    }

    /// Inference frees values early; the logits must not depend on the plan.
    func testInferenceMemoryPlanGivesTheSameLogits() throws {
        let net = ENet(inChannels: 1, classes: 3, seed: 2)
        var random = TestRandom(6)
        let shape = TensorShape(2, 1, 16, 16)
        let x = random.normal(shape.count)
        let lean = try net.forward(x, shape: shape, training: false)
        let leanFloats = net.graph.valueFloats
        let kept = try net.forward(x, shape: shape, training: false, retainActivations: true)
        XCTAssertEqual(lean, kept)
        XCTAssertLessThan(leanFloats * 3, net.graph.valueFloats)
        XCTAssertEqual(try net.forward(x, shape: shape, training: false), lean)  // cached plan, same result
    }

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
        let logits = try net.forward(xl, shape: large, training: false, retainActivations: true)
        _ = try net.summary(height: 64, width: 64)  // must not disturb the prepared buffers
        try net.backward(gradLogits: r)
        let gradients = Array(UnsafeBufferPointer(start: net.store.gradients, count: net.parameterCount))

        let fresh = ENet(inChannels: 1, classes: 2, seed: 3)
        XCTAssertEqual(try fresh.forward(xl, shape: large, training: false, retainActivations: true), logits)
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

        // Sizes for a 256x256 batch of 8 (plans only; nothing runs), in both layouts.
        for backend in [ConvBackend.reference, .oneDNN] {
            let big = ENet(inChannels: 1, classes: 4, backend: backend)
            try big.graph.inferShapes(TensorShape(8, 1, 256, 256))
            let everyValue = big.graph.nodes.reduce(0) { $0 + $1.storageCount }
            // Without kernels the plan has the training fusions only (an upper bound for inference).
            let layers = FusionPlan(big.graph.layers, purpose: .training).layers
            let training = ValuePlan(graph: big.graph, layers: layers, retainActivations: true).totalFloats
            let inference = ValuePlan(graph: big.graph, layers: layers, retainActivations: false).totalFloats
            let gradients = GradientPlan(graph: big.graph, layers: layers).totalFloats
            print("8x1x256x256, \(backend.activationLayout), MB: all activations \(everyValue / 250_000), "
                  + "training values \(training / 250_000), inference values \(inference / 250_000), "
                  + "gradients \(gradients / 250_000)")
            XCTAssertLessThan(training, everyValue)
            XCTAssertLessThan(inference * 5, training)
        }
    }

    /// Work is split by data size only: 1 and 2 threads give identical bits, on the
    /// reference and on the oneDNN path (blocked layers split by channel block).
    func testResultsDoNotDependOnThreadCount() throws {
        let shape = TensorShape(2, 1, 32, 32)
        var random = TestRandom(8)
        let x = random.normal(shape.count), r = random.normal(2 * 2 * 32 * 32)
        for backend in [ConvBackend.reference, .oneDNN] {
            var results: [([Float], [Float])] = []
            for threads in [1, 2] {
                let net = ENet(inChannels: 1, classes: 2, seed: 4, backend: backend)
                net.layerThreads = threads
                let logits = try net.forward(x, shape: shape, training: true)
                try net.backward(gradLogits: r)
                results.append((logits, Array(UnsafeBufferPointer(start: net.store.gradients,
                                                                  count: net.parameterCount))))
            }
            XCTAssertEqual(results[0].0, results[1].0, "\(backend.activationLayout)")
            XCTAssertEqual(results[0].1, results[1].1, "\(backend.activationLayout)")
        }
    }
}
