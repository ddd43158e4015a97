import Tensors
import XCTest

/// The oneDNN library facts `doctor` reports.
final class DNNLBasicsTests: XCTestCase {
    func testLibraryFacts() {
        XCTAssertTrue(DNNLInfo.version.hasPrefix("2."), DNNLInfo.version)
        XCTAssertNotEqual(DNNLInfo.isa, "generic")
        XCTAssertGreaterThanOrEqual(Threads.count, 1)
    }
}
