/// Voxel counts of one class in a prediction and a reference.
public struct OverlapCounts: Equatable, Sendable {
    /// Voxels labelled with the class in the prediction, |A|.
    public var predicted = 0
    /// Voxels labelled with the class in the reference, |B|.
    public var reference = 0
    /// Voxels labelled with the class in both, |A ∩ B|.
    public var intersection = 0

    public init(prediction: [UInt8], reference: [UInt8], label: UInt8) {
        precondition(prediction.count == reference.count, "prediction and reference differ in size")
        prediction.withUnsafeBufferPointer { p in
            reference.withUnsafeBufferPointer { r in
                for i in 0..<p.count {
                    let a = p[i] == label, b = r[i] == label
                    if a { predicted += 1 }
                    if b { self.reference += 1 }
                    if a && b { intersection += 1 }
                }
            }
        }
    }
}

/// The 3D Dice similarity coefficient of class `label`: 2|A∩B| / (|A| + |B|), A the
/// predicted voxels, B the reference voxels, counted over the whole volume.
///
/// Empty cases (the paper's rules): the class absent from both → 1 (nothing to
/// predict, nothing predicted); absent from exactly one → 0 (the formula gives 0).
/// `prediction` and `reference` are label maps of the same shape.
public func dice(prediction: [UInt8], reference: [UInt8], label: UInt8) -> Double {
    dice(OverlapCounts(prediction: prediction, reference: reference, label: label))
}

/// Dice from precomputed counts, with the same empty-case rule (both empty → 1).
public func dice(_ c: OverlapCounts) -> Double {
    let denominator = c.predicted + c.reference
    if denominator == 0 { return 1 }
    return 2 * Double(c.intersection) / Double(denominator)
}
