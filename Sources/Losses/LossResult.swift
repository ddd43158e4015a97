/// The value and health of one term of a loss (e.g. the Dice part of `dice+ce`).
public struct LossTermResult: Equatable, Sendable {
    /// Which term.
    public var term: LossTerm
    /// Its value (may be NaN or infinite: then `nonFiniteTerms` says where).
    public var value: Double
    /// Per class, how many of the term's per-class quantities are non-finite: for Dice and V-Net
    /// the (image or group, class) ratios; for GDL the weighted per-class sums w_k·I_k, w_k·U_k;
    /// for CE the pixels labelled k; for Mime the products over class k.
    public var nonFiniteTerms: [Int]
}

/// What a loss evaluation returns. A non-finite value anywhere is counted here, never silently
/// passed on: check `isFinite` before applying the gradient.
public struct LossResult: Equatable, Sendable {
    /// The loss: the sum of the terms' values.
    public var value: Double
    /// The terms, in `LossKind.terms` order.
    public var terms: [LossTermResult]
    /// Per class, how many entries of the logit gradient are non-finite (all zero when no
    /// gradient was requested).
    public var nonFiniteGradient: [Int]

    /// True when the value, every term and every gradient entry are finite.
    public var isFinite: Bool {
        value.isFinite && terms.allSatisfy { $0.value.isFinite && $0.nonFiniteTerms.allSatisfy { $0 == 0 } }
            && nonFiniteGradient.allSatisfy { $0 == 0 }
    }

    /// Total count of non-finite per-class loss quantities over all terms.
    public var nonFiniteTermCount: Int { terms.reduce(0) { $0 + $1.nonFiniteTerms.reduce(0, +) } }
    /// Total count of non-finite logit-gradient entries.
    public var nonFiniteGradientCount: Int { nonFiniteGradient.reduce(0, +) }
}
