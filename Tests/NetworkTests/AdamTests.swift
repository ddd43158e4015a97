import XCTest
@testable import Network

final class AdamTests: XCTestCase {
    /// Three steps on a 4-vector against torch.optim.Adam(lr=0.01, betas=(0.9, 0.99), eps=1e-8),
    /// numbers computed once with torch 2.13.0+cpu:
    ///   p = [0.5, -1, 2, 0]; grads [0.1,-0.2,0.3,0], [-0.05,0.4,0.3,1e-3], [0.2,0,-0.1,-2]
    func testMatchesPyTorchAdam() {
        let expected: [Float: [Float]] = [
            0: [0.480768889, -0.99648869, 1.97393143, -0.00106795458],
            0.1: [0.475225568, -0.989498556, 1.97144747, -0.00106795318],
        ]
        for (decay, want) in expected {
            var p: [Float] = [0.5, -1, 2, 0]
            let adam = Adam(count: 4, learningRate: 0.01, weightDecay: decay)
            for g: [Float] in [[0.1, -0.2, 0.3, 0], [-0.05, 0.4, 0.3, 1e-3], [0.2, 0, -0.1, -2]] {
                adam.update(parameters: &p, gradients: g)
            }
            XCTAssertEqual(adam.step, 3)
            for (ours, torch) in zip(p, want) { XCTAssertEqual(ours, torch, accuracy: 2e-6, "weight decay \(decay)") }
        }
    }

    func testDefaultsFollowThePaper() {
        let adam = Adam(count: 1)
        XCTAssertEqual(adam.beta1, 0.9)
        XCTAssertEqual(adam.beta2, 0.99)
        XCTAssertEqual(adam.epsilon, 1e-8)
        XCTAssertEqual(adam.weightDecay, 0)
    }
}
