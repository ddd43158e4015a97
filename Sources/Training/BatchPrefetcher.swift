import Foundation

/// One batch of patches in contiguous buffers.
public final class Batch {
    public let size: Int
    public var images: [Float]
    public var labels: [UInt8]
    /// Seconds spent reading it.
    public var readSeconds = 0.0

    init(size: Int, channels: Int, height: Int, width: Int) {
        self.size = size
        images = [Float](repeating: 0, count: size * channels * height * width)
        labels = [UInt8](repeating: 0, count: size * height * width)
    }
}

/// Reads upcoming batches on a background thread so a training step never
/// waits on HDF5 while the data is in the page cache. Two batches are in
/// flight: the one being trained on and the next.
public final class BatchPrefetcher {
    private let source: PatchSource
    private let queue = DispatchQueue(label: "batch-prefetcher")
    private var pending: [(indices: [Int], batch: Batch, done: DispatchSemaphore, error: Error?)] = []
    private var spare: [Batch] = []
    private let lock = NSLock()
    private let batchSize: Int

    public init(source: PatchSource, batchSize: Int) {
        self.source = source
        self.batchSize = batchSize
    }

    /// Schedules reading the patches `indices` (at most `batchSize`).
    public func schedule(_ indices: [Int]) {
        lock.lock()
        let batch = spare.popLast() ?? Batch(size: batchSize, channels: source.channels,
                                             height: source.height, width: source.width)
        let done = DispatchSemaphore(value: 0)
        pending.append((indices, batch, done, nil))
        lock.unlock()
        let source = self.source
        queue.async { [self] in
            let start = Date()
            var failure: Error?
            let pixels = source.height * source.width, imageSize = source.channels * pixels
            batch.images.withUnsafeMutableBufferPointer { images in
                batch.labels.withUnsafeMutableBufferPointer { labels in
                    for (i, index) in indices.enumerated() where failure == nil {
                        do {
                            try source.read(index,
                                            image: UnsafeMutableBufferPointer(rebasing: images[(i * imageSize)..<((i + 1) * imageSize)]),
                                            label: UnsafeMutableBufferPointer(rebasing: labels[(i * pixels)..<((i + 1) * pixels)]))
                        } catch { failure = error }
                    }
                }
            }
            batch.readSeconds = Date().timeIntervalSince(start)
            lock.lock()
            if let j = pending.firstIndex(where: { $0.batch === batch }) { pending[j].error = failure }
            lock.unlock()
            done.signal()
        }
    }

    /// The oldest scheduled batch, waiting for it if needed; returns it and the seconds waited.
    public func next() throws -> (Batch, waited: Double) {
        lock.lock()
        precondition(!pending.isEmpty, "next() without schedule()")
        let first = pending[0]
        lock.unlock()
        let start = Date()
        first.done.wait()
        let waited = Date().timeIntervalSince(start)
        lock.lock()
        let entry = pending.removeFirst()
        lock.unlock()
        if let error = entry.error { throw error }
        return (entry.batch, waited)
    }

    /// Waits for every scheduled read to finish (HDF5 is not thread-safe: nothing
    /// else may touch it while a read is in flight).
    public func drain() {
        queue.sync {}
    }

    /// Returns a batch's buffers for reuse once the step is done with them.
    public func recycle(_ batch: Batch) {
        lock.lock()
        spare.append(batch)
        lock.unlock()
    }
}
