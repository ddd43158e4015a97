import Cluster
import Common
import Foundation
import PatchStore

/// The datasets a fresh install trains on: synthetic ACDC-like or WMH-like
/// NIfTI files (`synth`), preprocessed once into a cached patch store.
public enum BuiltInDataset {
    /// What to generate and how to preprocess it.
    public struct Recipe: Equatable {
        public var dataset: SynthDataset
        public var patients: Int
        /// Slices per volume before per-subject variation (ACDC-like volumes vary by one slice).
        public var slices: Int
        public var size: Int
        public var patch: Int?
        /// Train, val, test fractions of patients/subjects.
        public var fractions: [Double]
        public var seed: UInt64 = 0
        /// In-plane size of the generated volumes; nil for `Synth`'s default (96 acdc, 128 wmh).
        public var width: Int?

        public init(dataset: SynthDataset, patients: Int, slices: Int, size: Int, patch: Int? = nil,
                    fractions: [Double] = [0.7, 0.1, 0.2]) {
            self.dataset = dataset
            self.patients = patients
            self.slices = slices
            self.size = size
            self.patch = patch
            self.fractions = fractions
        }

        /// The default for `train` with no `--store`: 28 patients x 2 volumes (ED, ES) of about
        /// 6 slices, whole 128x128 slices, 19/3/6 patients, so 12 test volumes; about as many
        /// train patches per epoch as the 20 patients x 8 slices it replaced (228 against 232).
        public static let acdc = Recipe(dataset: .acdc, patients: 28, slices: 6, size: 128)
        /// WMH-like: 34 subjects of 8 slices, 64x64 sub-patches of 128x128 slices, split 17/7/10 and
        /// stratified so the rare class 2 ("other pathology", about a third of the subjects, a few
        /// slices each) is in every split yet absent from most sub-patches (the paper's regime).
        public static let wmh = Recipe(dataset: .wmh, patients: 34, slices: 8, size: 128, patch: 64,
                                       fractions: [0.5, 0.2, 0.3])

        /// A folder name that changes whenever the recipe does (v2: stratified splits).
        var folder: String {
            "\(dataset.rawValue)-p\(patients)-z\(slices)" + (width.map { "-w\($0)" } ?? "") + "-s\(size)" + (patch.map { "-patch\($0)" } ?? "")
                + "-split" + fractions.map { String(Int(($0 * 100).rounded())) }.joined(separator: "-") + "-seed\(seed)-v2"
        }
    }

    /// `$SDT_CACHE`, else `$XDG_CACHE_HOME/swift-dist-train`, else `~/.cache/swift-dist-train`.
    public static func cacheDirectory(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let dir = environment["SDT_CACHE"], !dir.isEmpty { return dir }
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() + "/.cache")
        return base + "/swift-dist-train"
    }

    /// Generates `recipe`'s NIfTI files in `folder/nifti` and preprocesses them, stratified by
    /// class presence, into `folder/store.h5`.
    @discardableResult
    public static func build(_ recipe: Recipe, in folder: String, programVersion: String) throws -> PreprocessReport {
        let nifti = folder + "/nifti"
        try? FileManager.default.removeItem(atPath: nifti)
        _ = try Synth.generate(recipe.dataset, to: nifti, count: recipe.patients, seed: recipe.seed,
                               width: recipe.width, slices: recipe.slices)
        var options = PreprocessOptions(kind: recipe.dataset == .acdc ? .acdc : .wmh, input: nifti, output: folder + "/store.h5")
        options.size = recipe.size
        options.patch = recipe.patch
        options.fractions = recipe.fractions
        options.stratify = true
        options.seed = recipe.seed
        options.workers = ProcessInfo.processInfo.activeProcessorCount
        options.programVersion = programVersion
        return try Preprocessor.run(options) { _ in }
    }

    /// The store for `recipe`, built on rank 0 if it is not cached yet while the other ranks wait.
    public static func store(_ recipe: Recipe, world: Communicator, programVersion: String) throws -> String {
        let cache = cacheDirectory()
        let folder = cache + "/" + recipe.folder
        let store = folder + "/store.h5"
        var failed = [0]
        if world.isRoot && !FileManager.default.fileExists(atPath: store) {
            do {
                try buildUnlessCached(recipe, cache: cache, programVersion: programVersion)
            } catch {
                failed = [1]
                // Let the other ranks leave the barrier before this rank reports the error.
                try? world.allreduceMax(&failed)
                throw error
            }
        }
        try world.allreduceMax(&failed)
        if failed[0] != 0 { throw ProgramError(.writeFailed, path: folder, "building the built-in dataset failed on rank 0") }
        return store
    }

    /// Builds `recipe` in its folder of `cache` unless another process built it while this one
    /// waited: two jobs on one machine (an array's tasks, two experiments) share the cache, so the
    /// first builds it under the cache's lock while the others wait, then find it built.
    /// Returns whether this call built it.
    @discardableResult
    static func buildUnlessCached(_ recipe: Recipe, cache: String, programVersion: String) throws -> Bool {
        let folder = cache + "/" + recipe.folder
        let lock = try DirectoryLock(cache, waiting: true)
        defer { lock.release() }
        guard !FileManager.default.fileExists(atPath: folder + "/store.h5") else { return false }
        print("building the built-in \(recipe.dataset.rawValue)-like dataset in \(folder) (once)")
        let report = try build(recipe, in: folder, programVersion: programVersion)
        for warning in report.warnings { print("warning: \(warning)") }
        return true
    }
}
