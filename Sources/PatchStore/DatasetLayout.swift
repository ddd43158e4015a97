import Common
import Foundation

/// The input layouts `preprocess` understands.
public enum DatasetKind: String, CaseIterable, Sendable {
    case acdc, wmh, pairs
}

/// One input volume: its image file(s) (one per channel), label file, and the subject it belongs to.
public struct VolumeSource: Sendable, Equatable {
    public var id: String
    public var subject: String
    public var imageFiles: [String]
    public var labelFile: String

    public init(id: String, subject: String, imageFiles: [String], labelFile: String) {
        self.id = id
        self.subject = subject
        self.imageFiles = imageFiles
        self.labelFile = labelFile
    }
}

/// Finds the volumes of a dataset on disk.
public enum DatasetLayout {
    public static let acdcClasses = ["background", "RV", "MYO", "LV"]
    public static let wmhClasses = ["background", "WMH", "other"]

    /// Lists the volumes under `input` for `kind`, in a stable order.
    ///
    /// - acdc: `patientNNN/patientNNN_frameMM.nii.gz` with `..._gt.nii.gz`: the ED and ES frames
    ///   named by `Info.cfg` (or, without one, every frame that has a `_gt` file).
    /// - wmh: `<site>/<id>/pre/<MODALITY>.nii.gz` per modality and `<site>/<id>/wmh.nii.gz`.
    /// - pairs: a CSV manifest `image,label[,subject]` (paths relative to the manifest) or a
    ///   directory of `X_image.nii[.gz]` with `X_label.nii[.gz]`.
    public static func discover(_ kind: DatasetKind, in input: String, modalities: [String] = ["flair"]) throws -> [VolumeSource] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory) else {
            throw ProgramError(.missingFile, path: input, "no such file or directory")
        }
        if kind == .pairs && !isDirectory.boolValue { return try manifest(input) }
        guard isDirectory.boolValue else { throw ProgramError(.badLayout, path: input, "is not a directory") }
        let sources: [VolumeSource]
        switch kind {
        case .acdc: sources = try acdc(input)
        case .wmh: sources = try wmh(input, modalities: modalities)
        case .pairs: sources = try pairDirectory(input)
        }
        guard !sources.isEmpty else {
            let expected = ["acdc": "patientNNN/patientNNN_frameMM.nii.gz with _gt labels",
                            "wmh": "<site>/<id>/pre/FLAIR.nii.gz with <site>/<id>/wmh.nii.gz",
                            "pairs": "*_image.nii.gz with *_label.nii.gz"][kind.rawValue]!
            throw ProgramError(.emptyDataset, path: input, "empty dataset: no volumes found (expected \(expected))")
        }
        return sources
    }

    static func join(_ a: String, _ b: String) -> String { (a as NSString).appendingPathComponent(b) }

    static func list(_ dir: String) throws -> [String] {
        do { return try FileManager.default.contentsOfDirectory(atPath: dir).sorted() } catch {
            throw ProgramError(.missingFile, path: dir, "cannot list directory")
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var d: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &d) && d.boolValue
    }

    /// ACDC: with an `Info.cfg`, exactly its ED and ES frames (both must have image and `_gt`
    /// files); without one, every frame that has a `_gt` file.
    static func acdc(_ root: String) throws -> [VolumeSource] {
        var sources: [VolumeSource] = []
        for patient in try list(root) where patient.hasPrefix("patient") && isDirectory(join(root, patient)) {
            let dir = join(root, patient)
            let files = try list(dir)
            var stems: [String] = []
            let info = join(dir, "Info.cfg")
            if FileManager.default.fileExists(atPath: info) {
                for frame in try acdcFrames(info) where !stems.contains(String(format: "\(patient)_frame%02d", frame)) {
                    stems.append(String(format: "\(patient)_frame%02d", frame))
                }
            } else {
                stems = files.compactMap { file in
                    guard file.contains("_frame") else { return nil }
                    for suffix in ["_gt.nii.gz", "_gt.nii"] where file.hasSuffix(suffix) { return String(file.dropLast(suffix.count)) }
                    return nil
                }
            }
            for stem in stems {
                // Either compression works; the name without a file defaults to .nii.gz (then reported missing).
                let ext = files.contains(stem + "_gt.nii") && !files.contains(stem + "_gt.nii.gz") ? ".nii" : ".nii.gz"
                let imageExt = files.contains(stem + ".nii") && !files.contains(stem + ".nii.gz") ? ".nii" : ".nii.gz"
                sources.append(VolumeSource(id: stem, subject: patient, imageFiles: [join(dir, stem + imageExt)],
                                            labelFile: join(dir, stem + "_gt" + ext)))
            }
        }
        return sources
    }

    /// The ED and ES frame numbers of an ACDC `Info.cfg` (`ED: 1`, `ES: 12` lines).
    static func acdcFrames(_ path: String) throws -> [Int] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ProgramError(.badLayout, path: path, "cannot read Info.cfg")
        }
        var frames: [String: Int] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, ["ED", "ES"].contains(parts[0]) {
                guard let n = Int(parts[1]), n >= 0 else {
                    throw ProgramError(.badLayout, path: path, "\(parts[0]) is not a frame number: '\(parts[1])'")
                }
                frames[parts[0]] = n
            }
        }
        guard let ed = frames["ED"], let es = frames["ES"] else {
            throw ProgramError(.badLayout, path: path, "Info.cfg lacks an 'ED:' or 'ES:' line")
        }
        return [ed, es]
    }

    static func wmh(_ root: String, modalities: [String]) throws -> [VolumeSource] {
        var sources: [VolumeSource] = []
        for site in try list(root) where isDirectory(join(root, site)) {
            for subject in try list(join(root, site)) where isDirectory(join(join(root, site), subject)) {
                let dir = join(join(root, site), subject)
                let label = join(dir, "wmh.nii.gz")
                // A subject directory is one that has a pre/ folder or a label.
                guard isDirectory(join(dir, "pre")) || FileManager.default.fileExists(atPath: label) else { continue }
                let images = modalities.map { join(join(dir, "pre"), $0.uppercased() + ".nii.gz") }
                sources.append(VolumeSource(id: "\(site)/\(subject)", subject: "\(site)/\(subject)",
                                            imageFiles: images, labelFile: label))
            }
        }
        return sources
    }

    static func pairDirectory(_ root: String) throws -> [VolumeSource] {
        var sources: [VolumeSource] = []
        for file in try list(root) {
            for (suffix, ext) in [("_image.nii.gz", ".nii.gz"), ("_image.nii", ".nii")] where file.hasSuffix(suffix) {
                let stem = String(file.dropLast(suffix.count))
                sources.append(VolumeSource(id: stem, subject: stem, imageFiles: [join(root, file)],
                                            labelFile: join(root, stem + "_label" + ext)))
            }
        }
        return sources
    }

    /// `image,label[,subject]` per line; a first line starting with "image" is a header; # comments.
    static func manifest(_ path: String) throws -> [VolumeSource] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ProgramError(.badLayout, path: path, "cannot read the manifest as UTF-8 text")
        }
        let base = (path as NSString).deletingLastPathComponent
        var sources: [VolumeSource] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") || (number == 0 && line.lowercased().hasPrefix("image")) { continue }
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == 2 || fields.count == 3, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw ProgramError(.badLayout, path: path, "line \(number + 1): expected 'image,label[,subject]', got '\(line)'")
            }
            let resolve = { (f: String) in f.hasPrefix("/") ? f : join(base, f) }
            let id = ((fields[0] as NSString).lastPathComponent as NSString).deletingPathExtension
            sources.append(VolumeSource(id: id, subject: fields.count == 3 ? fields[2] : "\(id)#\(number + 1)",
                                        imageFiles: [resolve(fields[0])], labelFile: resolve(fields[1])))
        }
        guard !sources.isEmpty else { throw ProgramError(.emptyDataset, path: path, "empty dataset: the manifest lists no image,label pairs") }
        return sources
    }
}
