import Common

/// What can go wrong when configuring or evaluating a loss, as the program's `ProgramError`.
/// Non-finite values are not errors: they are reported in `LossResult` so the trainer can skip the step.
public enum LossError {
    /// A loss name that `LossKind` does not know.
    public static func unknownLoss(_ name: String) -> ProgramError {
        .invalidValue("--loss: unknown loss '\(name)' (expected one of \(LossKind.allCases.map(\.rawValue).joined(separator: ", ")))")
    }

    /// A Dice scope name that `DiceScope` does not know.
    public static func unknownScope(_ name: String) -> ProgramError {
        .invalidValue("--dice-scope: unknown dice scope '\(name)' (expected patch, batch or global)")
    }

    /// A buffer whose element count does not match the shape.
    public static func sizeMismatch(buffer: String, expected: Int, actual: Int) -> ProgramError {
        ProgramError(.badInput, path: nil, "losses: \(buffer) has \(actual) elements, the shape needs \(expected)")
    }

    /// A label outside `0 ..< classes`.
    public static func labelOutOfRange(label: Int, index: Int, classes: Int) -> ProgramError {
        ProgramError(.labelOutOfRange, path: nil, "losses: label \(label) at element \(index) is not a class index (0..<\(classes))")
    }

    /// Mime without weights, or weights for a different number of classes.
    public static func mimeWeights(_ problem: String) -> ProgramError {
        .invalidValue("losses: mime weights: \(problem)")
    }

    /// A class with no voxel in the training split (its a_k would be infinite); names the class.
    public static func classAbsentFromTraining(classIndex: Int, className: String) -> ProgramError {
        ProgramError(.badInput, path: nil, "losses: mime weights: class \(classIndex) (\(className)) has no voxel in the training split, "
                     + "so a_k = 1/0; set a and b explicitly (--mime-a, --mime-b)")
    }

    /// A class covering every voxel of the training split (its b_k would be infinite).
    public static func classCoversEverything(classIndex: Int, className: String) -> ProgramError {
        ProgramError(.badInput, path: nil, "losses: mime weights: class \(classIndex) (\(className)) covers every voxel of the training "
                     + "split, so b_k = 1/0; set a and b explicitly (--mime-a, --mime-b)")
    }

    /// The `global` scope got neither the statistics summed over ranks nor a reduction closure.
    public static var missingReduction: ProgramError {
        ProgramError(.failed, path: nil,
                     "losses: dice scope 'global' needs the statistics summed across ranks (summedStatistics or a reduction closure)")
    }

    /// The summed statistics (or the reduction closure's result) have another length.
    public static func reductionChangedLength(expected: Int, actual: Int) -> ProgramError {
        ProgramError(.failed, path: nil, "losses: the statistics summed across ranks have \(actual) values, expected \(expected)")
    }

    /// An invalid option value.
    public static func invalidOption(_ problem: String) -> ProgramError {
        .invalidValue("losses: \(problem)")
    }
}
