/// The plain definition of the order the program adds gradients in (`ReductionTree`):
/// level by level, (0 + 1), (2 + 3), ..., an odd last leaf carried up unchanged.
public func plainTreeSum<T: BinaryFloatingPoint>(_ leaves: [[T]]) -> [T] {
    var level = leaves
    while level.count > 1 {
        level = stride(from: 0, to: level.count, by: 2).map { i in
            i + 1 < level.count ? zip(level[i], level[i + 1]).map(+) : level[i]
        }
    }
    return level[0]
}
