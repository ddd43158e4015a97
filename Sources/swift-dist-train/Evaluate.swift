import ArgumentParser
import Cluster
import Common
import Evaluation
import Inference
import PatchStore

/// `evaluate --checkpoint W --store S`: a trained model on a store's test split;
/// `evaluate --pred P --gt G`: scores label volumes that already exist, whatever made them.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a checkpoint on a store's test split, or label volumes against references: 3D Dice and HD95 (mm).",
        discussion: """
        With --checkpoint and --store, every volume of the split is rebuilt from its slices or \
        sub-patches (softmax probabilities averaged over overlaps, then argmax) on the store's \
        grid and scored with the volume's resampled spacing; under mpirun volumes are spread \
        over ranks. With --pred and --gt, P and G are two NIfTI label files, or two directories whose .nii/.nii.gz files are \
        matched by name. HD95 is MedPy's (surfaces = mask minus 6-neighbourhood erosion, both \
        directions pooled, 95th percentile) in mm with the reference header's voxel spacing. \
        A class absent from both reference and prediction scores DSC 1 and HD95 0; present in \
        only one, DSC 0 and HD95 = the scan's diagonal in mm. See docs/evaluation.md.
        """)

    @Option(help: "Training checkpoint (e.g. runs/x/best.h5) to evaluate on --store.")
    var checkpoint: String?

    @Option(help: "Patch store (.h5) whose split is evaluated (with --checkpoint).")
    var store: String?

    @Option(help: "Split evaluated with --checkpoint.")
    var split = Split.test

    @Option(name: .customLong("pred"), help: "Predicted label file, or a directory of them.")
    var prediction: String?

    @Option(name: .customLong("gt"), help: "Reference label file, or a directory matched by file name.")
    var reference: String?

    @Option(help: "Classes K including background; scores 1..<K (default: 1 + the largest label found).")
    var classes: Int?

    @Option(help: "Directory for per_volume.csv and summary.json.")
    var out: String?

    func validate() throws {
        if checkpoint != nil || store != nil {
            guard checkpoint != nil, store != nil, prediction == nil, reference == nil, classes == nil else {
                throw ValidationError("give --checkpoint and --store together (without --pred, --gt, --classes)")
            }
        } else if prediction == nil || reference == nil {
            throw ValidationError("give --pred and --gt, or --checkpoint and --store")
        }
        try validating {
            if let out { try Check.outputDirectory(out) }
            if let classes { try Check.range(classes, Limits.classes, flag: "--classes") }
        }
    }

    func run() throws {
        Job.run {
            if let checkpoint, let store {
                var options = CheckpointEvaluation.Options(checkpoint: checkpoint, store: store)
                options.split = split
                options.out = out
                if let result = try CheckpointEvaluation.run(options, world: Communicator.world) {
                    print(ReportWriter.table(result.summary), terminator: "")
                }
                return
            }
            guard let prediction, let reference else { return }
            let result = try LabelFileEvaluation.evaluate(
                prediction: prediction, reference: reference, classes: classes,
                outputDirectory: out, reader: NIfTILabelReader())
            print(ReportWriter.table(result.summary), terminator: "")
        }
    }
}

/// Label volumes from NIfTI files through PatchStore's reader (x fastest, pixdim spacing).
struct NIfTILabelReader: LabelVolumeReader {
    func readLabels(_ path: String) throws -> LabelVolume {
        let volume = try NIfTIVolume.read(path)
        let (nx, ny, nz) = (volume.shape[0], volume.shape[1], volume.shape[2])
        let spacing = try VoxelSpacing(z: volume.spacing[2], y: volume.spacing[1], x: volume.spacing[0], name: path)
        return try LabelVolume(shape: VolumeShape(depth: nz, height: ny, width: nx, name: path), spacing: spacing,
                               values: volume.voxels, name: path)
    }
}
