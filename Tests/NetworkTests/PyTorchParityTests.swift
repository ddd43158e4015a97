import HDF5
import XCTest
@testable import Network

/// Logits of our ENet against PyTorch's for the same weights and input. The
/// fixture (weights exported by reference/enet_torch.py, post-processed to stay small,
/// a 2x1x32x32 input and torch's logits) is made by reference/make-network-fixtures.sh.
final class PyTorchParityTests: XCTestCase {
    private func load(_ name: String, _ dataset: String) throws -> (values: [Float], shape: [Int]) {
        let file = try H5File.open(try fixtureURL(name).path)
        defer { file.close() }
        let d = try file.dataset(dataset)
        return (try d.read(as: Float.self), d.shape)
    }

    /// max |ours - torch| / max |torch|.
    private func relativeDifference(_ ours: [Float], _ torch: [Float]) -> Double {
        let scale = Double(torch.map(abs).max()!)
        return zip(ours, torch).map { Double(abs($0 - $1)) }.max()! / scale
    }

    private func model() throws -> ENet {
        let path = try fixtureURL("weights.h5").path
        let architecture = try ENet.architecture(ofWeights: path)
        XCTAssertEqual(architecture.inChannels, 1)
        XCTAssertEqual(architecture.classes, 4)
        return try ENet(weights: path)
    }

    func testEvalModeLogitsMatchPyTorch() throws {
        let net = try model()
        let (x, xShape) = try load("input.h5", "x")
        let (expected, yShape) = try load("logits_eval.h5", "logits")
        let shape = TensorShape(xShape[0], xShape[1], xShape[2], xShape[3])
        let logits = try net.forward(x, shape: shape, training: false)
        XCTAssertEqual([net.outputShape.batch, net.outputShape.channels, net.outputShape.height, net.outputShape.width],
                       yShape)
        let difference = relativeDifference(logits, expected)
        print("eval-mode parity: max |ours - torch| / max |torch| = \(difference)")
        XCTAssertLessThanOrEqual(difference, 1e-4)
    }

    func testTrainModeLogitsWithoutDropoutMatchPyTorch() throws {
        let net = try model()
        let (x, xShape) = try load("input.h5", "x")
        let (expected, _) = try load("logits_train.h5", "logits")
        let shape = TensorShape(xShape[0], xShape[1], xShape[2], xShape[3])
        let logits = try net.forward(x, shape: shape, training: true, dropout: false)
        let difference = relativeDifference(logits, expected)
        print("train-mode (no dropout) parity: max |ours - torch| / max |torch| = \(difference)")
        XCTAssertLessThanOrEqual(difference, 1e-4)
    }

    /// The CLI path (`model --forward`) writes the same logits through HDF5.
    func testForwardFileMatchesPyTorch() throws {
        let directory = try temporaryDirectory(self)
        let output = directory.appendingPathComponent("y.h5").path
        let shape = try ForwardFile.run(weights: try fixtureURL("weights.h5").path,
                                        input: try fixtureURL("input.h5").path, output: output)
        XCTAssertEqual(shape, TensorShape(2, 4, 32, 32))
        let file = try H5File.open(output)
        defer { file.close() }
        let ours = try file.read("logits", as: Float.self)
        XCTAssertEqual(try file.dataset("logits").shape, [2, 4, 32, 32])
        let (expected, _) = try load("logits_eval.h5", "logits")
        XCTAssertLessThanOrEqual(relativeDifference(ours, expected), 1e-4)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"))
    }
}

/// Train-mode gradients (dropout off) against PyTorch autograd for the fixture's
/// weights and input: `L = sum(logits * r)`, r stored in the fixture.
final class PyTorchGradientParityTests: XCTestCase {
    func testTrainModeGradientsMatchPyTorchAutograd() throws {
        let net = try ENet(weights: try fixtureURL("weights.h5").path)
        let inputFile = try H5File.open(try fixtureURL("input.h5").path)
        let x = try inputFile.read("x", as: Float.self)
        inputFile.close()
        let file = try H5File.open(try fixtureURL("gradients_train.h5").path)
        defer { file.close() }
        let r = try file.read("r", as: Float.self)
        let expectedInputGradient = try file.read("x_grad", as: Float.self)
        let heads = try file.read("grad_head", as: Float.self)
        let counts = try file.read("counts", as: Int.self)
        let names = try file.readStrings("names")

        // Same parameters in the same (state-dict) order as torch's named_parameters().
        let parameters = net.store.tensors.filter { $0.role == .parameter }
        XCTAssertEqual(parameters.map(\.name), names)

        net.computesInputGradient = true
        _ = try net.forward(x, shape: TensorShape(2, 1, 32, 32), training: true, dropout: false)
        let inputGradient = try XCTUnwrap(try net.backward(gradLogits: r))

        func relativeDifference(_ ours: [Float], _ torch: [Float]) -> Double {
            let scale = Double(torch.map(abs).max()!)
            return zip(ours, torch).map { Double(abs($0 - $1)) }.max()! / scale
        }
        let inputDifference = relativeDifference(inputGradient, expectedInputGradient)
        print("train-mode input gradient vs torch: max relative difference \(inputDifference)")
        XCTAssertLessThanOrEqual(inputDifference, 1e-3)

        // A conv bias feeding a train-mode BatchNorm has gradient exactly 0 (the batch mean
        // cancels it): both programs give rounding noise there, compared against the global scale.
        let globalScale = Double(heads.map(abs).max()!)
        var offset = 0, worst = (0.0, "")
        for (i, (tensor, count)) in zip(parameters, counts).enumerated() {
            let expected = Array(heads[offset..<(offset + count)])
            offset += count
            let ours = Array(UnsafeBufferPointer(start: net.store.gradient(tensor), count: count))
            let next = i + 1 < parameters.count ? parameters[i + 1].name : ""
            if tensor.name.hasSuffix(".bias") && next.contains(".bn") {
                XCTAssertLessThanOrEqual(Double(ours.map(abs).max()!), 1e-5 * globalScale, "\(tensor.name) should be ~0")
                XCTAssertLessThanOrEqual(Double(expected.map(abs).max()!), 1e-5 * globalScale, "torch \(tensor.name)")
                continue
            }
            // Relative to the tensor's gradient scale.
            let scale = Double(expected.map(abs).max()!)
            let difference = zip(ours, expected).map { Double(abs($0 - $1)) }.max()! / scale
            if difference > worst.0 { worst = (difference, tensor.name) }
            XCTAssertLessThanOrEqual(difference, 1e-3, "\(tensor.name): ours \(ours.prefix(4)), torch \(expected.prefix(4))")
        }
        XCTAssertEqual(offset, heads.count)
        print("train-mode parameter gradients vs torch: worst relative difference \(worst.0) (\(worst.1))")
    }
}
