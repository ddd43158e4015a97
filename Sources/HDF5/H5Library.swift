internal import CHDF5
import Common

/// Facts about the HDF5 library in use, and how its errors become ours.
public enum H5Library {
    /// The library version, e.g. "1.10.8".
    public static var version: String {
        prepare()
        var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
        H5get_libversion(&major, &minor, &release)
        return "\(major).\(minor).\(release)"
    }

    /// Readies HDF5 before its first call (no closing files at exit, see `ch5_dont_atexit`)
    /// and silences its own error printing on the calling thread.
    static func prepare() {
        _ = once
        ch5_silence_errors()
    }

    private static let once: Void = ch5_dont_atexit()

    /// The error for a failed HDF5 call about `path`: `message` plus HDF5's innermost reason
    /// from the calling thread's error stack; a failed write for want of space is `.noSpace`.
    static func failure(_ message: String, path: String, kind: ProgramError.Kind = .failed) -> ProgramError {
        let reason = innermostReason()
        if let reason, reason.errno == ENOSPC || reason.errno == EDQUOT {
            return ProgramError(.noSpace, path: path, "no space left on device", cause: "\(message): HDF5: \(reason.text)")
        }
        return ProgramError(kind, path: path, message, cause: reason.map { "HDF5: \($0.text)" })
    }

    /// The deepest entry of the thread's HDF5 error stack: its description (the system's message
    /// when it quotes one) and the errno it reports, if any.
    static func innermostReason() -> (text: String, errno: Int32?)? {
        var descriptions: [String] = []
        let status = withUnsafeMutablePointer(to: &descriptions) { box in
            H5Ewalk2(ch5_e_default(), H5E_WALK_DOWNWARD, { _, entry, data in
                guard let entry, let data else { return 0 }
                var text = entry.pointee.desc.map { String(cString: $0) } ?? ""
                var buffer = [CChar](repeating: 0, count: 256)
                if H5Eget_msg(entry.pointee.min_num, nil, &buffer, 256) > 0 {
                    let minor = String(cString: buffer)
                    text = text.isEmpty ? minor : "\(text) (\(minor))"
                }
                data.assumingMemoryBound(to: [String].self).pointee.append(text)
                return 0
            }, box)
        }
        guard status >= 0, let last = descriptions.last else { return nil }
        // The system's own words, when HDF5 quotes them: "... errno = 28, error message = 'No space left on device', ...".
        let code = number(after: "errno = ", in: last)
        if let quoted = quoted(after: "error message = '", in: last) { return (quoted, code) }
        return (String(last.prefix(300)), code)
    }

    private static func number(after marker: String, in text: String) -> Int32? {
        guard let range = text.range(of: marker) else { return nil }
        return Int32(text[range.upperBound...].prefix { $0.isNumber })
    }

    private static func quoted(after marker: String, in text: String) -> String? {
        guard let range = text.range(of: marker) else { return nil }
        return String(text[range.upperBound...].prefix { $0 != "'" })
    }
}

#if canImport(Glibc)
import Glibc
#endif
