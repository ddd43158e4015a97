import Common
import XCTest
@testable import Network

final class ValidationTests: XCTestCase {
    let net = ENet(inChannels: 1, classes: 2)

    private func message(_ shape: TensorShape, training: Bool = false) -> String? {
        do {
            try net.validate(shape, training: training)
            return nil
        } catch let error as ProgramError where error.kind == .badInput {
            return String(error.message.dropFirst("invalid input: ".count))
        } catch {
            return "unexpected \(error)"
        }
    }

    func testSizesMustBeMultiplesOfEight() {
        XCTAssertEqual(message(TensorShape(1, 1, 30, 32)), "input 1x1x30x32: height 30 is not a positive multiple of 8")
        XCTAssertEqual(message(TensorShape(1, 1, 32, 20)), "input 1x1x32x20: width 20 is not a positive multiple of 8")
        XCTAssertNotNil(message(TensorShape(1, 1, 0, 32)))
        XCTAssertNil(message(TensorShape(1, 1, 16, 24)))
    }

    func testChannelsMustMatch() {
        XCTAssertEqual(message(TensorShape(2, 3, 16, 16)), "input 2x3x16x16: 3 channels, the model takes 1")
    }

    func testTrainingNeedsMoreThanOneValuePerChannel() {
        XCTAssertNotNil(message(TensorShape(1, 1, 8, 8), training: true))
        XCTAssertNil(message(TensorShape(1, 1, 8, 8), training: false))
        XCTAssertNil(message(TensorShape(2, 1, 8, 8), training: true))
    }

    func testForwardRejectsBadInputWithTypedError() {
        XCTAssertThrowsError(try net.forward([Float](repeating: 0, count: 12 * 16), shape: TensorShape(1, 1, 12, 16),
                                             training: false)) { error in
            guard (error as? ProgramError)?.kind == .badInput else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try net.backward(gradLogits: [0]))  // before any forward
    }
}
