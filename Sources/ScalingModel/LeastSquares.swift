/// Small dense least-squares problems: a few unknowns, tens of rows.
enum LeastSquares {
    /// The x ≥ 0 that minimises |A·x − b|² (rows of A in `rows`). With n unknowns it
    /// solves the unconstrained problem on every subset of them (2^n normal-equation
    /// solves, fine for n ≤ 10) and keeps the best solution with no negative entry, so a
    /// parameter the data cannot see comes out 0 rather than negative. Columns are scaled
    /// to the same magnitude first (α counts messages, β and γ count bytes).
    static func nonNegative(rows unscaled: [[Double]], targets: [Double]) -> [Double] {
        let n = unscaled.first?.count ?? 0
        precondition(n <= 10 && unscaled.allSatisfy { $0.count == n } && unscaled.count == targets.count)
        let scales = (0..<n).map { j in unscaled.map { abs($0[j]) }.max().map { $0 > 0 ? $0 : 1 } ?? 1 }
        let rows = unscaled.map { row in (0..<n).map { row[$0] / scales[$0] } }
        var best = [Double](repeating: 0, count: n)
        var bestResidual = residual(rows, targets, best)
        for mask in 1..<(1 << n) {
            let free = (0..<n).filter { mask & (1 << $0) != 0 }
            guard let solution = solve(rows.map { row in free.map { row[$0] } }, targets),
                  solution.allSatisfy({ $0 >= 0 }) else { continue }
            var x = [Double](repeating: 0, count: n)
            for (i, j) in free.enumerated() { x[j] = solution[i] }
            let r = residual(rows, targets, x)
            if r < bestResidual { (best, bestResidual) = (x, r) }
        }
        return (0..<n).map { best[$0] / scales[$0] }
    }

    /// Sum of squared residuals of `x`.
    static func residual(_ rows: [[Double]], _ targets: [Double], _ x: [Double]) -> Double {
        zip(rows, targets).reduce(0) { sum, pair in
            let fitted = zip(pair.0, x).reduce(0) { $0 + $1.0 * $1.1 }
            return sum + (fitted - pair.1) * (fitted - pair.1)
        }
    }

    /// The unconstrained least-squares solution through the normal equations (AᵀA)x = Aᵀb,
    /// by Gaussian elimination with partial pivoting; nil if AᵀA is singular.
    static func solve(_ rows: [[Double]], _ targets: [Double]) -> [Double]? {
        let n = rows.first?.count ?? 0
        guard n > 0 else { return [] }
        var m = [[Double]](repeating: [Double](repeating: 0, count: n + 1), count: n)
        for (row, target) in zip(rows, targets) {
            for i in 0..<n {
                for j in 0..<n { m[i][j] += row[i] * row[j] }
                m[i][n] += row[i] * target
            }
        }
        let scale = m.map { $0[0..<n].map(abs).max() ?? 0 }.max() ?? 0
        for column in 0..<n {
            let pivot = (column..<n).max { abs(m[$0][column]) < abs(m[$1][column]) }!
            guard abs(m[pivot][column]) > 1e-12 * scale else { return nil }
            m.swapAt(column, pivot)
            for row in 0..<n where row != column {
                let factor = m[row][column] / m[column][column]
                for j in column...n { m[row][j] -= factor * m[column][j] }
            }
        }
        return (0..<n).map { m[$0][n] / m[$0][$0] }
    }
}
