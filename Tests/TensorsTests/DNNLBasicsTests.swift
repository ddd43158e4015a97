import CDNNL
import Tensors
import XCTest

/// oneDNN's engine, stream and memory, and the library facts `doctor` reports.
final class DNNLBasicsTests: XCTestCase {
    func testMemoryRoundTrip() throws {
        let engine = try Engine()
        let memory = try Memory(dims: [2, 3, 4, 5], format: dnnl_nchw, engine: engine)
        XCTAssertEqual(memory.capacity, 120)
        let values = (0..<120).map { Float($0) / 3 }
        memory.copy(from: values)
        XCTAssertEqual(memory.toArray(), values)
    }

    func testLibraryFacts() {
        XCTAssertTrue(DNNLInfo.version.hasPrefix("2."), DNNLInfo.version)
        XCTAssertNotEqual(DNNLInfo.isa, "generic")
        XCTAssertGreaterThanOrEqual(Threads.count, 1)
    }
}
