// swift-tools-version: 6.0
import PackageDescription

// System libraries come from Debian packages (scripts/setup installs them).
// Each C library gets a module map plus a tiny shim for the macros Swift
// cannot import (MPI handles, HDF5 type ids, ...).
let niftiInclude: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-I/usr/include/nifti"])]

let package = Package(
    name: "swift-dist-train",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "swift-dist-train", targets: ["swift-dist-train"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
    ],
    targets: [
        // C libraries.
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5",
                       providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .target(name: "CNIfTI",
                cSettings: [.unsafeFlags(["-I/usr/include/nifti"])],
                linkerSettings: [.linkedLibrary("nifti2"), .linkedLibrary("z")]),

        // Swift wrappers.
        .target(name: "Cluster", dependencies: ["CMPI", "Common"]),
        .target(name: "HDF5", dependencies: ["CHDF5", "Common"]),
        .target(name: "Tensors", dependencies: ["CDNNL"]),
        // Small shared pieces: the program's error type, checked atomic file writes, signal cleanup,
        // limits, seeded RNG, progress display.
        .target(name: "Common"),
        .target(name: "Training", dependencies: ["Cluster", "Common", "Losses", "Network", "PatchStore", "HDF5"],
                swiftSettings: niftiInclude),
        // 3D DSC, HD95 (MedPy definition, exact EDT), volume assembly, reports. Pure Swift.
        .target(name: "Evaluation", dependencies: ["Common"]),
        // Pure Swift: the losses and their gradients (no MPI: `global` takes a reduction closure).
        .target(name: "Losses", dependencies: ["Common"]),
        // `decompose`: each loss on whole volumes against the same assembled from patches over ranks.
        .target(name: "Decompose", dependencies: ["Cluster", "Losses", "Network", "PatchStore", "Tensors"],
                swiftSettings: niftiInclude),
        // PNG figures: canvas, bitmap font, line charts, overlay grids (libpng simplified API).
        .target(name: "Figures", dependencies: ["CPNG", "Common"]),
        .target(name: "Network", dependencies: ["Common", "Tensors", "HDF5"], exclude: ["Ops/README.md"]),
        // NIfTI volumes, synthetic datasets, preprocessing, the HDF5 patch store (schema v1).
        // znz: nifticlib's (gzip) file layer, used directly to read raw voxels.
        .target(name: "PatchStore", dependencies: ["Common", "HDF5", "CHDF5", "CNIfTI"], swiftSettings: niftiInclude,
                linkerSettings: [.linkedLibrary("znz")]),

        // Checkpoints to results: test-split evaluation (3D DSC, HD95), NIfTI prediction,
        // the four-loss experiment and its report (Table 1, curves, overlays).
        .target(name: "Results", dependencies: ["Cluster", "Common", "Evaluation", "Figures", "HDF5", "Losses", "Network",
                                                "PatchStore", "Tensors", "Training"],
                swiftSettings: niftiInclude),

        // The command-line tool: thin, every subcommand calls into a library.
        .executableTarget(name: "swift-dist-train", dependencies: [
            "Cluster", "HDF5", "Tensors", "Network", "PatchStore", "Training", "Decompose", "CNIfTI", "Evaluation",
            "Results",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: niftiInclude),

        // A small MPI program the multi-rank tests launch with mpirun.
        .executableTarget(name: "mpi-check", dependencies: ["Cluster"]),

        // Test helpers: locating built products, running processes and mpirun.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster", "TestSupport"]),
        .testTarget(name: "HDF5Tests", dependencies: ["HDF5", "Common", "TestSupport"]),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "Common", "TestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Common", "HDF5", "TestSupport"]),
        .testTarget(name: "DecomposeTests", dependencies: ["Decompose", "Network", "TestSupport"]),
        .testTarget(name: "CommonTests", dependencies: ["Common"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Common"]),
        .testTarget(name: "LossesTests", dependencies: ["Losses", "Common"]),
        .testTarget(name: "FiguresTests", dependencies: ["Figures", "Common"]),
        .testTarget(name: "NetworkTests", dependencies: ["Network", "Common", "HDF5", "Tensors"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ResultsTests", dependencies: ["Results", "Evaluation", "Network", "PatchStore", "TestSupport"],
                    swiftSettings: niftiInclude),
        .testTarget(name: "PatchStoreTests", dependencies: ["PatchStore", "HDF5", "CHDF5", "CNIfTI", "TestSupport"],
                    swiftSettings: niftiInclude),
        // Hostile inputs and real faults through the built binary: bad values, untrusted files,
        // full disks (tmpfs, root), signals during writes, and the seeded fuzz suite.
        .testTarget(name: "ReliabilityTests", dependencies: ["TestSupport", "HDF5", "CHDF5", "Common"]),
        // jobs/ against a real single-node Slurm (scripts/test-slurm); skipped unless
        // SDT_SLURM_TESTS=1. Launches the built mpi-check and swift-dist-train products.
        .testTarget(name: "JobsTests"),
    ],
    swiftLanguageModes: [.v5]
)
