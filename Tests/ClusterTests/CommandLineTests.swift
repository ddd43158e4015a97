import TestSupport
import XCTest

/// The command-line surface: help, version, usage errors.
final class CommandLineTests: XCTestCase {
    let tool = Products.executable("swift-dist-train")

    func testHelpListsSubcommands() throws {
        let result = try runProcess(tool, ["--help"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("SUBCOMMANDS:"))
        XCTAssertTrue(result.stdout.contains("doctor"))
    }

    func testVersion() throws {
        let result = try runProcess(tool, ["--version"])
        XCTAssertEqual(result.status, 0)
        XCTAssertNotNil(result.stdout.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression), result.stdout)
    }

    func testUnknownSubcommandIsAUsageError() throws {
        let result = try runProcess(tool, ["frobnicate"])
        XCTAssertEqual(result.status, 64)
        XCTAssertTrue(result.stderr.contains("Unexpected argument 'frobnicate'"), result.stderr)
        XCTAssertFalse(result.stderr.contains("Stack dump"))
    }

    func testUnknownFlagIsAUsageError() throws {
        let result = try runProcess(tool, ["doctor", "--frobnicate"])
        XCTAssertEqual(result.status, 64)
        XCTAssertTrue(result.stderr.contains("--frobnicate"), result.stderr)
    }
}
