import Foundation
import ScalingModel

/// Records one backward pass's reports (`begin`, then `record` after each layer, then `end`).
struct BackwardRecorder {
    private var start: UInt64 = 0
    private(set) var points: [BackwardTimeline.Point] = []
    private(set) var seconds = 0.0

    mutating func begin() {
        points.removeAll(keepingCapacity: true)
        start = DispatchTime.now().uptimeNanoseconds
    }

    mutating func record(offset: Int) {
        points.append(.init(offset: offset, seconds: elapsed))
    }

    mutating func end() {
        seconds = elapsed
    }

    private var elapsed: Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
}
