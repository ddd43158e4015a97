internal import CNIfTI

/// Facts about the nifticlib library in use.
public enum NIfTILibrary {
    /// The library's version line, e.g. "NIFTI2_IO version 2.1.0 (18 Jun, 2020), compiled ...".
    public static var version: String {
        var buffer = [CChar](repeating: 0, count: 256)
        cnifti_library_version(&buffer, 256)
        return String(cString: buffer)
    }
}
