import Common
import Foundation
import XCTest

final class AtomicFileTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "atomic-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func testReplacesAndReportsTheReason() throws {
        try AtomicFile.write(dir + "/f.csv", data: Data("old".utf8))
        try AtomicFile.write(dir + "/f.csv", data: Data("new".utf8))
        XCTAssertEqual(try String(contentsOfFile: dir + "/f.csv", encoding: .utf8), "new")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["f.csv"])
        XCTAssertThrowsError(try AtomicFile.write(dir + "/missing/f.csv", data: Data())) {
            XCTAssertEqual("\($0)", "\(self.dir!)/missing/f.csv: cannot write: No such file or directory")
        }
    }

    func testFailedWriterLeavesTheOldFileAndNoTemporary() throws {
        let target = dir + "/out.json"
        try AtomicFile.write(target, data: Data("old".utf8))
        struct Boom: Error {}
        XCTAssertThrowsError(try AtomicFile.write(target) { temporary in
            try Data("half".utf8).write(to: URL(fileURLWithPath: temporary))
            throw Boom()
        })
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "old")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["out.json"])
    }

    func testCreateDirectoriesNamesTheObstacle() throws {
        try AtomicFile.createDirectories(dir + "/a/b/c")
        var isDirectory: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/a/b/c", isDirectory: &isDirectory) && isDirectory.boolValue)
        try AtomicFile.write(dir + "/file", data: Data())
        XCTAssertThrowsError(try AtomicFile.createDirectories(dir + "/file/sub")) {
            XCTAssertTrue("\($0)".contains("Not a directory"), "\($0)")
        }
    }

    func testDurationFormat() {
        XCTAssertEqual(ProgressReporter.format(75), "1:15")
        XCTAssertEqual(ProgressReporter.format(3725), "1:02:05")
    }
}
