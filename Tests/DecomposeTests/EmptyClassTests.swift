@testable import Decompose
import XCTest

final class EmptyClassTests: XCTestCase {
    /// Three 2x2 patches, three classes: counted per class, per patch, and over the volume.
    func testCountsPerClassAndPatch() {
        let labels: [UInt8] = [0, 0, 1, 1,   // class 2 absent
                               0, 0, 0, 0,   // classes 1 and 2 absent
                               0, 1, 0, 1]   // class 2 absent
        let empty = Decomposition.emptyClasses(labels: labels, patches: 3, pixels: 4, classes: 3)
        XCTAssertEqual(empty.patches, 3)
        XCTAssertEqual(empty.perClass, [0, 1, 3])
        XCTAssertEqual(empty.absent, [2])
        let full = Decomposition.emptyClasses(labels: [0, 1, 2, 2], patches: 1, pixels: 4, classes: 3)
        XCTAssertEqual(full.patches, 0)
        XCTAssertEqual(full.perClass, [0, 0, 0])
        XCTAssertEqual(full.absent, [])
    }
}
