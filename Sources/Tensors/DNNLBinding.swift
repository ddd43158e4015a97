internal import CDNNL

// Building blocks for kernels that create their oneDNN primitives once and then
// execute them many times without allocating: primitive descriptors with
// queries, primitives with a fixed argument list, memories that view a
// caller's buffer or a workspace, and reorders at plain-layout edges.

/// A oneDNN primitive descriptor: what an operation will run as, before the primitive exists.
final class PrimitiveDescriptor {
    let handle: dnnl_primitive_desc_t

    /// Creates the descriptor for the operation `desc` (a `dnnl_*_desc_t`); backward
    /// operations need the forward descriptor as `hint`; `attributes` add e.g. post-ops.
    init(operation desc: UnsafeRawPointer, engine: Engine, hint: PrimitiveDescriptor? = nil,
         attributes: dnnl_primitive_attr_t? = nil) throws {
        var pd: dnnl_primitive_desc_t?
        try check("dnnl_primitive_desc_create",
                  dnnl_primitive_desc_create(&pd, desc, attributes, engine.handle, hint?.handle))
        handle = pd!
    }

    /// A reorder from `source` to `destination` layout.
    init(reorderFrom source: dnnl_memory_desc_t, to destination: dnnl_memory_desc_t, engine: Engine) throws {
        var src = source, dst = destination
        var pd: dnnl_primitive_desc_t?
        try check("dnnl_reorder_primitive_desc_create",
                  dnnl_reorder_primitive_desc_create(&pd, &src, engine.handle, &dst, engine.handle, nil))
        handle = pd!
    }

    deinit { dnnl_primitive_desc_destroy(handle) }

    /// The memory descriptor oneDNN chose for `what` (e.g. `dnnl_query_src_md`).
    func memory(_ what: dnnl_query_t, index: Int32 = 0) -> dnnl_memory_desc_t {
        dnnl_primitive_desc_query_md(handle, what, index)!.pointee
    }

    /// The implementation's name, e.g. `brgconv:avx512_core` or `ref:any`.
    var implementation: String {
        var info: UnsafePointer<CChar>?
        dnnl_primitive_desc_query(handle, dnnl_query_impl_info_str, 0, &info)
        return info.map { String(cString: $0) } ?? "unknown"
    }
}

/// A primitive with its arguments bound once: `run` executes it without allocating.
final class BoundPrimitive {
    private let handle: dnnl_primitive_t
    private let arguments: UnsafeMutableBufferPointer<dnnl_exec_arg_t>
    private let owners: [AnyObject] // keeps the bound memories alive
    /// The implementation oneDNN picked.
    let implementation: String

    init(_ descriptor: PrimitiveDescriptor, _ bindings: [(Int32, MemoryView)]) throws {
        var primitive: dnnl_primitive_t?
        try check("dnnl_primitive_create", dnnl_primitive_create(&primitive, descriptor.handle))
        handle = primitive!
        implementation = descriptor.implementation
        arguments = .allocate(capacity: bindings.count)
        for (i, (arg, memory)) in bindings.enumerated() {
            arguments[i] = dnnl_exec_arg_t(arg: arg, memory: memory.handle)
        }
        owners = bindings.map { $0.1 }
    }

    deinit {
        dnnl_primitive_destroy(handle)
        arguments.deallocate()
    }

    /// Submits the primitive to `stream` (asynchronous until `stream.wait()`).
    @inline(__always)
    func run(on stream: Stream) throws {
        try check("dnnl_primitive_execute",
                  dnnl_primitive_execute(handle, stream.handle, Int32(arguments.count), arguments.baseAddress))
    }
}

/// A oneDNN memory object with no buffer of its own: it views whatever
/// `point(to:)` gives it (the caller's buffer or a place in a workspace).
final class MemoryView {
    let handle: dnnl_memory_t
    let descriptor: dnnl_memory_desc_t

    init(viewing descriptor: dnnl_memory_desc_t, engine: Engine) throws {
        var desc = descriptor
        var memory: dnnl_memory_t?
        try check("dnnl_memory_create", dnnl_memory_create(&memory, &desc, engine.handle, cdnnl_memory_none()))
        handle = memory!
        self.descriptor = descriptor
    }

    deinit { dnnl_memory_destroy(handle) }

    /// Makes the memory view `pointer` (the owner keeps it alive while primitives run).
    @inline(__always)
    func point(to pointer: UnsafeRawPointer) throws {
        try check("dnnl_memory_set_data_handle", dnnl_memory_set_data_handle(handle, UnsafeMutableRawPointer(mutating: pointer)))
    }
}

/// A float32 memory descriptor with `dims` in layout `tag` (`dnnl_format_tag_any` lets a primitive choose).
func memoryDescriptor(_ dims: [Int], _ tag: dnnl_format_tag_t) throws -> dnnl_memory_desc_t {
    var desc = dnnl_memory_desc_t()
    try check("dnnl_memory_desc_init_by_tag",
              dnnl_memory_desc_init_by_tag(&desc, Int32(dims.count), dnnlDims(dims), dnnl_f32, tag))
    return desc
}

/// Whether two memory descriptors describe the same layout.
func sameLayout(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
    var a = a, b = b
    return dnnl_memory_desc_equal(&a, &b) != 0
}

/// One tensor argument of a primitive as the caller sees it: a plain buffer.
/// When the primitive chose another layout, the edge has a memory in that
/// layout (placed in a workspace at `offset`, see `attach`) and a reorder
/// between the two; otherwise the primitive reads or writes the caller's buffer
/// directly.
final class PlainEdge {
    enum Direction { case input, output }

    /// Views the caller's plain buffer.
    let plain: MemoryView
    /// What the primitive reads or writes: `plain` itself, or a view into the workspace.
    let inner: MemoryView
    private let reorder: BoundPrimitive?
    /// Where `inner` lives in the workspace, and how many bytes it takes there.
    var offset = 0
    let workspaceBytes: Int

    init(plain plainDesc: dnnl_memory_desc_t, inner innerDesc: dnnl_memory_desc_t, _ direction: Direction,
         engine: Engine) throws {
        plain = try MemoryView(viewing: plainDesc, engine: engine)
        if sameLayout(plainDesc, innerDesc) {
            inner = plain
            reorder = nil
            workspaceBytes = 0
        } else {
            inner = try MemoryView(viewing: innerDesc, engine: engine)
            var desc = innerDesc
            workspaceBytes = (dnnl_memory_desc_get_size(&desc) + 63) / 64 * 64
            switch direction {
            case .input:
                let pd = try PrimitiveDescriptor(reorderFrom: plainDesc, to: innerDesc, engine: engine)
                reorder = try BoundPrimitive(pd, [(DNNL_ARG_SRC, plain), (DNNL_ARG_DST, inner)])
            case .output:
                let pd = try PrimitiveDescriptor(reorderFrom: innerDesc, to: plainDesc, engine: engine)
                reorder = try BoundPrimitive(pd, [(DNNL_ARG_SRC, inner), (DNNL_ARG_DST, plain)])
            }
        }
    }

    /// Whether data moves through a reorder at this edge.
    var reorders: Bool { reorder != nil }

    /// Places the inner memory in the workspace starting at `base`. Primitives
    /// write their outputs zero-padded, and every inner input is written by its
    /// reorder within the same call, so other kernels may use the same bytes in between.
    func attach(to base: UnsafeMutableRawPointer) throws {
        if reorders { try inner.point(to: base + offset) }
    }

    /// Points the edge at the caller's buffer.
    @inline(__always)
    func bind(_ pointer: UnsafeRawPointer) throws { try plain.point(to: pointer) }

    /// Runs the reorder, if any: before the primitive for inputs, after it for outputs.
    @inline(__always)
    func transfer(on stream: Stream) throws { try reorder?.run(on: stream) }
}
