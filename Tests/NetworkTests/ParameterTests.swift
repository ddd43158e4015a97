import HDF5
import XCTest
@testable import Network

final class ParameterTests: XCTestCase {
    /// Learnable parameter counts printed by the reference
    /// (`reference/enet_torch.py --info --in-ch C --classes K`, torch 2.13.0+cpu), with the
    /// forward GFLOP per 256x256 image it prints (FlopCounterMode: convolutions only).
    func testParameterCountsAndFlopsMatchPyTorch() throws {
        let reference: [(inChannels: Int, classes: Int, parameters: Int, gflop: Double)] = [
            (1, 4, 458_281, 2.0828), (1, 3, 458_264, 2.0807), (1, 2, 458_247, 2.0786), (2, 3, 458_380, 2.0846),
        ]
        for r in reference {
            let net = ENet(inChannels: r.inChannels, classes: r.classes)
            XCTAssertEqual(net.parameterCount, r.parameters, "C_in \(r.inChannels), K \(r.classes)")
            let summary = try net.summary(height: 256, width: 256)
            XCTAssertEqual(summary.totalParameters, r.parameters)
            XCTAssertEqual((summary.gflopPerImage * 1e4).rounded() / 1e4, r.gflop, accuracy: 1e-9)
            XCTAssertEqual(summary.rows.reduce(0) { $0 + $1.parameters }, r.parameters)
        }
    }

    /// Every tensor of the reference's state dict (the fixture was written by h5py from it)
    /// exists here with the same shape, and nothing else.
    func testNamesAndShapesMatchTheReferenceStateDict() throws {
        let file = try H5File.open(try fixtureURL("weights.h5").path)
        defer { file.close() }
        let names = try ENet.datasetNames(in: file)
        let net = ENet(inChannels: 1, classes: 4)
        XCTAssertEqual(Set(names), Set(net.store.tensors.map(\.name)))
        XCTAssertEqual(names.count, 627)  // `enet_torch.py --names` lists 627 tensors
        XCTAssertEqual(net.store.tensors.count, 627)
        for tensor in net.store.tensors {
            XCTAssertEqual(try file.dataset(tensor.name).shape, tensor.shape, tensor.name)
        }
        XCTAssertEqual(net.store.tensor(named: "initial.conv.weight")?.shape, [15, 1, 3, 3])
        XCTAssertEqual(net.store.tensor(named: "b1_0.bn0.running_mean")?.role, .runningStatistic)
        XCTAssertEqual(net.store.tensor(named: "b4_2.shortcut.prelu.weight")?.shape, [1])
        XCTAssertNil(net.store.tensor(named: "head.conv0.bias"))
    }

    func testFlatBuffersAreContiguousAndDisjoint() {
        let net = ENet(inChannels: 1, classes: 4)
        var parameterEnd = 0, bufferEnd = 0
        for tensor in net.store.tensors {
            if tensor.role == .parameter {
                XCTAssertEqual(tensor.offset, parameterEnd, tensor.name)
                parameterEnd += tensor.count
            } else {
                XCTAssertEqual(tensor.offset, bufferEnd, tensor.name)
                bufferEnd += tensor.count
            }
        }
        XCTAssertEqual(parameterEnd, net.parameterCount)
        XCTAssertEqual(bufferEnd, net.store.bufferCount)
    }

    func testInitialisationIsSeededAndFollowsTheRecipe() throws {
        let a = ENet(inChannels: 1, classes: 4, seed: 3), b = ENet(inChannels: 1, classes: 4, seed: 3)
        let c = ENet(inChannels: 1, classes: 4, seed: 4)
        let pa = Array(UnsafeBufferPointer(start: a.store.parameters, count: a.parameterCount))
        XCTAssertEqual(pa, Array(UnsafeBufferPointer(start: b.store.parameters, count: b.parameterCount)))
        XCTAssertNotEqual(pa, Array(UnsafeBufferPointer(start: c.store.parameters, count: c.parameterCount)))

        func stats(_ name: String) throws -> (mean: Double, std: Double, min: Float, max: Float) {
            let v = try XCTUnwrap(a.store.array(name), name)
            let mean = v.reduce(0.0) { $0 + Double($1) } / Double(v.count)
            let variance = v.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(v.count)
            return (mean, variance.squareRoot(), v.min()!, v.max()!)
        }
        // Xavier normal: std = sqrt(2 / (fan_in + fan_out)); up4_0.conv0 is 32x128x3x3 (36,864 values).
        let w = try stats("up4_0.conv0.weight")
        XCTAssertEqual(w.mean, 0, accuracy: 0.003)
        XCTAssertEqual(w.std, (2.0 / Double(128 * 9 + 32 * 9)).squareRoot(), accuracy: 0.001)
        // Conv bias: uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = 128 * 9.
        let bias = try stats("up4_0.conv0.bias"), bound = 1 / Double(128 * 9).squareRoot()
        XCTAssertGreaterThanOrEqual(Double(bias.min), -bound)
        XCTAssertLessThanOrEqual(Double(bias.max), bound)
        XCTAssertGreaterThan(Double(bias.max - bias.min), bound)  // spread, not constant
        // BatchNorm: weight ~ N(1, 0.02), bias 0, running mean 0 and var 1; PReLU 0.25.
        let bn = try stats("b2_1.bn2.weight")
        XCTAssertEqual(bn.mean, 1, accuracy: 0.01)
        XCTAssertEqual(bn.std, 0.02, accuracy: 0.006)
        XCTAssertEqual(try stats("b2_1.bn2.bias").max, 0)
        XCTAssertEqual(a.store.array("b2_1.bn2.running_mean"), [Float](repeating: 0, count: 128))
        XCTAssertEqual(a.store.array("b2_1.bn2.running_var"), [Float](repeating: 1, count: 128))
        XCTAssertEqual(a.store.array("b2_1.prelu_out.weight"), [0.25])
    }

    func testSummaryTable() throws {
        let table = try ENet(inChannels: 1, classes: 4).summary(height: 256, width: 256).table
        XCTAssertTrue(table.contains("initial"))
        XCTAssertTrue(table.contains("16 x 128 x 128"))
        XCTAssertTrue(table.contains("4 x 256 x 256"))
        XCTAssertTrue(table.contains("458281"))
        XCTAssertTrue(table.contains("2.0828"))
    }
}
