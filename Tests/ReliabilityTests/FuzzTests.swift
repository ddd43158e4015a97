import Common
import Foundation
import HDF5
import TestSupport
import XCTest

/// Seeded, deterministic fuzzing of every file the program reads, through the built binary
/// (a crash in a subprocess is an outcome to assert on, not the end of the test run).
///
/// For every mutant: exit 0 with a valid output, or exactly one `error:` line and exit 1 or 64;
/// never a signal, a Swift trap, HDF5's own diagnostic stack, a hang, or a half-written output.
/// `SDT_FUZZ_ITERATIONS` (default 8 per target) and `SDT_FUZZ_SEED` (default 12) choose the run;
/// the README reports a long run.
final class FuzzTests: XCTestCase {
    static let iterations = ProcessInfo.processInfo.environment["SDT_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 8
    static let seed = ProcessInfo.processInfo.environment["SDT_FUZZ_SEED"].flatMap(UInt64.init) ?? 12

    var fixture: TinyFixture!
    var dir: URL!

    override func setUpWithError() throws {
        fixture = try TinyFixture.shared()
        dir = try fixture.scratch("fuzz")
    }

    /// Outcomes of one target's mutants, printed as one line for the README.
    struct Tally {
        var target: String
        var succeeded = 0, refused = 0
        var failures: [String] = []

        func report() {
            print("fuzz \(target): \(FuzzTests.iterations) mutants (seed \(FuzzTests.seed)), \(succeeded + refused + failures.count) runs, "
                  + "\(succeeded) exit 0 with valid output, \(refused) clear errors, \(failures.count) failures")
        }
    }

    /// Runs the tool on a mutant and files the outcome; `output` is what a success must leave
    /// valid (checked by `valid`) and a failure must not leave half-written.
    func check(_ arguments: [String], mutant: String, output: String?, into tally: inout Tally,
               valid: (String) -> Bool) throws {
        let result = try cli(arguments, timeout: 60)
        let leftovers = output.map { temporaryFiles(in: (($0 as NSString).deletingLastPathComponent)) } ?? []
        if result.status == 0 && !result.crashed && !result.timedOut {
            if let output, !valid(output) {
                tally.failures.append("\(mutant): exit 0 but \(output) is not valid")
            } else if !leftovers.isEmpty {
                tally.failures.append("\(mutant): exit 0 but left \(leftovers)")
            } else {
                tally.succeeded += 1
            }
            return
        }
        var problems = result.cleanFailureProblems()
        if !leftovers.isEmpty { problems.append("left \(leftovers)") }
        if problems.isEmpty { tally.refused += 1 } else { tally.failures.append("\(mutant) [\(arguments[0])]: \(problems)") }
    }

    func finish(_ tally: Tally) {
        tally.report()
        XCTAssertEqual(tally.failures, [], "\(tally.target): \(tally.failures.count) failing mutants")
    }

    /// A valid evaluation output directory: both files, the JSON parses.
    func validEvaluation(_ directory: String) -> Bool {
        guard let json = FileManager.default.contents(atPath: directory + "/summary.json"),
              (try? JSONSerialization.jsonObject(with: json)) != nil else { return false }
        return (try? String(contentsOfFile: directory + "/per_volume.csv", encoding: .utf8))?.hasPrefix("volume,class") == true
    }

    /// A valid label file: the tool reads it back.
    func validNIfTI(_ path: String) -> Bool {
        (try? cli(["evaluate", "--pred", path, "--gt", path]).status) == 0
    }

    // MARK: NIfTI headers

    /// A small label volume with every class present.
    func labelVolume(_ version: RawNIfTI.Version) -> RawNIfTI {
        var raw = RawNIfTI(dims: [8, 8, 3], uint8s: (0..<192).map { UInt8($0 % 4) })
        raw.version = version
        return raw
    }

    func fuzzHeaders(_ version: RawNIfTI.Version, fields: [Mutate.Field], target: String) throws {
        var tally = Tally(target: target)
        for i in 0..<Self.iterations {
            var rng = SplitMix64(seed: Self.seed, stream: i)
            let raw = labelVolume(version)
            var bytes = raw.bytes
            var what: [String] = []
            for _ in 0...rng.int(below: 2) {
                switch rng.int(below: 5) {
                case 0: what.append(Mutate.flip(&bytes, in: 0..<raw.headerSize, &rng))
                case 1: what.append(Mutate.resize(&bytes, &rng))
                default: what.append(Mutate.field(fields[rng.int(below: fields.count)], of: &bytes, &rng))
                }
            }
            let gz = rng.int(below: 2) == 0
            let mutant = dir.appendingPathComponent("\(target)-\(i).nii" + (gz ? ".gz" : ""))
            try (gz ? Gzip.stored(bytes) : bytes).write(to: mutant)
            let description = "\(target) #\(i) (\(gz ? "gz" : "raw")): " + what.joined(separator: "; ")
            let out = dir.appendingPathComponent("\(target)-\(i)-eval").path
            try check(["evaluate", "--pred", mutant.path, "--gt", mutant.path, "--out", out], mutant: description,
                      output: out + "/summary.json", into: &tally) { _ in self.validEvaluation(out) }
            if i % 3 == 0 {
                let seg = dir.appendingPathComponent("\(target)-\(i)-seg.nii.gz").path
                try check(["predict", "--checkpoint", fixture.checkpoint, "--in", mutant.path, "--out", seg],
                          mutant: description, output: seg, into: &tally, valid: validNIfTI)
            }
        }
        finish(tally)
    }

    func testNIfTI1Headers() throws {
        try fuzzHeaders(.one, fields: Mutate.nifti1Fields, target: "nifti1")
    }

    func testNIfTI2Headers() throws {
        try fuzzHeaders(.two, fields: Mutate.nifti2Fields, target: "nifti2")
    }

    /// Real deflate streams (a file written by `synth`) with broken gzip structure or data.
    func testGzipStreams() throws {
        var tally = Tally(target: "gzip")
        let original = try Data(contentsOf: URL(fileURLWithPath: fixture.nifti + "/patient001/patient001_frame01_gt.nii.gz"))
        for i in 0..<Self.iterations {
            var rng = SplitMix64(seed: Self.seed, stream: i)
            var bytes = original
            let description = "gzip #\(i): " + Mutate.gzip(&bytes, &rng)
            let mutant = dir.appendingPathComponent("gzip-\(i).nii.gz")
            try bytes.write(to: mutant)
            let out = dir.appendingPathComponent("gzip-\(i)-eval").path
            try check(["evaluate", "--pred", mutant.path, "--gt", mutant.path, "--out", out], mutant: description,
                      output: out + "/summary.json", into: &tally) { _ in self.validEvaluation(out) }
        }
        finish(tally)
    }

    // MARK: HDF5 stores and checkpoints

    static let storeAttributes = ["/": ["schema_version", "num_classes", "in_channels", "patch_size", "slice_size",
                                        "patch_stride", "class_names", "channel_names", "split_fractions"],
                                  "train": ["num_patches", "num_volumes"], "test": ["num_patches", "num_volumes"]]
    static let storeDatasets = ["train/labels", "train/images", "test/labels", "test/images", "test/patch_volume",
                                "test/patch_slice", "test/patch_origin", "test/volumes/original_shape",
                                "test/volumes/resampled_spacing_mm", "test/volumes/num_patches", "test/volumes/first_patch",
                                "train/class_voxel_counts", "mime_a", "mime_b", "val/volumes/first_patch"]

    /// Applies one seeded mutation to the HDF5 file at `path`.
    /// `stored`: the datasets whose stored bytes may be flipped.
    func mutateHDF5(_ path: String, attributes: [String: [String]], datasets: [String], stored: [String],
                    _ rng: inout SplitMix64) throws -> String {
        let file = try H5File.open(path, writable: true)
        let kind = rng.int(below: 4)
        if kind == 3, let (address, size, what) = try Mutate.storage(of: stored[rng.int(below: stored.count)], in: file, &rng) {
            file.close()
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            let flipped = Mutate.flip(&bytes, in: address..<(address + size), &rng)
            try bytes.write(to: URL(fileURLWithPath: path))
            return "\(what): \(flipped)"
        }
        defer { file.close() }
        switch kind {
        case 0:
            let group = attributes.keys.sorted()[rng.int(below: attributes.count)]
            let names = attributes[group]!
            let object: H5Object = group == "/" ? file : try file.group(group)
            return try Mutate.attribute(names[rng.int(below: names.count)], of: object, &rng)
        case 1:
            return try Mutate.value(of: try file.dataset(datasets[rng.int(below: datasets.count)]), &rng)
        default:
            return try Mutate.shape(of: datasets[rng.int(below: datasets.count)], in: file, &rng)
        }
    }

    func testStores() throws {
        var tally = Tally(target: "store")
        for i in 0..<Self.iterations {
            var rng = SplitMix64(seed: Self.seed, stream: i)
            let store = dir.appendingPathComponent("store-\(i).h5").path
            try FileManager.default.copyItem(atPath: fixture.store, toPath: store)
            let description = "store #\(i): " + (try mutateHDF5(store, attributes: Self.storeAttributes,
                                                                datasets: Self.storeDatasets,
                                                                stored: ["train/images", "train/labels", "test/images", "test/labels"],
                                                                &rng))
            let out = dir.appendingPathComponent("store-\(i)-eval").path
            try check(["evaluate", "--checkpoint", fixture.checkpoint, "--store", store, "--out", out], mutant: description,
                      output: out + "/summary.json", into: &tally) { _ in self.validEvaluation(out) }
            try check(["inspect", store, "--validate"], mutant: description, output: nil, into: &tally) { _ in true }
            if i % 2 == 0 {
                let run = dir.appendingPathComponent("store-\(i)-run").path
                try check(["train", "--store", store, "--epochs", "1", "--max-steps", "1", "--batch", "2", "--out", run],
                          mutant: description, output: run + "/last.h5", into: &tally, valid: validCheckpoint)
            }
        }
        finish(tally)
    }

    /// A checkpoint that loads: every tensor of the model and the optimizer state.
    func validCheckpoint(_ path: String) -> Bool {
        guard let file = try? H5File.open(path) else { return false }
        return (try? file.read("head.out.weight", as: Float.self).count) == 64 && file.exists("trainer/adam_m")
    }

    static let checkpointAttributes = ["trainer": ["epoch", "step", "adam_step", "best_dice", "settings", "store"]]
    static let checkpointDatasets = ["initial.conv.weight", "b1_0.bn0.running_var", "b1_0.bn0.running_mean",
                                     "b1_0.conv1.weight", "head.out.weight", "trainer/adam_m", "trainer/adam_v",
                                     "b5_1.bn2.weight", "b1_0.prelu0.weight"]

    func testCheckpoints() throws {
        var tally = Tally(target: "checkpoint")
        for i in 0..<Self.iterations {
            var rng = SplitMix64(seed: Self.seed, stream: i)
            let run = dir.appendingPathComponent("checkpoint-\(i)").path
            try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
            let checkpoint = run + "/last.h5"
            try FileManager.default.copyItem(atPath: fixture.checkpoint, toPath: checkpoint)
            let description = "checkpoint #\(i): " + (try mutateHDF5(checkpoint, attributes: Self.checkpointAttributes,
                                                                     datasets: Self.checkpointDatasets,
                                                                     stored: Self.checkpointDatasets, &rng))
            let out = dir.appendingPathComponent("checkpoint-\(i)-eval").path
            try check(["evaluate", "--checkpoint", checkpoint, "--store", fixture.store, "--out", out], mutant: description,
                      output: out + "/summary.json", into: &tally) { _ in self.validEvaluation(out) }
            if i % 2 == 0 {
                let before = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
                let result = try cli(["train", "--store", fixture.store, "--epochs", "2", "--max-steps", "1", "--batch", "2",
                                      "--out", run, "--resume"], timeout: 60)
                if result.status == 0 && !result.crashed {
                    if !validCheckpoint(checkpoint) { tally.failures.append("\(description): resumed, last.h5 invalid") }
                    else { tally.succeeded += 1 }
                } else {
                    let problems = result.cleanFailureProblems()
                    if try problems.isEmpty && Data(contentsOf: URL(fileURLWithPath: checkpoint)) == before {
                        tally.refused += 1
                    } else {
                        tally.failures.append("\(description) [resume]: \(problems)")
                    }
                }
            }
        }
        finish(tally)
    }
}
