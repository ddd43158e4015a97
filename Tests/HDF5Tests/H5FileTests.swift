import Common
import HDF5
import TestSupport
import XCTest

final class H5FileTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory("h5")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func testWriteCloseReopenRead() throws {
        let values: [Float] = (0..<120).map { Float($0) * 0.5 - 7 }
        let labels: [UInt8] = (0..<60).map { UInt8($0 % 4) }
        do {
            let file = try H5File.create(path("a.h5"))
            let images = try file.createDataset("train/images", of: Float.self, shape: [3, 2, 4, 5],
                                                chunk: [1, 2, 4, 5], deflate: 4, shuffle: true)
            try images.write(values)
            try file.write("train/labels", labels, shape: [3, 4, 5])
            file.close()
        }
        let file = try H5File.open(path("a.h5"))
        let images = try file.dataset("train/images")
        XCTAssertEqual(images.shape, [3, 2, 4, 5])
        XCTAssertEqual(images.chunkShape, [1, 2, 4, 5])
        XCTAssertEqual(images.filters, ["shuffle", "deflate"])
        XCTAssertEqual(images.elementType.kind, "float")
        XCTAssertEqual(try images.read(as: Float.self), values)
        XCTAssertEqual(try file.read("train/labels", as: UInt8.self), labels)
        XCTAssertEqual(try file.dataset("train/labels").elementType.size, 1)
        XCTAssertEqual(try file.children(of: "train"), ["images", "labels"])
        XCTAssertTrue(file.exists("train/images"))
        XCTAssertFalse(file.exists("train/missing"))
        XCTAssertFalse(file.exists("val/images"))
    }

    func testHyperslabReadAndWrite() throws {
        let file = try H5File.create(path("b.h5"))
        let dataset = try file.createDataset("x", of: Float.self, shape: [4, 3, 5], chunk: [1, 3, 5])
        try dataset.write((0..<60).map(Float.init))
        // The second patch, rows 1...2, columns 2...4.
        let block = try dataset.read(start: [1, 1, 2], count: [1, 2, 3], as: Float.self)
        XCTAssertEqual(block, [22, 23, 24, 27, 28, 29])
        try dataset.write([-1, -2, -3], start: [3, 0, 0], count: [1, 1, 3])
        let row = try dataset.read(start: [3, 0, 0], count: [1, 1, 5], as: Float.self)
        XCTAssertEqual(row, [-1, -2, -3, 48, 49])
        XCTAssertThrowsError(try dataset.read(start: [3, 0, 0], count: [2, 1, 1], as: Float.self)) { error in
            XCTAssertTrue("\(error)".contains("outside shape"), "\(error)")
        }
    }

    /// What the store validator asks of an attribute (its stored type and extent), and
    /// removing a link, all without the C API.
    func testAttributeTypesShapesAndRemovingLinks() throws {
        let file = try H5File.create(path("types.h5"))
        let group = try file.createGroup("train")
        try group.setAttribute("count", 7)
        try group.setAttribute("weights", [Float(0.5), 2, 4])
        try file.setAttribute("kind", "acdc")
        try file.setAttribute("names", ["a", "b"])
        XCTAssertEqual(try group.attributeType("count"), H5ElementType(kind: "integer", size: 8, signed: true))
        XCTAssertEqual(try group.attributeType("weights"), H5ElementType(kind: "float", size: 4, signed: true))
        XCTAssertEqual(try file.attributeType("kind").kind, "string")
        XCTAssertEqual(try group.attributeShape("count").dimensions, [1])
        XCTAssertEqual(try group.attributeShape("weights").count, 3)
        XCTAssertEqual(try file.attributeShape("kind").dimensions, [], "a string is a scalar")
        XCTAssertEqual(try file.attributeShape("kind").count, 1)
        XCTAssertEqual(try file.attributeShape("names").dimensions, [2])
        XCTAssertThrowsError(try file.attributeType("missing"))
        try file.write("train/labels", [UInt8(1), 2])
        try file.removeLink("train/labels")
        XCTAssertFalse(file.exists("train/labels"))
        XCTAssertTrue(file.exists("train"))
        XCTAssertThrowsError(try file.removeLink("train/labels")) { error in
            XCTAssertTrue("\(error)".contains("cannot remove 'train/labels'"), "\(error)")
        }
    }

    func testAttributesRoundTrip() throws {
        do {
            let file = try H5File.create(path("c.h5"))
            try file.setAttribute("schema_version", 1)
            try file.setAttribute("spacing", [1.5, 1.5, 10.0])
            try file.setAttribute("kind", "acdc")
            try file.setAttribute("class_names", ["background", "RV", "MYO", "LV"])
            let dataset = try file.createDataset("d", of: Double.self, shape: [2])
            try dataset.setAttribute("units", "mm")
            file.close()
        }
        let file = try H5File.open(path("c.h5"))
        XCTAssertEqual(try file.attribute("schema_version", as: Int.self), [1])
        XCTAssertEqual(try file.attribute("spacing", as: Double.self), [1.5, 1.5, 10.0])
        XCTAssertEqual(try file.stringAttribute("kind"), ["acdc"])
        XCTAssertEqual(try file.stringAttribute("class_names"), ["background", "RV", "MYO", "LV"])
        XCTAssertEqual(try file.dataset("d").stringAttribute("units"), ["mm"])
        XCTAssertEqual(file.attributeNames.sorted(), ["class_names", "kind", "schema_version", "spacing"])
        XCTAssertThrowsError(try file.stringAttribute("spacing"))
        XCTAssertThrowsError(try file.attribute("kind", as: Int.self))
        XCTAssertThrowsError(try file.attribute("absent", as: Int.self)) { error in
            XCTAssertEqual("\(error)", "\(self.path("c.h5")): missing attribute 'absent'")
        }
    }

    func testStringDatasets() throws {
        let file = try H5File.create(path("s.h5"))
        try file.writeStrings("volumes/source", ["patient001/a.nii.gz", "ü-ß.nii"])
        XCTAssertEqual(try file.readStrings("volumes/source"), ["patient001/a.nii.gz", "ü-ß.nii"])
    }

    func testMissingFileIsAClearError() {
        XCTAssertThrowsError(try H5File.open(path("nope.h5"))) { error in
            XCTAssertEqual(error as? ProgramError, ProgramError(.missingFile, path: path("nope.h5"), "no such file"))
        }
    }

    func testFileThatIsNotHDF5IsAClearError() throws {
        try Data("this is a text file, not HDF5\n".utf8).write(to: URL(fileURLWithPath: path("text.h5")))
        XCTAssertThrowsError(try H5File.open(path("text.h5"))) { error in
            XCTAssertEqual(error as? ProgramError, ProgramError(.notHDF5, path: path("text.h5"), "not an HDF5 file"))
        }
    }

    func testTruncatedFileIsAnError() throws {
        let file = try H5File.create(path("t.h5"))
        try file.write("x", (0..<10_000).map(Float.init))
        file.close()
        let data = try Data(contentsOf: URL(fileURLWithPath: path("t.h5")))
        try data.prefix(data.count / 3).write(to: URL(fileURLWithPath: path("t.h5")))
        XCTAssertThrowsError(try H5File.open(path("t.h5")).read("x", as: Float.self)) { error in
            XCTAssertTrue("\(error)".hasPrefix(self.path("t.h5")), "\(error)")
        }
    }

    func testMissingDatasetNamesItself() throws {
        let file = try H5File.create(path("m.h5"))
        XCTAssertThrowsError(try file.dataset("train/images")) { error in
            XCTAssertEqual("\(error)", "\(self.path("m.h5")): missing dataset 'train/images'")
        }
    }

    func testH5dumpReadsOurFile() throws {
        let file = try H5File.create(path("d.h5"))
        try file.createDataset("train/images", of: Float.self, shape: [2, 1, 8, 8], chunk: [1, 1, 8, 8],
                               deflate: 4, shuffle: true).write([Float](repeating: 1, count: 128))
        try file.setAttribute("kind", "acdc")
        file.close()
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/h5dump"), ["-H", "-p", path("d.h5")])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("DATASET \"images\""), result.stdout)
        XCTAssertTrue(result.stdout.contains("H5T_IEEE_F32LE"), result.stdout)
        XCTAssertTrue(result.stdout.contains("SHUFFLE"), result.stdout)
        XCTAssertTrue(result.stdout.contains("DEFLATE"), result.stdout)
        XCTAssertTrue(result.stdout.contains("ATTRIBUTE \"kind\""), result.stdout)
    }
}
