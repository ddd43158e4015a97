import Common
import Foundation
import HDF5

/// `model --forward`: the counterpart of `enet_torch.py --forward`, the tool
/// for checking parity with PyTorch.
public enum ForwardFile {
    /// Loads the weights in `weights` (classes and channels from their shapes),
    /// reads dataset `x` (N x C x H x W float32) from `input`, runs the model and
    /// writes dataset `logits` (N x K x H x W) to `output` via a temporary file.
    /// `trainMode` uses batch statistics and (seeded) dropout, like `model.train()`.
    /// Returns the logits' shape.
    @discardableResult
    public static func run(weights: String, input: String, output: String, trainMode: Bool = false,
                           backend: ConvBackend = .reference) throws -> TensorShape {
        let model = try ENet(weights: weights, backend: backend)
        let file = try H5File.open(input)
        let dataset = try file.dataset("x")
        let dims = dataset.shape
        guard dims.count == 4, dims.allSatisfy({ $0 > 0 }), try dataset.elementCount(atMost: H5Dataset.readLimit) > 0 else {
            throw ProgramError(.badInput, path: input, "dataset 'x' has shape \(dims), expected N x C x H x W")
        }
        let shape = TensorShape(dims[0], dims[1], dims[2], dims[3])
        do {
            try model.validate(shape, training: trainMode)
        } catch let error as ProgramError where error.kind == .badInput {
            throw ProgramError(.badInput, path: input, "dataset 'x': \(error.message)")
        }
        let x = try dataset.read(as: Float.self)
        file.close()
        let logits = try model.forward(x, shape: shape, training: trainMode, retainActivations: false)
        let out = model.outputShape
        let result = try H5File.createInMemory(output)
        try result.write("logits", logits, shape: [out.batch, out.channels, out.height, out.width])
        try AtomicFile.write(output, data: try result.image())
        result.close()
        return out
    }
}
