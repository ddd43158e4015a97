/// When each part of the flat gradient buffer becomes final during a backward pass, in
/// seconds after backward starts: what the gradient exchange can overlap.
///
/// `ENet.backward` reports after each layer the offset from which `gradients[offset...]`
/// is final; `points[j]` is the j-th report (offsets non-increasing, the last one 0).
/// A bucket `lower..<upper` can go out at the first point whose offset is at most `lower`,
/// and `backwardSeconds` minus that time is the backward work left to hide it behind.
/// Times are medians over steps, point by point.
public struct BackwardTimeline: Codable, Sendable, Equatable {
    public struct Point: Codable, Sendable, Equatable {
        /// `gradients[offset...]` is final from this time on.
        public var offset: Int
        /// Seconds after backward started.
        public var seconds: Double

        public init(offset: Int, seconds: Double) {
            self.offset = offset
            self.seconds = seconds
        }
    }

    public var backwardSeconds: Double
    public var points: [Point]

    enum CodingKeys: String, CodingKey {
        case backwardSeconds = "backward_s", points
    }

    public init(backwardSeconds: Double, points: [Point]) {
        self.backwardSeconds = backwardSeconds
        self.points = points
    }

    /// The median timeline of several recorded passes (each the same sequence of offsets).
    public init(medianOf passes: [(backwardSeconds: Double, points: [Point])]) {
        precondition(!passes.isEmpty, "no backward pass recorded")
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        backwardSeconds = median(passes.map(\.backwardSeconds))
        points = passes[0].points.indices.map { j in
            Point(offset: passes[0].points[j].offset, seconds: median(passes.map { $0.points[j].seconds }))
        }
    }

    /// Seconds after backward starts at which `gradients[offset...]` is final.
    public func finalTime(from offset: Int) -> Double {
        points.first { $0.offset <= offset }?.seconds ?? backwardSeconds
    }
}
