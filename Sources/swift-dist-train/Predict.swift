import ArgumentParser
import Cluster
import Common
import Inference

/// `predict`: a trained model applied to NIfTI scans.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Segment NIfTI scans with a trained checkpoint; labels written on each scan's grid.",
        discussion: """
        Applies the preprocessing of the store the model was trained on (recorded in the \
        checkpoint): per-volume intensity normalisation, slices resampled to the store's slice \
        size and cut into its patches. Predicts slice by slice, resamples the labels back to \
        the scan's grid (nearest) and writes them (uint8) with the scan's header and affine, \
        so they open over the scan in any NIfTI viewer. --in may be a directory of .nii/.nii.gz \
        scans; --out is then a directory (same file names).
          swift-dist-train predict --checkpoint runs/acdc-mime/best.h5 --in scan.nii.gz --out seg.nii.gz
        """)

    @Option(help: "Training checkpoint (best.h5 or last.h5).")
    var checkpoint: String

    @Option(name: .customLong("in"), help: "Scan (.nii/.nii.gz), or a directory of scans.")
    var input: String

    @Option(help: "Output label file (.nii/.nii.gz), or a directory when --in is one.")
    var out: String

    @OptionGroup var batch: BatchOption

    func validate() throws {
        try validating { try Check.outputDirectory(out) }
    }

    func run() throws {
        Job.run {
            try NIfTIPrediction.run(checkpoint: checkpoint, input: input, output: out, batch: batch.batch) { print($0) }
        }
    }
}
