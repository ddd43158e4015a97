internal import CDNNL

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
