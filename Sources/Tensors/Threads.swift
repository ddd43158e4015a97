#if canImport(Glibc)
import Glibc
#endif

/// The OpenMP thread pool oneDNN computes on.
///
/// oneDNN is built against libgomp; its `omp_*` functions are looked up at run
/// time (the linker does not see libgomp, which comes in through libdnnl).
public enum Threads {
    private typealias GetFunction = @convention(c) () -> Int32
    private typealias SetFunction = @convention(c) (Int32) -> Void

    private static func symbol<T>(_ name: String, as type: T.Type) -> T? {
        guard let pointer = dlsym(nil, name) else { return nil } // nil is RTLD_DEFAULT
        return unsafeBitCast(pointer, to: type)
    }

    /// The number of threads oneDNN will use (`omp_get_max_threads`).
    public static var count: Int {
        symbol("omp_get_max_threads", as: GetFunction.self).map { Int($0()) } ?? 1
    }

    /// Sets the number of threads (like `OMP_NUM_THREADS`, but at run time).
    /// OpenMP keeps it per calling thread, and oneDNN fixes a convolution's work
    /// split when the primitive is created: call this on the thread that runs
    /// the kernels, before creating them.
    public static func set(_ n: Int) {
        symbol("omp_set_num_threads", as: SetFunction.self)?(Int32(n))
    }
}
