import CDNNL

/// A oneDNN CPU engine: where primitives are created and memory lives.
public final class Engine {
    let handle: dnnl_engine_t

    /// Creates the CPU engine.
    public init() throws {
        var engine: dnnl_engine_t?
        try check("dnnl_engine_create", dnnl_engine_create(&engine, dnnl_cpu, 0))
        handle = engine!
    }

    deinit { dnnl_engine_destroy(handle) }
}

/// An execution stream on an engine; primitives run in order on it.
public final class Stream {
    let handle: dnnl_stream_t

    public init(engine: Engine) throws {
        var stream: dnnl_stream_t?
        try check("dnnl_stream_create", dnnl_stream_create(&stream, engine.handle, dnnl_stream_default_flags.rawValue))
        handle = stream!
    }

    /// Blocks until every primitive submitted so far has finished.
    public func wait() throws {
        try check("dnnl_stream_wait", dnnl_stream_wait(handle))
    }

    deinit { dnnl_stream_destroy(handle) }
}

/// A oneDNN memory object: a descriptor (dims, type, layout) and its buffer,
/// allocated and owned by oneDNN.
public final class Memory {
    let handle: dnnl_memory_t
    /// The memory's descriptor.
    public let descriptor: dnnl_memory_desc_t

    /// Allocates float32 memory with `dims` in the plain layout `format` (e.g. `dnnl_nchw`).
    public convenience init(dims: [Int], format: dnnl_format_tag_t, engine: Engine) throws {
        var desc = dnnl_memory_desc_t()
        try check("dnnl_memory_desc_init_by_tag",
                  dnnl_memory_desc_init_by_tag(&desc, Int32(dims.count), dnnlDims(dims), dnnl_f32, format))
        try self.init(descriptor: desc, engine: engine)
    }

    /// Allocates memory for `descriptor` (e.g. one a primitive asked for).
    public init(descriptor: dnnl_memory_desc_t, engine: Engine) throws {
        var desc = descriptor
        var memory: dnnl_memory_t?
        try check("dnnl_memory_create", dnnl_memory_create(&memory, &desc, engine.handle, cdnnl_memory_allocate()))
        handle = memory!
        self.descriptor = descriptor
    }

    deinit { dnnl_memory_destroy(handle) }

    /// The number of float elements the buffer holds (including any layout padding).
    public var capacity: Int {
        var desc = descriptor
        return dnnl_memory_desc_get_size(&desc) / MemoryLayout<Float>.size
    }

    /// The buffer as floats. Valid while the memory is alive.
    public var floats: UnsafeMutableBufferPointer<Float> {
        var pointer: UnsafeMutableRawPointer?
        dnnl_memory_get_data_handle(handle, &pointer)
        return UnsafeMutableBufferPointer(start: pointer!.assumingMemoryBound(to: Float.self), count: capacity)
    }

    /// Copies `values` into the buffer (plain layouts: in element order).
    public func copy(from values: [Float]) {
        precondition(values.count <= capacity, "more values than the memory holds")
        let buffer = floats
        for i in values.indices { buffer[i] = values[i] }
    }

    /// The buffer's first `count` floats (all by default).
    public func toArray(count: Int? = nil) -> [Float] {
        Array(floats.prefix(count ?? capacity))
    }
}

/// A created oneDNN primitive (convolution, reorder, ...), ready to execute.
public final class Primitive {
    let handle: dnnl_primitive_t
    /// The name of the implementation oneDNN picked, e.g. `jit:avx512_core` or `ref:any`.
    public let implementation: String

    /// Creates the primitive from an operation descriptor (`desc` points to a
    /// `dnnl_*_desc_t`) on `engine`.
    init(operation desc: UnsafeRawPointer, engine: Engine) throws {
        var pd: dnnl_primitive_desc_t?
        try check("dnnl_primitive_desc_create", dnnl_primitive_desc_create(&pd, desc, nil, engine.handle, nil))
        defer { dnnl_primitive_desc_destroy(pd) }
        var info: UnsafePointer<CChar>?
        dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &info)
        implementation = info.map { String(cString: $0) } ?? "unknown"
        var primitive: dnnl_primitive_t?
        try check("dnnl_primitive_create", dnnl_primitive_create(&primitive, pd))
        handle = primitive!
    }

    deinit { dnnl_primitive_destroy(handle) }

    /// Runs the primitive on `stream` with `(argument id, memory)` pairs, e.g. `(DNNL_ARG_SRC, x)`.
    public func execute(on stream: Stream, _ arguments: [(Int32, Memory)]) throws {
        let args = arguments.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.handle) }
        try check("dnnl_primitive_execute", dnnl_primitive_execute(handle, stream.handle, Int32(args.count), args))
    }
}

/// Facts about the oneDNN library in use.
public enum DNNLInfo {
    /// The library version, e.g. "2.6.3".
    public static var version: String {
        let v = dnnl_version()!.pointee
        return "\(v.major).\(v.minor).\(v.patch)"
    }

    /// The instruction set oneDNN's JIT dispatches to on this CPU.
    public static var isa: String {
        switch dnnl_get_effective_cpu_isa() {
        case dnnl_cpu_isa_sse41: return "sse41"
        case dnnl_cpu_isa_avx: return "avx"
        case dnnl_cpu_isa_avx2: return "avx2"
        case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni"
        case dnnl_cpu_isa_avx512_mic, dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic"
        case dnnl_cpu_isa_avx512_core: return "avx512_core"
        case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni"
        case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16"
        case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx"
        default: return "generic"
        }
    }
}
