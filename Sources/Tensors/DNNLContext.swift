/// The oneDNN engine, the one stream, and the scratch workspace that kernels share.
///
/// Everything runs in order on one stream; kernels wait for it before returning,
/// so callers see plain synchronous functions. Kernels keep their tensors in
/// oneDNN's layouts in one workspace, sized for the largest kernel, so use a
/// context (and its kernels) from one thread at a time.
public final class DNNLContext {
    public let engine: Engine
    public let stream: Stream
    /// The workspace's size in bytes: what the largest kernel created so far needs.
    public private(set) var workspaceBytes = 0
    private(set) var workspace: UnsafeMutableRawPointer
    /// Changes whenever the workspace moves; kernels re-attach when it differs from theirs.
    private(set) var workspaceGeneration = 0

    public init() throws {
        engine = try Engine()
        stream = try Stream(engine: engine)
        workspace = .allocate(byteCount: 64, alignment: 4096)
    }

    deinit { workspace.deallocate() }

    /// Grows the workspace to at least `bytes` (at kernel creation, never during calls).
    func reserveWorkspace(_ bytes: Int) {
        guard bytes > workspaceBytes else { return }
        workspace.deallocate()
        workspace = .allocate(byteCount: bytes, alignment: 4096)
        workspaceBytes = bytes
        workspaceGeneration += 1
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
