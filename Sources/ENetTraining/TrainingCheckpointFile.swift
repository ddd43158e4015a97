import Common
import Foundation
import HDF5
import Network
import PatchStore
import Training

/// The checkpoint file: the weights in the named PyTorch layout at the root (so
/// `enet_torch.py --forward` and `model --forward` read it as weights), and under
/// `trainer/` Adam's moments and step, the epoch and step reached, and the run's
/// settings and store record as JSON.
extension TrainingCheckpoint {
    /// The group that holds everything but the weights (which `ENet.loadWeights` skips, as any group).
    static let stateGroup = "trainer"

    /// Writes `path` atomically: the file is built in memory, then written with every call
    /// checked, fsynced and renamed over the previous one (which a failure leaves untouched).
    public static func write(_ path: String, model: ENet, optimizer: Adam, position: Position,
                             settingsJSON: String, storeJSON: String) throws {
        let file = try H5File.createInMemory(path)
        defer { file.close() }
        try model.writeTensors(to: file)
        let group = try file.createGroup(stateGroup)
        let (m, v) = optimizer.moments
        try file.createDataset("\(stateGroup)/adam_m", of: Float.self, shape: [m.count]).write(UnsafeBufferPointer(m))
        try file.createDataset("\(stateGroup)/adam_v", of: Float.self, shape: [v.count]).write(UnsafeBufferPointer(v))
        try group.setAttribute("adam_step", optimizer.step)
        try group.setAttribute("epoch", position.epoch)
        try group.setAttribute("step", position.step)
        try group.setAttribute("best_dice", position.bestDice)
        try group.setAttribute("best_epoch", position.bestEpoch)
        try group.setAttribute("epochs_without_improvement", position.epochsWithoutImprovement)
        try group.setAttribute("settings", settingsJSON)
        try group.setAttribute("store", storeJSON)
        try AtomicFile.write(path, data: try file.image())
    }

    /// Loads weights and optimizer state from `path` into `model` and `optimizer`, checking
    /// everything first (shapes, finite values, a sane position): a damaged checkpoint is an
    /// error naming the file and what is wrong, never NaN weights in a running job.
    public static func read(_ path: String, model: ENet, optimizer: Adam) throws -> Position {
        try model.loadWeights(from: path)
        let file = try H5File.open(path)
        defer { file.close() }
        guard file.exists("\(stateGroup)/adam_m") else {
            throw ProgramError(.checkpoint, path: path, "not a training checkpoint (no trainer/ group): cannot resume from plain weights")
        }
        let group = try file.group(stateGroup)
        var moments: [[Float]] = []
        for name in ["adam_m", "adam_v"] {
            let dataset = try file.dataset("\(stateGroup)/\(name)")
            guard dataset.shape == [optimizer.count] else {
                throw ProgramError(.checkpoint, path: path,
                                   "\(stateGroup)/\(name) has shape \(dataset.shape), the model has \(optimizer.count) parameters")
            }
            let values = try dataset.read(as: Float.self)
            if let bad = values.firstIndex(where: { !$0.isFinite || (name == "adam_v" && $0 < 0) }) {
                throw ProgramError(.checkpoint, path: path, "\(stateGroup)/\(name)[\(bad)] is \(values[bad]): the optimizer state is damaged")
            }
            moments.append(values)
        }
        // Early stopping's attributes came later: a checkpoint without them reads as 0.
        func integer(_ name: String, absent: Int? = nil) throws -> Int {
            if let absent, !group.hasAttribute(name) { return absent }
            guard let value = try group.attribute(name, as: Int.self).first, value >= 0 else {
                throw ProgramError(.checkpoint, path: path, "\(stateGroup) attribute '\(name)' is missing or negative")
            }
            return value
        }
        let position = Position(epoch: try integer("epoch"), step: try integer("step"),
                                bestDice: try group.attribute("best_dice", as: Double.self).first ?? .nan,
                                bestEpoch: try integer("best_epoch", absent: 0),
                                epochsWithoutImprovement: try integer("epochs_without_improvement", absent: 0))
        guard position.bestDice == -.infinity || (0...1).contains(position.bestDice) else {
            throw ProgramError(.checkpoint, path: path, "\(stateGroup) attribute 'best_dice' is \(position.bestDice), not a Dice in [0, 1]")
        }
        let adamStep = try integer("adam_step")
        let (m, v) = optimizer.moments
        for i in 0..<optimizer.count { m[i] = moments[0][i]; v[i] = moments[1][i] }
        optimizer.restore(step: adamStep)
        return position
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

    /// The `trainer/store` record of a checkpoint, decoded; nil when it has none.
    /// - Throws: a `ProgramError` naming the checkpoint when the record is not a store record.
    public static func storeRecord(_ path: String) throws -> StoreRecord? {
        guard let json = try storeRecordJSON(path) else { return nil }
        do {
            return try JSONDecoder().decode(StoreRecord.self, from: Data(json.utf8))
        } catch {
            throw ProgramError(.checkpoint, path: path, "\(stateGroup)/store is not a store description: \(error)")
        }
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
