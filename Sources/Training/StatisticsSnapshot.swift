/// A copy of a model's running statistics (BatchNorm means and variances), taken before a
/// step's training forwards and put back when the ranks agree to skip the step: the forwards
/// of a skipped step (say, on a patch holding NaN) must leave no trace in the model.
///
/// Parameters and Adam's moments and step counter need no copy: a skipped step never applies
/// the optimizer, and the next backward overwrites the gradients.
public struct StatisticsSnapshot {
    private var values: [Float] = []

    public init() {}

    /// Copies `model`'s running statistics (reusing this snapshot's buffer).
    public mutating func capture(_ model: TrainableModel) {
        let statistics = model.statistics
        if values.count != statistics.count { values = [Float](repeating: 0, count: statistics.count) }
        for i in statistics.indices { values[i] = statistics[i] }
    }

    /// Writes the captured statistics back into `model`, bit for bit.
    public func restore(into model: TrainableModel) {
        let statistics = model.statistics
        precondition(statistics.count == values.count, "restore() of a snapshot of another model")
        for i in statistics.indices { statistics[i] = values[i] }
    }
}
