import Common
import Foundation
import HDF5
import Network
import Training

/// The checkpoint file: the weights in the named PyTorch layout at the root (so
/// `enet_torch.py --forward` and `model --forward` read it as weights), and under
/// `trainer/` Adam's moments and step, the epoch and step reached, and the run's
/// settings and store record as JSON.
extension TrainingCheckpoint {
    /// The group that holds everything but the weights (which `ENet.loadWeights` skips, as any group).
    static let stateGroup = "trainer"

    /// Writes `path` atomically (temporary file, then rename).
    public static func write(_ path: String, model: ENet, optimizer: Adam, position: Position,
                             settingsJSON: String, storeJSON: String) throws {
        try AtomicFile.write(path) { temporary in
            let file = try H5File.create(temporary)
            try model.writeTensors(to: file)
            let group = try file.createGroup(stateGroup)
            let (m, v) = optimizer.moments
            try file.createDataset("\(stateGroup)/adam_m", of: Float.self, shape: [m.count]).write(UnsafeBufferPointer(m))
            try file.createDataset("\(stateGroup)/adam_v", of: Float.self, shape: [v.count]).write(UnsafeBufferPointer(v))
            try group.setAttribute("adam_step", optimizer.step)
            try group.setAttribute("epoch", position.epoch)
            try group.setAttribute("step", position.step)
            try group.setAttribute("best_dice", position.bestDice)
            try group.setAttribute("settings", settingsJSON)
            try group.setAttribute("store", storeJSON)
            file.close()
        }
    }

    /// Loads weights and optimizer state from `path` into `model` and `optimizer`.
    public static func read(_ path: String, model: ENet, optimizer: Adam) throws -> Position {
        try model.loadWeights(from: path)
        let file = try H5File.open(path)
        defer { file.close() }
        guard file.exists("\(stateGroup)/adam_m") else {
            throw H5Error(path: path, "not a training checkpoint (no trainer/ group): cannot resume from plain weights")
        }
        let group = try file.group(stateGroup)
        let m = try file.read("\(stateGroup)/adam_m", as: Float.self), v = try file.read("\(stateGroup)/adam_v", as: Float.self)
        guard m.count == optimizer.count, v.count == optimizer.count else {
            throw H5Error(path: path, "optimizer state has \(m.count) values, the model \(optimizer.count)")
        }
        let (mm, vv) = optimizer.moments
        for i in 0..<m.count { mm[i] = m[i]; vv[i] = v[i] }
        optimizer.restore(step: try group.attribute("adam_step", as: Int.self)[0])
        return Position(epoch: try group.attribute("epoch", as: Int.self)[0],
                        step: try group.attribute("step", as: Int.self)[0],
                        bestDice: try group.attribute("best_dice", as: Double.self)[0])
    }

    /// The `trainer/store` record of a checkpoint (its store's preprocessing and classes), as
    /// JSON, if any.
    public static func storeRecordJSON(_ path: String) throws -> String? {
        let file = try H5File.open(path)
        defer { file.close() }
        guard file.exists(stateGroup) else { return nil }
        let group = try file.group(stateGroup)
        return group.hasAttribute("store") ? try group.stringAttribute("store").first : nil
    }
}

/// A run's checkpoints (`OUT/last.h5`, `OUT/best.h5`) as the trainer's checkpoint
/// destination: rank 0 writes, the other ranks do nothing.
public struct CheckpointFiles: CheckpointWriting {
    let directory: String
    let model: ENet
    let optimizer: Adam
    let settingsJSON: String
    let storeJSON: String
    let isWriter: Bool

    public init(directory: String, model: ENet, optimizer: Adam, settingsJSON: String, storeJSON: String,
                isWriter: Bool) {
        self.directory = directory
        self.model = model
        self.optimizer = optimizer
        self.settingsJSON = settingsJSON
        self.storeJSON = storeJSON
        self.isWriter = isWriter
    }

    public func write(_ name: String, position: TrainingCheckpoint.Position) throws {
        guard isWriter else { return }
        try TrainingCheckpoint.write(directory + "/" + name, model: model, optimizer: optimizer, position: position,
                                     settingsJSON: settingsJSON, storeJSON: storeJSON)
    }
}
