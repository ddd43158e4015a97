// swift-tools-version: 6.0
import PackageDescription

// System libraries come from Debian packages (scripts/setup installs them).
// Each C library gets a module map plus a tiny shim for the macros Swift
// cannot import (MPI handles, HDF5 type ids, ...), and exactly one Swift wrapper
// imports it, with `internal import`: no target above the wrappers sees C.
// nifticlib's headers include each other from /usr/include/nifti.
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
        // C libraries, each seen only by the wrapper below it.
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

        // Swift wrappers of the C libraries, and the small shared pieces.
        // MPI: the communicator and its collectives, Job.run (an error on one rank ends all).
        .target(name: "Cluster", dependencies: ["CMPI", "Common"]),
        // HDF5 files, groups, datasets (chunked, compressed, hyperslabs) and attributes.
        .target(name: "HDF5", dependencies: ["CHDF5", "Common"]),
        // oneDNN: engine, stream, the convolution kernels (oneDNN's and the plain-loop reference).
        .target(name: "Tensors", dependencies: ["CDNNL"]),
        // PNG figures: canvas, bitmap font, line charts, overlay grids (libpng simplified API).
        .target(name: "Figures", dependencies: ["CPNG", "Common"]),
        // The program's one error type (`ProgramError`), checked atomic file writes, temporary
        // files removed on a signal, the output lock, limits and flag checks, seeded RNG,
        // progress display, checksums. Every other target may use it.
        .target(name: "Common"),

        // The domain: what is trained, on what, with which loss, and how it is scored.
        // The ENet with explicit forward and backward, its fusion pass, Adam, HDF5 weights.
        .target(name: "Network", dependencies: ["Common", "Tensors", "HDF5"], exclude: ["Ops/README.md"]),
        // The losses and their gradients, pure Swift (no MPI: `global` takes a reduction closure).
        .target(name: "Losses", dependencies: ["Common"]),
        // 3D DSC, HD95 (MedPy definition, exact EDT), volume assembly, reports. Pure Swift.
        .target(name: "Evaluation", dependencies: ["Common"]),
        // NIfTI volumes, preprocessing, the HDF5 patch store (schema v1) and its validation.
        // znz: nifticlib's (gzip) file layer, used directly to read raw voxels.
        .target(name: "PatchStore", dependencies: ["Common", "HDF5", "CNIfTI"], swiftSettings: niftiInclude,
                linkerSettings: [.linkedLibrary("znz")]),
        // ACDC-like and WMH-like NIfTI datasets, and the built-in stores made from them once.
        .target(name: "SyntheticData", dependencies: ["Cluster", "Common", "PatchStore"]),

        // Training: the data-parallel loop knows only MPI and the protocols it trains through;
        // ENetTraining binds them to the ENet, the patch store and the losses (a `train` run).
        .target(name: "Training", dependencies: ["Cluster", "Common"]),
        .target(name: "ENetTraining", dependencies: ["Cluster", "Common", "HDF5", "Losses", "Network", "PatchStore",
                                                     "Tensors", "Training"]),

        // What the commands do with trained weights and with the losses.
        // A checkpoint applied: evaluation on a store's split, prediction of NIfTI scans.
        .target(name: "Inference", dependencies: ["Cluster", "ENetTraining", "Evaluation", "Losses", "Network",
                                                  "PatchStore", "Training"]),
        // The paper's four-loss experiment and its report (Table 1, curves, overlays).
        .target(name: "Experiments", dependencies: ["Cluster", "Common", "ENetTraining", "Evaluation", "Figures",
                                                    "HDF5", "Inference", "Losses", "PatchStore", "SyntheticData",
                                                    "Tensors", "Training"]),
        // `decompose`: each loss on whole volumes against the same assembled from patches over ranks.
        .target(name: "Decompose", dependencies: ["Cluster", "Common", "Losses", "Network", "PatchStore", "Tensors"]),
        // `bench`: the training step and inference, each convolution, store reads.
        .target(name: "Benchmarks", dependencies: ["Common", "ENetTraining", "Losses", "Network", "PatchStore",
                                                   "ScalingModel", "Tensors"]),
        // `bench scaling-model`: α-β-γ costs fitted to `bench allreduce`, the exchange against
        // backward's gradient readiness, weak-scaling predictions, their table and figure.
        .target(name: "ScalingModel", dependencies: ["Figures"]),

        // The command-line tool: thin, every subcommand calls into a library.
        .executableTarget(name: "swift-dist-train", dependencies: [
            "Benchmarks", "Cluster", "Decompose", "ENetTraining", "Evaluation", "Experiments", "HDF5", "Inference",
            "Losses", "Network", "PatchStore", "ScalingModel", "SyntheticData", "Tensors", "Training",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // A small MPI program the multi-rank tests launch with mpirun.
        .executableTarget(name: "mpi-check", dependencies: ["Cluster"]),

        // Test helpers: locating built products, running processes and mpirun.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster", "TestSupport"]),
        .testTarget(name: "HDF5Tests", dependencies: ["HDF5", "Common", "TestSupport"]),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "Common", "TestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Common", "HDF5", "TestSupport"]),
        // config.json files and a checkpoint written by version 0.1.0 still load.
        // A skipped step leaves the model bit for bit as it was.
        .testTarget(name: "ENetTrainingTests", dependencies: ["Cluster", "ENetTraining", "HDF5", "Losses", "Network",
                                                              "PatchStore", "TestSupport", "Training"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "DecomposeTests", dependencies: ["Decompose", "Network", "TestSupport"]),
        .testTarget(name: "CommonTests", dependencies: ["Common"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Common"]),
        .testTarget(name: "LossesTests", dependencies: ["Losses", "Common"]),
        .testTarget(name: "FiguresTests", dependencies: ["Figures", "Common"]),
        .testTarget(name: "ScalingModelTests", dependencies: ["ScalingModel"]),
        .testTarget(name: "NetworkTests", dependencies: ["Network", "Common", "HDF5", "Tensors"],
                    resources: [.copy("Fixtures")]),
        // evaluate, predict and experiment through the built tool, on one tiny trained run.
        .testTarget(name: "ResultsTests", dependencies: ["Inference", "Experiments", "Evaluation", "Network",
                                                         "PatchStore", "TestSupport"]),
        .testTarget(name: "PatchStoreTests", dependencies: ["PatchStore", "SyntheticData", "Benchmarks", "HDF5", "Common",
                                                           "TestSupport"]),
        // Hostile inputs and real faults through the built binary: bad values, untrusted files,
        // full disks (tmpfs, root), signals during writes, and the seeded fuzz suite.
        .testTarget(name: "ReliabilityTests", dependencies: ["TestSupport", "HDF5", "Common"]),
        // jobs/ against a real single-node Slurm (scripts/test-slurm); skipped unless
        // SDT_SLURM_TESTS=1. Launches the built mpi-check and swift-dist-train products.
        .testTarget(name: "JobsTests"),
    ],
    swiftLanguageModes: [.v5]
)
