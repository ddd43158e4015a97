import Common
/// The scores of one class in one volume: a row of `per_volume.csv`.
public struct VolumeScore: Equatable, Codable, Sendable {
    /// The volume's name (e.g. a patient id or file name).
    public let volume: String
    /// The class index scored.
    public let classIndex: Int
    /// 3D Dice coefficient in [0, 1] (`dice(prediction:reference:label:)`, with its empty-case rules).
    public let dice: Double
    /// HD95 in mm (`hausdorff95`, MedPy's definition, with the paper's empty-case rules).
    public let hd95: Double
    /// Voxels of the class in the reference.
    public let labelVoxels: Int
    /// Voxels of the class in the prediction.
    public let predictedVoxels: Int

    public init(volume: String, classIndex: Int, dice: Double, hd95: Double,
                labelVoxels: Int, predictedVoxels: Int) {
        self.volume = volume
        self.classIndex = classIndex
        self.dice = dice
        self.hd95 = hd95
        self.labelVoxels = labelVoxels
        self.predictedVoxels = predictedVoxels
    }
}

/// Scores `prediction` against `reference` for each of `classes` (typically 1..<K: the
/// foreground classes; class 0 may be included too).
///
/// Both volumes must have the same shape; HD95 uses the reference's spacing, and the
/// prediction's spacing must agree with it (to 1e-4 relative) since a mismatch means the
/// two label maps are not on the same grid.
public func scoreVolume(name: String, prediction: LabelVolume, reference: LabelVolume,
                        classes: [Int]) throws -> [VolumeScore] {
    guard prediction.shape == reference.shape else {
        throw ProgramError(.badInput, path: name, "prediction is \(prediction.shape) but the reference is \(reference.shape)")
    }
    guard prediction.spacing.isClose(to: reference.spacing) else {
        throw ProgramError(.badInput, path: name, "prediction spacing \(prediction.spacing) differs from the reference's \(reference.spacing)")
    }
    return try classes.map { k in
        guard let label = UInt8(exactly: k) else {
            throw ProgramError(.badInput, path: name, "class \(k) is not a label in 0...255")
        }
        let counts = OverlapCounts(prediction: prediction.labels, reference: reference.labels, label: label)
        return VolumeScore(
            volume: name, classIndex: k,
            dice: dice(counts),
            hd95: hausdorff95(prediction: prediction.labels, reference: reference.labels, label: label,
                              shape: reference.shape, spacing: reference.spacing),
            labelVoxels: counts.reference, predictedVoxels: counts.predicted)
    }
}
