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
        public var size: Int
        public var patch: Int?
        public var seed: UInt64 = 0

        public init(dataset: SynthDataset, patients: Int, size: Int, patch: Int? = nil) {
            self.dataset = dataset
            self.patients = patients
            self.size = size
            self.patch = patch
        }

        /// The default for `train` with no `--store`.
        public static let acdc = Recipe(dataset: .acdc, patients: 20, size: 128)
        /// WMH-like: sub-patches, so class 2 is absent from most of them (the paper's regime).
        public static let wmh = Recipe(dataset: .wmh, patients: 16, size: 128, patch: 64)

        /// A folder name that changes whenever the recipe does.
        var folder: String {
            "\(dataset.rawValue)-p\(patients)-s\(size)" + (patch.map { "-patch\($0)" } ?? "") + "-seed\(seed)-v1"
        }
    }

    /// `$SDT_CACHE`, else `$XDG_CACHE_HOME/swift-dist-train`, else `~/.cache/swift-dist-train`.
    public static func cacheDirectory(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let dir = environment["SDT_CACHE"], !dir.isEmpty { return dir }
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() + "/.cache")
        return base + "/swift-dist-train"
    }

    /// The store for `recipe`, built on rank 0 if it is not cached yet while the other ranks wait.
    public static func store(_ recipe: Recipe, world: Communicator, programVersion: String) throws -> String {
        let folder = cacheDirectory() + "/" + recipe.folder
        let store = folder + "/store.h5"
        var failed = [0]
        if world.isRoot && !FileManager.default.fileExists(atPath: store) {
            do {
                print("building the built-in \(recipe.dataset.rawValue)-like dataset in \(folder) (once)")
                let nifti = folder + "/nifti"
                try? FileManager.default.removeItem(atPath: nifti)
                _ = try Synth.generate(recipe.dataset, to: nifti, count: recipe.patients, seed: recipe.seed)
                var options = PreprocessOptions(kind: recipe.dataset == .acdc ? .acdc : .wmh, input: nifti, output: store)
                options.size = recipe.size
                options.patch = recipe.patch
                options.seed = recipe.seed
                options.workers = ProcessInfo.processInfo.activeProcessorCount
                options.programVersion = programVersion
                _ = try Preprocessor.run(options) { _ in }
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
}
