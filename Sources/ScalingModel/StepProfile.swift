/// The measured ENet training step of one rank (`bench model --readiness`): how long it
/// takes, and when backward makes each part of the gradient final.
public struct StepProfile: Codable, Sendable {
    /// Input height and width.
    public var size: Int
    public var batch: Int
    public var threads: Int
    /// Values in the gradient.
    public var parameters: Int
    /// Running statistics averaged over ranks each epoch.
    public var runningStatistics: Int
    public var trainImagesPerSecond: Double
    public var timeline: BackwardTimeline

    enum CodingKeys: String, CodingKey {
        case size, batch, threads
        case parameters = "params", runningStatistics = "running_statistics"
        case trainImagesPerSecond = "train_img_s", timeline = "gradient_readiness"
    }

    /// Seconds of one training step (forward, loss, backward, Adam) without communication.
    public var stepSeconds: Double { Double(batch) / trainImagesPerSecond }

    /// The same step on a machine `factor` times slower (more ranks than cores).
    public func slowed(by factor: Double) -> StepProfile {
        var slow = self
        slow.trainImagesPerSecond /= factor
        slow.timeline = BackwardTimeline(backwardSeconds: timeline.backwardSeconds * factor,
                                         points: timeline.points.map { .init(offset: $0.offset, seconds: $0.seconds * factor) })
        return slow
    }
}
