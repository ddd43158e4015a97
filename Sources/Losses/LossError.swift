/// What can go wrong when configuring or evaluating a loss. Non-finite values are not errors:
/// they are reported in `LossResult` so the trainer can skip the step.
public enum LossError: Error, CustomStringConvertible, Equatable {
    /// A loss name that `LossKind` does not know.
    case unknownLoss(String)
    /// A Dice scope name that `DiceScope` does not know.
    case unknownScope(String)
    /// A buffer whose element count does not match the shape.
    case sizeMismatch(buffer: String, expected: Int, actual: Int)
    /// A label outside `0 ..< classes`.
    case labelOutOfRange(label: Int, index: Int, classes: Int)
    /// Mime without weights, or weights for a different number of classes.
    case mimeWeights(String)
    /// A class with no voxel in the training split (its a_k would be infinite); names the class.
    case classAbsentFromTraining(classIndex: Int, className: String)
    /// A class covering every voxel of the training split (its b_k would be infinite).
    case classCoversEverything(classIndex: Int, className: String)
    /// The `global` scope got neither the statistics summed over ranks nor a reduction closure.
    case missingReduction
    /// The summed statistics (or the reduction closure's result) have another length.
    case reductionChangedLength(expected: Int, actual: Int)
    /// An invalid option value.
    case invalidOption(String)

    public var description: String {
        switch self {
        case .unknownLoss(let name):
            return "losses: unknown loss '\(name)' (expected one of \(LossKind.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .unknownScope(let name):
            return "losses: unknown dice scope '\(name)' (expected patch, batch or global)"
        case .sizeMismatch(let buffer, let expected, let actual):
            return "losses: \(buffer) has \(actual) elements, the shape needs \(expected)"
        case .labelOutOfRange(let label, let index, let classes):
            return "losses: label \(label) at element \(index) is not a class index (0..<\(classes))"
        case .mimeWeights(let problem):
            return "losses: mime weights: \(problem)"
        case .classAbsentFromTraining(let index, let name):
            return "losses: mime weights: class \(index) (\(name)) has no voxel in the training split, so a_k = 1/0; set a and b explicitly (--mime-a, --mime-b)"
        case .classCoversEverything(let index, let name):
            return "losses: mime weights: class \(index) (\(name)) covers every voxel of the training split, so b_k = 1/0; set a and b explicitly (--mime-a, --mime-b)"
        case .missingReduction:
            return "losses: dice scope 'global' needs the statistics summed across ranks (summedStatistics or a reduction closure)"
        case .reductionChangedLength(let expected, let actual):
            return "losses: the statistics summed across ranks have \(actual) values, expected \(expected)"
        case .invalidOption(let problem):
            return "losses: \(problem)"
        }
    }
}
