import Foundation

/// Locates and runs the package's built executables from a test.
public enum Products {
    /// The build products directory (where `swift-dist-train` and `mpi-check` are).
    public static let directory: URL = {
        // On Linux the test bundle is an executable inside the products directory.
        var url = Bundle.main.bundleURL
        if url.pathExtension != "xctest" {
            url = URL(fileURLWithPath: CommandLine.arguments[0])
        }
        return url.deletingLastPathComponent()
    }()

    /// The URL of the built executable `name`.
    public static func executable(_ name: String) -> URL {
        directory.appendingPathComponent(name)
    }
}

/// The outcome of a finished process.
public struct ProcessResult {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// Wall-clock seconds the process took.
    public var seconds: Double
    /// True when the process was killed after the timeout.
    public var timedOut: Bool
    /// True when the process ended by a signal (`status` is then the signal number).
    public var signalled: Bool = false
}

/// Bytes read from a pipe on another thread (read only after the reader finished).
private final class Collected: @unchecked Sendable {
    var data = Data()
}

/// Runs `executable` with `arguments`, waits at most `timeout` seconds (then kills it).
@discardableResult
public func runProcess(_ executable: URL, _ arguments: [String], environment: [String: String] = [:],
                       currentDirectory: URL? = nil, timeout: Double = 120) throws -> ProcessResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { _, new in new }
    process.environment = env
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    // Drain the pipes while the process runs so a chatty child never blocks.
    let outData = Collected(), errData = Collected()
    let group = DispatchGroup()
    for (pipe, sink) in [(out, outData), (err, errData)] {
        group.enter()
        DispatchQueue.global().async { sink.data = pipe.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    }
    let start = Date()
    try process.run()
    var timedOut = false
    while process.isRunning {
        if Date().timeIntervalSince(start) > timeout {
            timedOut = true
            kill(-process.processIdentifier, SIGKILL)
            process.terminate()
            kill(process.processIdentifier, SIGKILL)
            break
        }
        usleep(20_000)
    }
    process.waitUntilExit()
    group.wait()
    return ProcessResult(status: process.terminationStatus,
                         stdout: String(decoding: outData.data, as: UTF8.self),
                         stderr: String(decoding: errData.data, as: UTF8.self),
                         seconds: Date().timeIntervalSince(start), timedOut: timedOut,
                         signalled: process.terminationReason == .uncaughtSignal)
}

/// Environment that lets `mpirun` run as root (as on CI) and keeps OpenMP to one thread per rank.
public let mpirunEnvironment: [String: String] = [
    "OMPI_ALLOW_RUN_AS_ROOT": "1",
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMP_NUM_THREADS": "1",
]

/// Runs `mpirun -n ranks [--oversubscribe] <product> arguments`.
@discardableResult
public func mpirun(_ ranks: Int, _ product: String, _ arguments: [String], timeout: Double = 120,
                   environment: [String: String] = [:]) throws -> ProcessResult {
    let launcher = URL(fileURLWithPath: "/usr/bin/mpirun")
    var args = ["-n", "\(ranks)"]
    if ranks > ProcessInfo.processInfo.activeProcessorCount { args.append("--oversubscribe") }
    args.append(Products.executable(product).path)
    return try runProcess(launcher, args + arguments, environment: mpirunEnvironment.merging(environment) { $1 },
                          timeout: timeout)
}

/// A fresh temporary directory, removed by the caller (or left for the OS).
public func makeTemporaryDirectory(_ prefix: String = "sdt-test") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
