/// Sums a vector of per-class statistics over all ranks, in place. With MPI:
/// `{ try Communicator.world.allreduceSum(&$0) }`.
public typealias StatisticsReduction = (inout [Double]) throws -> Void

/// How a loss is computed. The defaults are the paper's setting.
public struct LossOptions {
    /// Smoothing added to the numerator and denominator of the Dice family (and to Σ y in GDL's
    /// weights), as in the paper's authors' code. 0 gives the raw formulas, which divide by zero
    /// on an empty class.
    public var eps: Double = 1e-10
    /// Leave class 0 out of the Dice family's class sum/average and of Mime. Cross-entropy always
    /// uses every class.
    public var excludeBackground = false
    /// Over which pixels a Dice-family ratio is formed.
    public var diceScope: DiceScope = .patch
    /// Sums the Dice statistics across ranks inside `evaluate`, for `diceScope == .global`
    /// when the caller does not pass `summedStatistics` (see `Loss.globalStatistics`).
    /// It receives 4·K values [Σ y·s, Σ y, Σ s, Σ s²] (K each) of this rank's batch and must
    /// leave their sums over all ranks.
    public var reduceStatistics: StatisticsReduction? = nil
    /// Mime's a_k, b_k; required when the loss includes Mime.
    public var mimeWeights: MimeWeights? = nil
    /// Mime's sum over pixels is divided by this constant. Default: this call's pixel count
    /// (N·H·W). Pass the global batch's pixel count so that partial sums over ranks and patches
    /// add up exactly.
    public var mimeNormalizer: Double? = nil
    /// Cross-entropy's sum over pixels is divided by this constant. Default: this call's pixel
    /// count (a mean over the rank's pixels). With the `global` scope, pass the global batch's
    /// pixel count so that every term's gradient is a partial derivative of the global loss and
    /// parameter gradients are summed (not averaged) across ranks.
    public var ceNormalizer: Double? = nil

    public init(eps: Double = 1e-10, excludeBackground: Bool = false, diceScope: DiceScope = .patch,
                reduceStatistics: StatisticsReduction? = nil, mimeWeights: MimeWeights? = nil,
                mimeNormalizer: Double? = nil, ceNormalizer: Double? = nil) {
        self.eps = eps
        self.excludeBackground = excludeBackground
        self.diceScope = diceScope
        self.reduceStatistics = reduceStatistics
        self.mimeWeights = mimeWeights
        self.mimeNormalizer = mimeNormalizer
        self.ceNormalizer = ceNormalizer
    }
}
