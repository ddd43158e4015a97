/// Per channel, the batch mean and inverse standard deviation of a training forward,
/// kept for its backward.
final class BatchStatistics {
    let mean: UnsafeMutablePointer<Float>
    let invStd: UnsafeMutablePointer<Float>

    init(channels: Int) {
        mean = .allocate(capacity: channels)
        mean.initialize(repeating: 0, count: channels)
        invStd = .allocate(capacity: channels)
        invStd.initialize(repeating: 0, count: channels)
    }

    deinit {
        mean.deallocate()
        invStd.deallocate()
    }
}
