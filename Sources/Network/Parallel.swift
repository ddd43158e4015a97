import Dispatch

/// Work split over threads for the non-convolution layers. Splits depend on
/// the data sizes only, never on the thread count, so results are the same
/// with 1 or more threads.
enum Parallel {
    /// Runs `body(i)` for `i` in `0..<count` on up to `threads` threads.
    static func forEach(_ count: Int, threads: Int, _ body: (Int) -> Void) {
        let workers = min(threads, count)
        if workers <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            for i in stride(from: w, to: count, by: workers) { body(i) }
        }
    }

    /// Elements per chunk of element-wise work (a multiple of the 256-value reduction runs).
    static let chunk = 1 << 16

    /// Number of chunks covering `count` elements.
    static func chunks(_ count: Int) -> Int { (count + chunk - 1) / chunk }

    /// Runs `body(chunkIndex, start, length)` over `count` elements in chunks.
    static func forEachChunk(_ count: Int, threads: Int, _ body: (Int, Int, Int) -> Void) {
        forEach(chunks(count), threads: threads) { k in
            let start = k * chunk
            body(k, start, min(chunk, count - start))
        }
    }
}
