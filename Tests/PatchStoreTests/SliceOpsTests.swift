@testable import PatchStore
import XCTest

final class SliceOpsTests: XCTestCase {
    /// numpy.percentile(np.arange(100), [0.5, 99.5]) = 0.495, 98.505;
    /// numpy.percentile([3,1,4,1,5,9,2,6,5,3,5,8,9,7,9], [0.5, 99.5, 37]) = 1.0, 9.0, 4.18.
    func testPercentileMatchesNumpy() {
        let ramp = (0..<100).map(Float.init)
        XCTAssertEqual(SliceOps.percentile(ramp, 0.5), 0.495, accuracy: 1e-5)
        XCTAssertEqual(SliceOps.percentile(ramp, 99.5), 98.505, accuracy: 1e-4)
        let b: [Float] = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9]
        XCTAssertEqual(SliceOps.percentile(b.sorted(), 0.5), 1.0, accuracy: 1e-6)
        XCTAssertEqual(SliceOps.percentile(b.sorted(), 99.5), 9.0, accuracy: 1e-6)
        XCTAssertEqual(SliceOps.percentile(b.sorted(), 37), 4.18, accuracy: 1e-5)
    }

    func testNormaliseClipsAndScales() {
        var v = (0..<100).map(Float.init)
        SliceOps.normalise(&v)
        XCTAssertEqual(v[0], 0)
        XCTAssertEqual(v[99], 1)
        XCTAssertEqual(v[50], (50 - 0.495) / (98.505 - 0.495), accuracy: 1e-6)
        var constant = [Float](repeating: 7, count: 10)
        SliceOps.normalise(&constant)
        XCTAssertEqual(constant, [Float](repeating: 0, count: 10))
    }

    /// Reference: scipy.ndimage.zoom(src, (4/3, 4/5), order=1, mode='nearest', grid_mode=True)
    /// with src = [[0,1,4,9,16],[2,3,5,7,11],[10,8,6,4,2]] (rows y, columns x).
    func testBilinearMatchesScipy() {
        let src: [Float] = [0, 1, 4, 9, 16, 2, 3, 5, 7, 11, 10, 8, 6, 4, 2]
        let expected: [Float] = [0.125, 2.125, 7.125, 15.125, 1.375, 3.140625, 6.578125, 12.234375,
                                 4.984375, 5.0625, 5.6875, 7.40625, 9.75, 7.25, 4.75, 2.25]
        var out = [Float](repeating: 0, count: 16)
        src.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { SliceOps.resampleBilinear(s, nx: 5, ny: 3, size: 4, into: $0) }
        }
        for (a, b) in zip(out, expected) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    func testNearestKeepsLabelsAndIdentity() {
        let src: [UInt8] = [0, 1, 2, 3, 0, 1, 2, 3, 3, 3, 0, 0, 1, 1, 2, 2]
        var same = [UInt8](repeating: 9, count: 16)
        src.withUnsafeBufferPointer { s in same.withUnsafeMutableBufferPointer { SliceOps.resampleNearest(s, nx: 4, ny: 4, size: 4, into: $0) } }
        XCTAssertEqual(same, src)
        var up = [UInt8](repeating: 9, count: 64)
        src.withUnsafeBufferPointer { s in up.withUnsafeMutableBufferPointer { SliceOps.resampleNearest(s, nx: 4, ny: 4, size: 8, into: $0) } }
        for y in 0..<8 { for x in 0..<8 { XCTAssertEqual(up[x + 8 * y], src[x / 2 + 4 * (y / 2)]) } }
    }

    func testOriginsCoverTheSlice() {
        XCTAssertEqual(SliceOps.origins(length: 64, patch: 64, stride: 64), [0])
        XCTAssertEqual(SliceOps.origins(length: 64, patch: 32, stride: 32), [0, 32])
        XCTAssertEqual(SliceOps.origins(length: 64, patch: 32, stride: 16), [0, 16, 32])
        XCTAssertEqual(SliceOps.origins(length: 64, patch: 24, stride: 24), [0, 24, 40])
        XCTAssertEqual(PatchGeometry(sliceSize: 64, patch: 24).patchesPerSlice, 9)
    }

    func testSubjectSplitIsDisjointSeededAndNonEmpty() {
        XCTAssertEqual(SubjectSplit.sizes(12, fractions: [0.7, 0.1, 0.2]), [9, 1, 2])
        XCTAssertEqual(SubjectSplit.sizes(3, fractions: [0.7, 0.1, 0.2]), [1, 1, 1])
        XCTAssertEqual(SubjectSplit.sizes(100, fractions: [70, 10, 20]), [70, 10, 20])
        XCTAssertEqual(SubjectSplit.sizes(2, fractions: [0.7, 0.1, 0.2]).reduce(0, +), 2)
        let subjects = (0..<20).flatMap { ["p\($0)", "p\($0)"] }   // two volumes per subject
        let a = SubjectSplit.assign(subjects, fractions: [0.7, 0.1, 0.2], seed: 5)
        XCTAssertEqual(a, SubjectSplit.assign(subjects, fractions: [0.7, 0.1, 0.2], seed: 5))
        XCTAssertNotEqual(a, SubjectSplit.assign(subjects, fractions: [0.7, 0.1, 0.2], seed: 6))
        for i in stride(from: 0, to: subjects.count, by: 2) { XCTAssertEqual(a[i], a[i + 1]) }
        XCTAssertEqual(a.filter { $0 == .train }.count, 28)
        XCTAssertEqual(a.filter { $0 == .val }.count, 4)
    }

    /// First outputs for seed 1234567, computed once with a Python transcription of
}
