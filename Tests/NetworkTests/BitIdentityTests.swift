import Foundation
import Tensors
import XCTest
@testable import Network

/// The networks' outputs and gradients, bit for bit, against a fixture recorded from
/// an earlier version of the code (`Fixtures/bit_identity.json`), so that a refactor
/// of the graph, its fusions or its memory plans is shown to change no result.
///
/// Each case hashes (FNV-1a over the Float bit patterns) the logits, the parameter
/// gradients, the input gradient, the parameters after Adam steps and the running
/// statistics of a fixed input, for the oneDNN network (blocked activations, fused
/// layers), oneDNN on plain activations and the reference network. oneDNN's kernels
/// depend on the CPU's instruction set, so there is one fixture per ISA, each recorded from
/// the code before the fusion pass (252825e): `bit_identity.json` (avx512_core_bf16) and
/// `bit_identity-avx2.json`; the test is skipped on any other ISA.
///
/// To record a fixture: `SDT_BIT_IDENTITY_OUT=path swift test --filter BitIdentityTests`.
final class BitIdentityTests: XCTestCase {
    /// FNV-1a (64-bit) of the values' bit patterns, as 16 hex digits.
    private func hash(_ values: UnsafeBufferPointer<Float>) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for v in values {
            var bits = v.bitPattern
            for _ in 0..<4 {
                h = (h ^ UInt64(bits & 0xff)) &* 0x100_0000_01b3
                bits >>= 8
            }
        }
        let text = String(h, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }

    private func hash(_ values: [Float]) -> String { values.withUnsafeBufferPointer { hash($0) } }

    private func hash(_ pointer: UnsafeMutablePointer<Float>, _ count: Int) -> String {
        hash(UnsafeBufferPointer(start: pointer, count: count))
    }

    /// Hashes of one network's results on a fixed input of `shape`: three training steps
    /// (dropout on, Adam), inference that keeps nothing (fused), and an eval-mode forward
    /// and backward with the input gradient.
    private func record(_ backend: ConvBackend, _ name: String, shape: TensorShape, into hashes: inout [String: String]) throws {
        let net = ENet(inChannels: shape.channels, classes: 4, seed: 3, backend: backend)
        net.layerThreads = 1
        let optimizer = Adam(count: net.parameterCount, learningRate: 1e-3)
        var random = TestRandom(31)
        let x = random.normal(shape.count)
        for step in 0..<3 {
            net.reseedDropout(UInt64(step + 1))
            let logits = try net.forward(x, shape: shape, training: true)
            hashes["\(name).train\(step).logits"] = hash(logits)
            try net.backward(gradLogits: random.normal(logits.count, scale: 0.01))
            hashes["\(name).train\(step).gradients"] = hash(net.store.gradients, net.parameterCount)
            optimizer.update(parameters: net.store.parameters, gradients: net.store.gradients)
        }
        hashes["\(name).parameters"] = hash(net.store.parameters, net.parameterCount)
        hashes["\(name).statistics"] = hash(net.store.buffers, net.store.bufferCount)
        hashes["\(name).inference.logits"] = hash(try net.forward(x, shape: shape, training: false,
                                                                  retainActivations: false))
        net.computesInputGradient = true
        let logits = try net.forward(x, shape: shape, training: false, retainActivations: true)
        hashes["\(name).eval.logits"] = hash(logits)
        let gradInput = try XCTUnwrap(try net.backward(gradLogits: random.normal(logits.count, scale: 0.01)))
        hashes["\(name).eval.gradients"] = hash(net.store.gradients, net.parameterCount)
        hashes["\(name).eval.inputGradient"] = hash(gradInput)
    }

    func testResultsMatchRecordedBits() throws {
        Threads.set(1)
        var hashes: [String: String] = [:]
        try record(.oneDNN, "oneDNN", shape: TensorShape(2, 1, 48, 64), into: &hashes)
        try record(.oneDNNPlain, "oneDNNPlain", shape: TensorShape(2, 2, 32, 24), into: &hashes)
        try record(.reference, "reference", shape: TensorShape(2, 1, 16, 16), into: &hashes)
        let recorded: [String: String] = ["isa": DNNLInfo.isa, "dnnl": DNNLInfo.version].merging(hashes) { a, _ in a }
        if let out = ProcessInfo.processInfo.environment["SDT_BIT_IDENTITY_OUT"] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(recorded).write(to: URL(fileURLWithPath: out))
            print("wrote \(out)")
            return
        }
        let fixtures = try ["bit_identity.json", "bit_identity-avx2.json"].map {
            try JSONDecoder().decode([String: String].self, from: Data(contentsOf: try fixtureURL($0)))
        }
        guard let fixture = fixtures.first(where: { $0["isa"] == DNNLInfo.isa && $0["dnnl"] == DNNLInfo.version }) else {
            throw XCTSkip("fixtures recorded with " + fixtures.map { "oneDNN \($0["dnnl"] ?? "?") on \($0["isa"] ?? "?")" }
                .joined(separator: " and ") + ", this is \(DNNLInfo.version) on \(DNNLInfo.isa)")
        }
        XCTAssertEqual(Set(recorded.keys), Set(fixture.keys))
        for key in recorded.keys.sorted() where recorded[key] != fixture[key] {
            XCTFail("\(key): \(recorded[key]!), recorded \(fixture[key] ?? "nothing")")
        }
    }
}
