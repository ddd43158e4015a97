/// The oneDNN engine and the one stream that kernels share by default.
///
/// Everything runs in order on one stream; kernels wait for it before returning,
/// so callers see plain synchronous functions.
public final class DNNLContext {
    public let engine: Engine
    public let stream: Stream

    public init() throws {
        engine = try Engine()
        stream = try Stream(engine: engine)
    }

    private static var sharedContext: DNNLContext?

    /// The process-wide context, created on first use (not thread-safe: create
    /// kernels from one thread, as the trainer does).
    public static func shared() throws -> DNNLContext {
        if let context = sharedContext { return context }
        let context = try DNNLContext()
        sharedContext = context
        return context
    }
}
