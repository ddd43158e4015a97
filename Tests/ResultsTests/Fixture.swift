import Foundation
import PatchStore
import TestSupport
import XCTest

/// Fails the test unless the process succeeded.
func assertSucceeded(_ result: ProcessResult, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(result.status, 0, "\(what) failed: \(result.stderr)\n\(result.stdout)", file: file, line: line)
}

/// Rows of a CSV text without its header.
func csvRows(_ path: String) throws -> [[String]] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    return text.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
}
