import Common
import HDF5
import XCTest
@testable import Network

final class CheckpointTests: XCTestCase {
    func testSaveLoadRoundTripIncludingRunningStatistics() throws {
        let directory = try temporaryDirectory(self)
        let path = directory.appendingPathComponent("w.h5").path
        let a = ENet(inChannels: 2, classes: 3, seed: 1)
        a.store.buffers[5] = 0.75  // a running statistic must travel too
        try a.saveWeights(to: path)
        XCTAssertEqual(try ENet.architecture(ofWeights: path).inChannels, 2)
        XCTAssertEqual(try ENet.architecture(ofWeights: path).classes, 3)
        let b = try ENet(weights: path)
        XCTAssertEqual(b.inChannels, 2)
        XCTAssertEqual(b.classes, 3)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: a.store.parameters, count: a.parameterCount)),
                       Array(UnsafeBufferPointer(start: b.store.parameters, count: b.parameterCount)))
        XCTAssertEqual(Array(UnsafeBufferPointer(start: a.store.buffers, count: a.store.bufferCount)),
                       Array(UnsafeBufferPointer(start: b.store.buffers, count: b.store.bufferCount)))
        // PyTorch layouts and float32.
        let file = try H5File.open(path)
        defer { file.close() }
        XCTAssertEqual(try file.dataset("initial.conv.weight").shape, [14, 2, 3, 3])
        XCTAssertEqual(try file.dataset("b1_0.bn0.running_var").shape, [4])
        XCTAssertEqual(try file.dataset("head.out.weight").elementType.kind, "float")
        XCTAssertEqual(try file.dataset("head.out.weight").elementType.size, 4)
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: directory.path).contains { $0.contains(".tmp") })
    }

    /// Groups hold something other than weights (a training checkpoint's optimizer state):
    /// loading skips them, whatever their name.
    func testGroupsAreNotTensors() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("w.h5").path
        let a = ENet(inChannels: 1, classes: 2, seed: 4)
        try a.saveWeights(to: path)
        let file = try H5File.open(path, writable: true)
        try file.write("optimizer/moments", [Float(1), 2])
        try file.createGroup("optimizer").setAttribute("step", 3)
        file.close()
        let b = try ENet(weights: path)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: a.store.parameters, count: a.parameterCount)),
                       Array(UnsafeBufferPointer(start: b.store.parameters, count: b.parameterCount)))
    }

    func testLoadingIntoTheWrongModelNamesFileAndTensor() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("w.h5").path
        try ENet(inChannels: 1, classes: 4).saveWeights(to: path)
        let other = ENet(inChannels: 1, classes: 3)
        XCTAssertThrowsError(try other.loadWeights(from: path)) { error in
            XCTAssertEqual(error as? ProgramError, NetworkError.checkpoint(path: path, tensor: "head.out.weight",
                                                               message: "shape [4, 16, 1, 1], the model expects [3, 16, 1, 1]"))
            XCTAssertTrue("\(error)".contains(path))
            XCTAssertTrue("\(error)".contains("head.out.weight"))
        }
    }

    func testMissingAndUnexpectedTensorsAreErrors() throws {
        let directory = try temporaryDirectory(self)
        let net = ENet(inChannels: 1, classes: 2)
        // A file missing one tensor.
        let missing = directory.appendingPathComponent("missing.h5").path
        let file = try H5File.create(missing)
        for tensor in net.store.tensors where tensor.name != "b2_3.conv1b.bias" {
            try file.write(tensor.name, [Float](repeating: 0, count: tensor.count), shape: tensor.shape)
        }
        file.close()
        XCTAssertThrowsError(try net.loadWeights(from: missing)) { error in
            XCTAssertEqual(error as? ProgramError, NetworkError.checkpoint(path: missing, tensor: "b2_3.conv1b.bias", message: "missing"))
        }
        // A file with an extra tensor.
        let extra = directory.appendingPathComponent("extra.h5").path
        try net.saveWeights(to: extra)
        let writable = try H5File.open(extra, writable: true)
        try writable.write("b9_9.conv0.weight", [Float(1)])
        writable.close()
        XCTAssertThrowsError(try net.loadWeights(from: extra)) { error in
            XCTAssertTrue("\(error)".contains("b9_9.conv0.weight"), "\(error)")
        }
        // A failed load leaves the model unchanged.
        let before = Array(UnsafeBufferPointer(start: net.store.parameters, count: net.parameterCount))
        XCTAssertThrowsError(try net.loadWeights(from: missing))
        XCTAssertEqual(before, Array(UnsafeBufferPointer(start: net.store.parameters, count: net.parameterCount)))
        // Not a weights file at all.
        XCTAssertThrowsError(try ENet.architecture(ofWeights: directory.appendingPathComponent("none.h5").path))
    }
}
