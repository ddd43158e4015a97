import ArgumentParser
import Cluster
import Common
import Network

/// `model`: inspect the ENet (`--summary`) or run it on an HDF5 input (`--forward`).
struct Model: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the ENet summary, or run the network on an HDF5 input (parity with enet_torch.py).",
        discussion: """
        swift-dist-train model --summary --in-channels 1 --classes 4 [--size 256]
        swift-dist-train model --forward W.h5 --input X.h5 --output Y.h5 [--train-mode]
          reads dataset 'x' (N x C x H x W float32) and writes dataset 'logits';
          classes and channels come from the weights' shapes.
        swift-dist-train model --export-weights W.h5 [--in-channels 1 --classes 4 --seed 0]
          writes the seeded initial weights (state-dict names, PyTorch layouts).
        """)

    @Flag(help: "Print blocks, output shapes, parameter counts and forward GFLOP per image.")
    var summary = false

    @Option(help: "Input channels (for --summary).")
    var inChannels = 1

    @Option(help: "Number of classes (for --summary).")
    var classes = 4

    @Option(help: "Image height and width for --summary (a multiple of 8).")
    var size = 256

    @Option(help: "Weights file (HDF5, state-dict names) to run forward with.")
    var forward: String?

    @Option(help: "Input HDF5 file with dataset 'x' (for --forward).")
    var input: String?

    @Option(help: "Output HDF5 file for dataset 'logits' (for --forward).")
    var output: String?

    @Flag(help: "Forward in training mode (batch statistics, dropout), like model.train().")
    var trainMode = false

    @Option(help: "Write the seeded initial weights to this HDF5 file.")
    var exportWeights: String?

    @OptionGroup var seed: SeedOption

    func validate() throws {
        guard [summary, forward != nil, exportWeights != nil].filter({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --summary, --forward or --export-weights")
        }
        if forward != nil, input == nil || output == nil {
            throw ValidationError("--forward needs --input and --output")
        }
        try validating {
            try Check.range(inChannels, Limits.channels, flag: "--in-channels")
            try Check.range(classes, 1...Limits.classes.upperBound, flag: "--classes")
            try Check.side(size, flag: "--size")
        }
    }

    func run() throws {
        Job.run {
            if let weights = forward, let input, let output {
                let shape = try ForwardFile.run(weights: weights, input: input, output: output, trainMode: trainMode)
                print("wrote logits \(shape) to \(output)")
            } else if let path = exportWeights {
                try ENet(inChannels: inChannels, classes: classes, seed: seed.seed).saveWeights(to: path)
            } else {
                print(try ENet(inChannels: inChannels, classes: classes).summary(height: size, width: size).table)
            }
        }
    }
}
