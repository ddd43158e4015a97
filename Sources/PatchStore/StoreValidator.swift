import Common
import Foundation
import HDF5

/// Checks a store against the specification (`StoreSpec`) and lists every violation.
public enum StoreValidator {
    /// Every violation found in the store at `path` (empty when valid). Throws only when
    /// the file cannot be opened or is not a patch store of the supported version.
    public static func validate(_ path: String, spec: StoreSpec = .v1) throws -> [String] {
        let file = try PatchStoreReader.open(path)
        var problems: [String] = []
        var symbols: [String: Int] = [:]
        if let k = try? file.attribute("num_classes", as: Int.self).first { symbols["K"] = k }
        if let c = try? file.attribute("in_channels", as: Int.self).first { symbols["C"] = c }
        if let p = try? file.attribute("patch_size", as: Int.self), p.count == 2 { symbols["H"] = p[0]; symbols["W"] = p[1] }
        try checkGroup(file, spec.root, at: "", file: file, symbols: symbols, problems: &problems)
        guard ["K", "C", "H", "W"].allSatisfy({ symbols[$0] != nil }) else {
            problems.append("invariants not checked: num_classes, in_channels or patch_size is missing or unreadable")
            return problems
        }
        // The invariants allocate by these sizes: check them first.
        guard Limits.classes.contains(symbols["K"]!), Limits.channels.contains(symbols["C"]!),
              Limits.side.contains(symbols["H"]!), Limits.side.contains(symbols["W"]!) else {
            problems.append("invariants not checked: num_classes \(symbols["K"]!), in_channels \(symbols["C"]!) or patch_size "
                            + "\(symbols["H"]!)x\(symbols["W"]!) is outside what this program reads (README, Limits)")
            return problems
        }
        for invariant in spec.invariants {
            guard let check = invariants[invariant.id] else {
                problems.append("invariant '\(invariant.id)' is in the specification but not checked by this program")
                continue
            }
            do { try check(file, symbols, &problems) } catch {
                problems.append("invariant '\(invariant.id)' could not be checked: \(error)")
            }
        }
        return problems
    }

    // MARK: structure

    static func checkGroup(_ object: H5Object, _ spec: GroupSpec, at prefix: String, file: H5File,
                           symbols: [String: Int], problems: inout [String]) throws {
        var symbols = symbols
        let here = prefix.isEmpty ? "/" : prefix
        for a in spec.attributes ?? [] {
            checkAttribute(object, a, at: here, symbols: symbols, problems: &problems)
        }
        // Split groups bind N and V from their attributes.
        if let n = try? object.attribute("num_patches", as: Int.self).first { symbols["N"] = n }
        if let v = try? object.attribute("num_volumes", as: Int.self).first { symbols["V"] = v }
        for d in spec.datasets ?? [] {
            checkDataset(file, prefix + d.name, d, symbols: symbols, problems: &problems)
        }
        for child in spec.groups ?? [] {
            for name in child.names ?? [child.name ?? ""] {
                let path = prefix + name
                guard file.exists(path), let group = try? file.group(path) else {
                    problems.append("\(path): missing required group")
                    continue
                }
                try checkGroup(group, child, at: path + "/", file: file, symbols: symbols, problems: &problems)
            }
        }
    }

    static func checkAttribute(_ object: H5Object, _ spec: AttributeSpec, at path: String,
                               symbols: [String: Int], problems: inout [String]) {
        let name = "\(path) attribute '\(spec.name)'"
        guard object.hasAttribute(spec.name) else {
            if spec.optional != true { problems.append("\(name): missing") }
            return
        }
        guard let type = try? object.attributeType(spec.name), let shape = try? object.attributeShape(spec.name) else {
            return problems.append("\(name): cannot be read")
        }
        let expectedKind = ["int": "integer", "float": "float", "string": "string"][spec.type]
        if type.kind != expectedKind { problems.append("\(name): type is not \(spec.type)") }
        let (rank, points) = (shape.dimensions.count, shape.count)
        if spec.shape.isEmpty {
            if rank != 0 { problems.append("\(name): expected a scalar, found \(points) values") }
        } else if let n = spec.shape[0].resolve(symbols), rank != 1 || points != n {
            problems.append("\(name): expected \(n) values (\(spec.shape[0])), found \(points)")
        }
        if let allowed = spec.values {
            let actual: [String] = spec.type == "string" ? ((try? object.stringAttribute(spec.name)) ?? [])
                : ((try? object.attribute(spec.name, as: Int.self)) ?? []).map { "\($0)" }
            for value in actual where !allowed.contains(value) {
                problems.append("\(name): value '\(value)' is not one of \(allowed)")
            }
        }
    }

    static let dtypes: [String: (String, Int, Bool)] = [
        "float32": ("float", 4, true), "float64": ("float", 8, true), "uint8": ("integer", 1, false),
        "int32": ("integer", 4, true), "int64": ("integer", 8, true),
    ]

    static func checkDataset(_ file: H5File, _ path: String, _ spec: DatasetSpec, symbols: [String: Int],
                             problems: inout [String]) {
        guard file.exists(path), let dataset = try? file.dataset(path) else {
            return problems.append("\(path): missing required dataset")
        }
        let type = dataset.elementType
        if spec.dtype == "string" {
            if type.kind != "string" { problems.append("\(path): dtype is \(type.kind)\(type.size * 8), expected string") }
        } else if let want = dtypes[spec.dtype], want != (type.kind, type.size, type.signed) {
            problems.append("\(path): dtype is \(type.signed ? "" : "u")\(type.kind)\(type.size * 8), expected \(spec.dtype)")
        }
        let shape = dataset.shape
        let expected = spec.shape.map { $0.resolve(symbols) }
        if shape.count != expected.count {
            problems.append("\(path): rank \(shape.count), expected \(expected.count) (\(spec.shape))")
        } else if zip(shape, expected).contains(where: { $1 != nil && $0 != $1 }) {
            problems.append("\(path): shape \(shape), expected \(spec.shape.map(\.description)) = \(expected.map { $0.map(String.init) ?? "?" })")
        }
        guard let chunks = spec.chunks, (Limits.product(shape) ?? 1) > 0 else { return }
        let wantChunks = chunks.map { $0.resolve(symbols) }
        if let actual = dataset.chunkShape {
            if actual.count != wantChunks.count || zip(actual, wantChunks).contains(where: { $1 != nil && $0 != $1 }) {
                problems.append("\(path): chunk shape \(actual), expected \(chunks.map(\.description))")
            }
        } else {
            problems.append("\(path): not chunked, expected chunks \(chunks.map(\.description))")
        }
        if let filters = spec.filters, dataset.filters != filters {
            problems.append("\(path): filters \(dataset.filters), expected \(filters)")
        }
    }

    // MARK: invariants

    typealias Check = (H5File, [String: Int], inout [String]) throws -> Void

    /// The checks behind the specification's invariants, by id.
    static let invariants: [String: Check] = [
        "names_match_counts": { file, s, problems in
            let names = try file.stringAttribute("class_names"), channels = try file.stringAttribute("channel_names")
            if names.count != s["K"] { problems.append("class_names has \(names.count) names, num_classes is \(s["K"] ?? -1)") }
            if channels.count != s["C"] { problems.append("channel_names has \(channels.count) names, in_channels is \(s["C"] ?? -1)") }
            let size = try file.attribute("slice_size", as: Int.self).first ?? 0
            if (s["H"] ?? 0) > size || (s["W"] ?? 0) > size { problems.append("patch_size exceeds slice_size \(size)") }
        },
        "labels_below_K": { file, s, problems in
            try forEachBlock(file) { split, _, _, labels, _ in
                if let bad = labels.first(where: { Int($0) >= s["K"]! }) {
                    problems.append("\(split)/labels: value \(bad) >= num_classes \(s["K"]!)")
                    return false
                }
                return true
            }
        },
        "images_in_unit_range": { file, _, problems in
            try forEachBlock(file) { split, first, images, _, _ in
                if let i = images.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
                    problems.append("\(split)/images: value \(images[i]) outside [0, 1] near patch \(first)")
                    return false
                }
                return true
            }
        },
        "patch_index_in_range": { file, _, problems in
            for split in Split.allCases {
                let volume = try file.read("\(split)/patch_volume", as: Int.self), slice = try file.read("\(split)/patch_slice", as: Int.self)
                let shapes = try file.read("\(split)/volumes/original_shape", as: Int.self)
                let v = shapes.count / 3
                for (i, (pv, ps)) in zip(volume, slice).enumerated() {
                    guard pv >= 0 && pv < v else { problems.append("\(split)/patch_volume[\(i)] = \(pv) not in 0..<\(v)"); break }
                    guard ps >= 0 && ps < shapes[3 * pv + 2] else {
                        problems.append("\(split)/patch_slice[\(i)] = \(ps) not in 0..<\(shapes[3 * pv + 2])"); break
                    }
                }
            }
        },
        "patch_origin_in_slice": { file, s, problems in
            let size = try file.attribute("slice_size", as: Int.self).first ?? 0
            for split in Split.allCases {
                let o = try file.read("\(split)/patch_origin", as: Int.self)
                for i in stride(from: 0, to: o.count - 1, by: 2)
                where o[i] < 0 || o[i + 1] < 0 || o[i] > size - s["H"]! || o[i + 1] > size - s["W"]! {
                    problems.append("\(split)/patch_origin[\(i / 2)] = (\(o[i]), \(o[i + 1])) puts the patch outside the \(size)x\(size) slice")
                    break
                }
            }
        },
        "volume_patches_contiguous": { file, _, problems in
            for split in Split.allCases {
                let counts = try file.read("\(split)/volumes/num_patches", as: Int.self)
                let first = try file.read("\(split)/volumes/first_patch", as: Int.self)
                let volume = try file.read("\(split)/patch_volume", as: Int.self)
                if counts.count != first.count || counts.reduce(0, &+) != volume.count {
                    problems.append("\(split)/volumes/num_patches sums to \(counts.reduce(0, &+)) over \(counts.count) volumes "
                                    + "(\(first.count) first_patch values), the split has \(volume.count) patches")
                    continue
                }
                for v in counts.indices where first[v] < 0 || counts[v] < 0 || first[v] > volume.count
                    || counts[v] > volume.count - first[v] || volume[first[v]..<(first[v] + counts[v])].contains(where: { $0 != v }) {
                    problems.append("\(split)/volumes row \(v): patches \(first[v])..<\(first[v] + counts[v]) do not all belong to it")
                }
            }
        },
        "class_counts_match_labels": { file, s, problems in
            let k = s["K"]!
            var counts: [Split: [Int]] = [:], absent: [Split: [Int]] = [:]
            try forEachBlock(file) { split, _, _, labels, pixels in
                var c = counts[split] ?? [Int](repeating: 0, count: k), a = absent[split] ?? [Int](repeating: 0, count: k)
                for patch in stride(from: 0, to: labels.count, by: pixels) {
                    var present = [Bool](repeating: false, count: k)
                    for value in labels[patch..<(patch + pixels)] where Int(value) < k {
                        c[Int(value)] += 1
                        present[Int(value)] = true
                    }
                    for j in 0..<k where !present[j] { a[j] += 1 }
                }
                counts[split] = c
                absent[split] = a
                return true
            }
            for split in Split.allCases {
                let storedCounts = try file.read("\(split)/class_voxel_counts", as: Int.self)
                let storedAbsent = try file.read("\(split)/class_absent_patches", as: Int.self)
                let c = counts[split] ?? [Int](repeating: 0, count: k), a = absent[split] ?? [Int](repeating: 0, count: k)
                if storedCounts != c { problems.append("\(split)/class_voxel_counts \(storedCounts), the labels give \(c)") }
                if storedAbsent != a { problems.append("\(split)/class_absent_patches \(storedAbsent), the labels give \(a)") }
            }
        },
        "subjects_disjoint": { file, _, problems in
            var owner: [String: Split] = [:]
            for split in Split.allCases {
                for subject in Set(try file.readStrings("\(split)/volumes/subject")) {
                    if let other = owner[subject] {
                        problems.append("subject '\(subject)' is in both \(other) and \(split)")
                    }
                    owner[subject] = split
                }
            }
        },
        "mime_from_train": { file, s, problems in
            let counts = try file.read("train/class_voxel_counts", as: Int64.self)
            let n = try file.dataset("train/labels").shape.first ?? 0
            let want = StoredMimeWeights(classVoxelCounts: counts, patches: n, pixelsPerPatch: s["H"]! * s["W"]!)
            let same = { (x: Double, y: Double) in (x.isNaN && y.isNaN) || abs(x - y) <= 1e-9 * max(abs(x), abs(y)) }
            for (name, expected) in [("mime_a", want.a), ("mime_b", want.b)] {
                let stored = try file.read(name, as: Double.self)
                if stored.count != expected.count || zip(stored, expected).contains(where: { !same($0, $1) }) {
                    problems.append("\(name) \(stored), the train split gives \(expected)")
                }
            }
        },
    ]

    /// Calls `body(split, firstPatch, images, labels, pixelsPerPatch)` on blocks of up to 64 patches.
    static func forEachBlock(_ file: H5File, _ body: (Split, Int, [Float], [UInt8], Int) throws -> Bool) throws {
        for split in Split.allCases {
            let images = try file.dataset("\(split)/images"), labels = try file.dataset("\(split)/labels")
            let shape = images.shape, labelShape = labels.shape
            guard shape.count == 4, labelShape.count == 3, labelShape[0] == shape[0], shape[0] <= Limits.patches,
                  Limits.product(shape) != nil, Limits.channels.contains(shape[1]),
                  Limits.side.contains(shape[2]), Limits.side.contains(shape[3]), Array(labelShape[1...]) == Array(shape[2...]) else {
                continue
            }
            let pixels = labelShape[1] * labelShape[2]
            for first in stride(from: 0, to: shape[0], by: 64) {
                let n = min(64, shape[0] - first)
                let im = try images.read(start: [first, 0, 0, 0], count: [n, shape[1], shape[2], shape[3]], as: Float.self)
                let lb = try labels.read(start: [first, 0, 0], count: [n, labelShape[1], labelShape[2]], as: UInt8.self)
                if try !body(split, first, im, lb, pixels) { break }
            }
        }
    }
}
