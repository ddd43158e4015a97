import Common
import Foundation
import HDF5

/// Weights as HDF5: one float32 dataset per state-dict tensor at the file's root, named
/// and shaped exactly like PyTorch's (`initial.conv.weight` is `[15, 1, 3, 3]`), running
/// statistics included, so checkpoints move between this program and the reference.
/// Groups hold something else (a training checkpoint keeps its optimizer state and
/// settings in one) and are not read.
extension ENet {
    /// Writes every tensor to `path` (built in memory, then written atomically with checked I/O).
    public func saveWeights(to path: String) throws {
        let file = try H5File.createInMemory(path)
        defer { file.close() }
        try writeTensors(to: file)
        try AtomicFile.write(path, data: try file.image())
    }

    /// Writes every tensor as a dataset at the root of `file`.
    public func writeTensors(to file: H5File) throws {
        for tensor in store.tensors {
            let dataset = try file.createDataset(tensor.name, of: Float.self, shape: tensor.shape)
            try dataset.write(UnsafeBufferPointer(start: store.values(tensor), count: tensor.count))
        }
    }

    /// Reads every tensor from `path`. The file must hold exactly this model's
    /// tensors with the same shapes; a mismatch names the file and the tensor.
    public func loadWeights(from path: String) throws {
        let file = try H5File.open(path)
        defer { file.close() }
        let names = try ENet.datasetNames(in: file)
        let expected = Set(store.tensors.map(\.name))
        if let extra = names.first(where: { !expected.contains($0) }) {
            throw NetworkError.checkpoint(path: path, tensor: extra, message: "not a tensor of this model "
                                          + "(ENet with \(inChannels) input channels and \(classes) classes)")
        }
        // Read everything into a copy first so a failure leaves the model unchanged.
        var loaded: [(NamedTensor, [Float])] = []
        for tensor in store.tensors {
            guard file.exists(tensor.name) else {
                throw NetworkError.checkpoint(path: path, tensor: tensor.name, message: "missing")
            }
            let dataset = try file.dataset(tensor.name)
            guard dataset.shape == tensor.shape else {
                throw NetworkError.checkpoint(path: path, tensor: tensor.name,
                                              message: "shape \(dataset.shape), the model expects \(tensor.shape)")
            }
            guard dataset.elementType.kind == "float" else {
                throw NetworkError.checkpoint(path: path, tensor: tensor.name, message: "not a floating-point dataset")
            }
            let values = try dataset.read(as: Float.self)
            // NaN weights evaluate as an all-background model and train as NaN: refuse them here.
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw NetworkError.checkpoint(path: path, tensor: tensor.name,
                                              message: "element \(bad) is \(values[bad]): the weights are damaged")
            }
            if tensor.name.hasSuffix("running_var"), let bad = values.firstIndex(where: { $0 < 0 }) {
                throw NetworkError.checkpoint(path: path, tensor: tensor.name, message: "element \(bad) is a negative variance \(values[bad])")
            }
            loaded.append((tensor, values))
        }
        for (tensor, values) in loaded {
            values.withUnsafeBufferPointer { store.values(tensor).update(from: $0.baseAddress!, count: tensor.count) }
        }
    }

    /// Input channels and classes of the ENet whose weights are in `path`,
    /// read from the shapes of `initial.conv.weight` and `head.out.weight`.
    public static func architecture(ofWeights path: String) throws -> (inChannels: Int, classes: Int) {
        let file = try H5File.open(path)
        defer { file.close() }
        func shape(_ name: String) throws -> [Int] {
            guard file.exists(name) else {
                throw NetworkError.checkpoint(path: path, tensor: name, message: "missing (is this an ENet weights file?)")
            }
            let shape = try file.dataset(name).shape
            guard shape.count == 4 else {
                throw NetworkError.checkpoint(path: path, tensor: name, message: "shape \(shape) is not a conv weight")
            }
            return shape
        }
        let initial = try shape("initial.conv.weight"), head = try shape("head.out.weight")
        guard Limits.channels.contains(initial[1]), initial[0] == 16 - initial[1] else {
            throw NetworkError.checkpoint(path: path, tensor: "initial.conv.weight",
                                          message: "shape \(initial): outputs + inputs must be 16, with 1...15 inputs")
        }
        guard (1...Limits.classes.upperBound).contains(head[0]) else {
            throw NetworkError.checkpoint(path: path, tensor: "head.out.weight",
                                          message: "shape \(head): 1...\(Limits.classes.upperBound) classes expected")
        }
        return (initial[1], head[0])
    }

    /// A model built to fit the weights in `path` and loaded from it.
    public convenience init(weights path: String, backend: ConvBackend = .reference) throws {
        let (inChannels, classes) = try ENet.architecture(ofWeights: path)
        self.init(inChannels: inChannels, classes: classes, backend: backend)
        try loadWeights(from: path)
    }

    /// Names of the datasets at the file's root (h5py writes a state dict's dotted names flat).
    static func datasetNames(in file: H5File) throws -> [String] {
        try file.children().filter { (try? file.dataset($0)) != nil }
    }
}
