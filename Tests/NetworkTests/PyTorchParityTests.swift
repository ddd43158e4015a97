import HDF5
import XCTest
@testable import Network

/// Logits of our ENet against PyTorch's for the same weights and input. The
/// fixture (weights exported by enet_torch.py, post-processed to stay small,
/// a 2x1x32x32 input and torch's logits) is made by Fixtures/make_fixture.sh.
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
