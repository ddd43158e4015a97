import Foundation
import HDF5
@testable import PatchStore
import SyntheticData
import TestSupport
import XCTest

/// synth -> preprocess -> validate/read, on tiny data, for each layout.
final class EndToEndTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try makeTemporaryDirectory("store") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func url(_ name: String) -> URL { dir.appendingPathComponent(name) }

    /// No temporary files are left next to an output.
    func assertNoTemporaries(line: UInt = #line) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        XCTAssertFalse(names.contains { $0.contains(".tmp-") }, "left behind: \(names)", line: line)
    }

    func testACDC() throws {
        _ = try Synth.generate(.acdc, to: url("acdc").path, count: 5, seed: 3, width: 32, slices: 3)
        let store = url("acdc.h5")
        let report = try Fixtures.preprocess(.acdc, input: url("acdc"), output: store, size: 32, patch: 16)
        XCTAssertEqual(report.volumes.values.reduce(0, +), 10)      // ED + ES per patient
        XCTAssertEqual(try StoreValidator.validate(store.path), [])
        let reader = try PatchStoreReader(path: store.path)
        XCTAssertEqual(reader.classNames, ["background", "RV", "MYO", "LV"])
        XCTAssertEqual(reader.patchSize, [16, 16])
        XCTAssertEqual(reader.channels, 1)
        var subjects: [Split: Set<String>] = [:]
        for split in Split.allCases {
            let volumes = try reader.volumes(split)
            XCTAssertFalse(volumes.isEmpty, "\(split) is empty")
            XCTAssertEqual(reader.count(split), volumes.reduce(0) { $0 + $1.originalShape[2] * 4 })
            subjects[split] = Set(volumes.map(\.subject))
            for v in volumes {
                XCTAssertTrue(v.id.hasPrefix(v.subject + "_frame"), v.id)
                XCTAssertEqual(v.resampledSpacing[0], v.spacing[0] * Double(v.originalShape[0]) / 32, accuracy: 1e-9)
                XCTAssertEqual(v.resampledSpacing[2], v.spacing[2])
            }
        }
        XCTAssertTrue(subjects[.train]!.isDisjoint(with: subjects[.val]!))
        XCTAssertTrue(subjects[.train]!.isDisjoint(with: subjects[.test]!))
        XCTAssertTrue(subjects[.val]!.isDisjoint(with: subjects[.test]!))
        XCTAssertEqual(subjects.values.reduce(0) { $0 + $1.count }, 5)
        try assertMimeWeightsFromLabels(reader)
        try assertNoTemporaries()
    }

    /// A block of consecutive patches read at once equals the same patches read one by one.
    func testReadingConsecutivePatchesMatchesSingleReads() throws {
        _ = try Synth.generate(.acdc, to: url("acdc").path, count: 4, seed: 1, width: 32, slices: 3)
        let store = url("acdc.h5")
        try Fixtures.preprocess(.acdc, input: url("acdc"), output: store, size: 32, patch: 16)
        let reader = try PatchStoreReader(path: store.path)
        let volume = try reader.volumes(.train)[1]
        let (first, n, pixels) = (volume.firstPatch, volume.numPatches, 16 * 16)
        var images = [Float](repeating: .nan, count: n * pixels), labels = [UInt8](repeating: 255, count: n * pixels)
        try images.withUnsafeMutableBufferPointer { im in
            try labels.withUnsafeMutableBufferPointer { try reader.readPatches(.train, from: first, count: n, images: im, labels: $0) }
        }
        for i in 0..<n {
            let single = try reader.patch(.train, first + i)
            XCTAssertEqual(Array(images[(i * pixels)..<((i + 1) * pixels)]), single.image)
            XCTAssertEqual(Array(labels[(i * pixels)..<((i + 1) * pixels)]), single.label)
        }
        // In batches of 2 (the last one shorter when n is odd): the same patches, in order.
        var seen = 0
        try reader.forEachBatch(.train, from: first, count: n, batch: 2) { start, batchImages, batchLabels in
            XCTAssertEqual(start, seen)
            XCTAssertEqual(batchLabels.count, min(2, n - start) * pixels)
            XCTAssertEqual(Array(batchImages), Array(images[(start * pixels)..<(start * pixels + batchImages.count)]))
            XCTAssertEqual(Array(batchLabels), Array(labels[(start * pixels)..<(start * pixels + batchLabels.count)]))
            seen += batchLabels.count / pixels
        }
        XCTAssertEqual(seen, n)
        let total = reader.count(.train)
        assertStoreError(try images.withUnsafeMutableBufferPointer { im in
            try labels.withUnsafeMutableBufferPointer { try reader.readPatches(.train, from: total - 1, count: 2, images: im, labels: $0) }
        }, .badInput, file: store.path, "out of range")
    }

    /// Mime weights recomputed from every train label patch read back.
    func assertMimeWeightsFromLabels(_ reader: PatchStoreReader) throws {
        let n = reader.count(.train), k = reader.numClasses
        var counts = [Double](repeating: 0, count: k)
        for i in 0..<n { for v in try reader.patch(.train, i).label { counts[Int(v)] += 1 } }
        let pixels = Double(reader.patchSize[0] * reader.patchSize[1])
        for c in 0..<k {
            let meanIn = counts[c] / Double(n), meanOut = pixels - meanIn
            if counts[c] == 0 { XCTAssertTrue(reader.mimeA[c].isNaN) } else { XCTAssertEqual(reader.mimeA[c], 1 / meanIn, accuracy: 1e-12) }
            XCTAssertEqual(reader.mimeB[c], 1 / meanOut, accuracy: 1e-12)
        }
    }

    func testWMHTwoModalities() throws {
        _ = try Synth.generate(.wmh, to: url("wmh").path, count: 4, seed: 1, width: 32, slices: 4)
        XCTAssertTrue(FileManager.default.fileExists(atPath: url("wmh/Utrecht/0/pre/FLAIR.nii.gz").path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: url("wmh/Singapore/1/wmh.nii.gz").path))
        let store = url("wmh.h5")
        try Fixtures.preprocess(.wmh, input: url("wmh"), output: store, size: 24) { $0.modalities = ["flair", "t1"] }
        XCTAssertEqual(try StoreValidator.validate(store.path), [])
        let reader = try PatchStoreReader(path: store.path)
        XCTAssertEqual(reader.channelNames, ["flair", "t1"])
        XCTAssertEqual(reader.classNames, ["background", "WMH", "other"])
        let patch = try reader.patch(.train, 0)
        XCTAssertEqual(patch.image.count, 2 * 24 * 24)
        let volumes = try reader.volumes(.train)
        XCTAssertEqual(volumes[0].imageFiles.count, 2)
        XCTAssertTrue(volumes[0].imageFiles[1].hasSuffix("pre/T1.nii.gz"))
        try assertMimeWeightsFromLabels(reader)
    }

    /// Without resampling, stored labels equal the source slices and images equal the
    /// source clipped to its 0.5/99.5 percentiles and scaled to [0, 1].
    func testPairsDirectoryStoresExactSlices() throws {
        try Fixtures.pairs(in: url("pairs"), count: 4)
        let store = url("pairs.h5")
        try Fixtures.preprocess(.pairs, input: url("pairs"), output: store, size: 16) { $0.fractions = [2, 1, 1] }
        XCTAssertEqual(try StoreValidator.validate(store.path), [])
        let reader = try PatchStoreReader(path: store.path)
        XCTAssertEqual(reader.numClasses, 3)                    // inferred from the labels
        XCTAssertEqual(reader.classNames, ["background", "class1", "class2"])
        for split in Split.allCases {
            let index = try reader.patchIndex(split)
            let volumes = try reader.volumes(split)
            for i in 0..<reader.count(split) {
                let volume = volumes[index.volume[i]]
                let v = Int(volume.id.dropFirst("case".count))!
                let (image, label) = Fixtures.volume(v, shape: [16, 16, 3], classes: 3)
                // Independent percentile: numpy's linear interpolation.
                let sorted = image.sorted()
                func pct(_ p: Double) -> Float {
                    let h = p / 100 * Double(sorted.count - 1), lo = Int(h)
                    return sorted[lo] + Float(h - Double(lo)) * (sorted[min(lo + 1, sorted.count - 1)] - sorted[lo])
                }
                let lo = pct(0.5), hi = pct(99.5)
                let z = index.slice[i]
                let patch = try reader.patch(split, i)
                XCTAssertEqual(patch.label.map(Float.init), Array(label[(z * 256)..<((z + 1) * 256)]))
                for (stored, raw) in zip(patch.image, image[(z * 256)..<((z + 1) * 256)]) {
                    XCTAssertEqual(stored, (min(max(raw, lo), hi) - lo) / (hi - lo), accuracy: 1e-5)
                }
            }
        }
    }

    func testPairsManifestKeepsSubjectsTogether() throws {
        try Fixtures.pairs(in: url("pairs"), count: 6)
        let store = url("m.h5")
        try Fixtures.preprocess(.pairs, input: url("pairs/manifest.csv"), output: store, size: 16, patch: 8) {
            $0.classes = 4
            $0.classNames = ["bg", "a", "b", "c"]
        }
        XCTAssertEqual(try StoreValidator.validate(store.path), [])
        let reader = try PatchStoreReader(path: store.path)
        XCTAssertEqual(reader.classNames, ["bg", "a", "b", "c"])
        XCTAssertTrue(reader.mimeA[3].isNaN, "class 3 never occurs, so its weight is undefined")
        var owner: [String: Split] = [:]
        for split in Split.allCases {
            for v in try reader.volumes(split) {
                XCTAssertEqual(owner[v.subject] ?? split, split, "\(v.subject) in two splits")
                owner[v.subject] = split
            }
        }
        XCTAssertEqual(owner.count, 3)
        XCTAssertEqual(try reader.classAbsentPatches(.train)[3], reader.count(.train))
    }

    func testSynthIsDeterministic() throws {
        for (name, seed) in [("a", UInt64(7)), ("b", 7), ("c", 8)] {
            _ = try Synth.generate(.acdc, to: url(name).path, count: 2, seed: seed, width: 48, slices: 5)
        }
        let file = "patient002/patient002_frame01.nii.gz"
        let a = try NIfTIVolume.read(url("a/" + file).path), b = try NIfTIVolume.read(url("b/" + file).path)
        XCTAssertEqual(a.voxels, b.voxels)
        XCTAssertEqual(try String(contentsOf: url("a/patient002/Info.cfg")), try String(contentsOf: url("b/patient002/Info.cfg")))
        let c = try NIfTIVolume.read(url("c/" + file).path)
        XCTAssertTrue(a.shape != c.shape || a.voxels != c.voxels)
        // The Info.cfg names the two labelled frames; every structure occurs in each.
        let info = try String(contentsOf: url("a/patient002/Info.cfg"))
        XCTAssertTrue(info.hasPrefix("ED: 1\nES: "))
        let es = Int(info.split(separator: "\n")[1].dropFirst(4))!
        for frame in [1, es] {
            let gt = try NIfTIVolume.read(url(String(format: "a/patient002/patient002_frame%02d_gt.nii.gz", frame)).path)
            XCTAssertEqual(Set(gt.voxels), [0, 1, 2, 3], "frame \(frame)")
        }
    }

    /// The real `h5dump -H -p` lists the documented layout: every group, dataset (type, shape,
    /// chunking, filters) and attribute of the specification.
    func testH5DumpListsDocumentedLayout() throws {
        try Fixtures.pairs(in: url("pairs"), count: 3)
        let store = url("d.h5")
        try Fixtures.preprocess(.pairs, input: url("pairs"), output: store, size: 16, patch: 8)
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/h5dump"), ["-H", "-p", store.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let objects = H5DumpOutline(result.stdout).objects
        let h5Types = ["float32": "H5T_IEEE_F32LE", "float64": "H5T_IEEE_F64LE", "uint8": "H5T_STD_U8LE",
                       "int32": "H5T_STD_I32LE", "int64": "H5T_STD_I64LE", "string": "H5T_STRING"]
        let spec = StoreSpec.v1
        func walk(_ group: GroupSpec, _ prefix: String) {
            for a in group.attributes ?? [] {
                let path = "/" + prefix.dropLast() + "@" + a.name
                XCTAssertNotNil(objects[path], "h5dump does not list attribute \(path)")
            }
            for d in group.datasets ?? [] {
                let path = "/" + prefix + d.name
                guard let body = objects[path] else { XCTFail("h5dump does not list dataset \(path)"); continue }
                XCTAssertTrue(body.contains(h5Types[d.dtype]!), "\(path): \(body)")
                if d.chunks != nil {
                    XCTAssertTrue(body.contains("CHUNKED ( 1, "), "\(path) not one patch per chunk: \(body)")
                    XCTAssertTrue(body.contains("SHUFFLE") && body.contains("COMPRESSION DEFLATE"), "\(path): \(body)")
                }
            }
            for child in group.groups ?? [] {
                for name in child.names ?? [child.name!] {
                    XCTAssertNotNil(objects["/" + prefix + name], "h5dump does not list group \(prefix + name)")
                    walk(child, prefix + name + "/")
                }
            }
        }
        walk(spec.root, "")
        XCTAssertTrue(objects["/train/images"]!.contains("DATASPACE  SIMPLE { ( \(try PatchStoreReader(path: store.path).count(.train)), 1, 8, 8 )"))
    }

    func testCompiledSchemaEqualsTheFile() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("hdf5-schema/patch-store-v1.json")
        let text = try String(contentsOf: file, encoding: .utf8)
        XCTAssertEqual(text.trimmingCharacters(in: .whitespacesAndNewlines), SchemaV1JSON.text.trimmingCharacters(in: .whitespacesAndNewlines),
                       "hdf5-schema/patch-store-v1.json and SchemaV1JSON.swift differ: paste the JSON into the Swift file")
        XCTAssertEqual(StoreSpec.v1.version, StoreSpec.currentVersion)
        for invariant in StoreSpec.v1.invariants { XCTAssertNotNil(StoreValidator.invariants[invariant.id], invariant.id) }
    }
}

/// Full paths of the groups, datasets ("/a/b") and attributes ("/a/b@name") in `h5dump -H` output, with their text.
struct H5DumpOutline {
    var objects: [String: String] = [:]
    static let header = try! Regex(#"(GROUP|DATASET|ATTRIBUTE) "([^"]*)" \{"#, as: (Substring, Substring, Substring).self)

    init(_ text: String) {
        var stack: [(path: String, body: String)] = []
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            for i in stack.indices { stack[i].body += line + "\n" }
            if let match = try? Self.header.wholeMatch(in: line) {
                let parent = stack.last?.path ?? ""
                let name = String(match.output.2)
                let path: String
                switch match.output.1 {
                case "ATTRIBUTE": path = (parent.isEmpty ? "/" : parent) + "@" + name
                case "GROUP" where name == "/": path = ""
                default: path = parent + "/" + name
                }
                stack.append((path, ""))
            } else if line.hasPrefix("}"), let done = stack.popLast() {
                objects[done.path.isEmpty ? "/" : done.path] = done.body
            } else if line.hasSuffix("{") {
                stack.append((stack.last?.path ?? "", ""))   // a nested block (DATATYPE, FILTERS, ...)
            }
        }
    }
}

/// Edge cases of the split.
final class SmallDatasetTests: XCTestCase {
    /// One subject: everything in train, val and test empty (stored contiguous), still valid and readable.
    func testSingleSubjectGivesEmptySplits() throws {
        let dir = try makeTemporaryDirectory("one")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Fixtures.pairs(in: dir.appendingPathComponent("p"), count: 1)
        let store = dir.appendingPathComponent("one.h5")
        try Fixtures.preprocess(.pairs, input: dir.appendingPathComponent("p"), output: store, size: 16)
        XCTAssertEqual(try StoreValidator.validate(store.path), [])
        let reader = try PatchStoreReader(path: store.path)
        XCTAssertEqual(reader.count(.train), 3)
        XCTAssertEqual(reader.count(.val), 0)
        XCTAssertEqual(try reader.volumes(.test), [])
        let summary = try StoreSummary(path: store.path)
        XCTAssertEqual(summary.splits.map(\.patches), [3, 0, 0])
        assertStoreError(try reader.patch(.val, 0), .badInput, file: store.path, "out of range")
    }

    func testInspectOfANonHDF5File() throws {
        let dir = try makeTemporaryDirectory("nh")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("x.h5")
        try Data("not hdf5".utf8).write(to: file)
        assertStoreError(try StoreSummary(path: file.path), .notHDF5, file: file.path, "not an HDF5 file")
        assertStoreError(try StoreSummary(path: file.path + "nope"), .missingFile, file: file.path + "nope", "no such file")
    }
}

extension EndToEndTests {
    /// Parallel loading changes nothing: one worker and three workers write identical stores.
    func testWorkersDoNotChangeTheStore() throws {
        _ = try Synth.generate(.acdc, to: url("acdc").path, count: 4, seed: 9, width: 32, slices: 3)
        for workers in [1, 3] {
            try Fixtures.preprocess(.acdc, input: url("acdc"), output: url("w\(workers).h5"), size: 24, patch: 16) {
                $0.workers = workers
                $0.seed = 4
            }
        }
        let a = try PatchStoreReader(path: url("w1.h5").path), b = try PatchStoreReader(path: url("w3.h5").path)
        for split in Split.allCases {
            XCTAssertEqual(try a.volumes(split), try b.volumes(split))
            XCTAssertEqual(a.count(split), b.count(split))
            for i in 0..<a.count(split) {
                let (pa, pb) = (try a.patch(split, i), try b.patch(split, i))
                XCTAssertEqual(pa.image, pb.image)
                XCTAssertEqual(pa.label, pb.label)
            }
        }
    }
}
