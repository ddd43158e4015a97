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
                linkerSettings: [.linkedLibrary("nifti2")]),

        // Swift wrappers.
        .target(name: "Cluster", dependencies: ["CMPI"]),
        .target(name: "HDF5", dependencies: ["CHDF5"]),
        .target(name: "Tensors", dependencies: ["CDNNL"]),

        // The command-line tool: thin, every subcommand calls into a library.
        .executableTarget(name: "swift-dist-train", dependencies: [
            "Cluster", "HDF5", "Tensors", "CNIfTI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: niftiInclude),

        // A small MPI program the multi-rank tests launch with mpirun.
        .executableTarget(name: "mpi-check", dependencies: ["Cluster"]),

        // Test helpers: locating built products, running processes and mpirun.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster", "TestSupport"]),
        .testTarget(name: "HDF5Tests", dependencies: ["HDF5", "TestSupport"]),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "TestSupport"]),
        // jobs/ against a real single-node Slurm (scripts/test-slurm); skipped unless
        // SDT_SLURM_TESTS=1. Launches the built mpi-check and swift-dist-train products.
        .testTarget(name: "JobsTests"),
    ],
    swiftLanguageModes: [.v5]
)
