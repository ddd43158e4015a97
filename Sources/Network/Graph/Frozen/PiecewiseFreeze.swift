extension Graph {
    /// Holds every piecewise choice of the last forward (max-pool argmax, PReLU side)
    /// for the following forwards, so the network is smooth around the current point:
    /// the argmax switches are discontinuities (through max-unpool) and the PReLU kinks
    /// bends that a finite difference must not straddle. Every pass then runs the graph
    /// as built with those layers frozen. The last forward must have run the graph as
    /// built (no fusions) and kept its activations (every PReLU's input). Finite-difference
    /// checks only: the frozen layers have no backward.
    func freezePiecewiseChoices() throws {
        let steps = layers.map { layer -> FusionPlan.Step in
            switch layer {
            case let prelu as PReLULayer: return FusionPlan.Step(layer: FrozenPReLULayer(prelu), replaces: [prelu])
            case let pool as MaxPoolLayer: return FusionPlan.Step(layer: FrozenMaxPoolLayer(pool), replaces: [pool])
            default: return FusionPlan.Step(layer: layer, replaces: [])
            }
        }
        try pin(FusionPlan(steps: steps))
    }
}

extension ENet {
    /// For finite-difference checks: runs `input` once through the graph as built (no
    /// fusions) and freezes that forward's piecewise choices (`Graph.freezePiecewiseChoices`):
    /// the following forwards of this shape run the frozen graph, without dropout.
    func freezePiecewiseChoices(at input: [Float], shape: TensorShape, training: Bool) throws {
        try graph.prepare(shape, purpose: .training, retainActivations: true)
        try graph.pin(FusionPlan(graph.layers, purpose: .training, fusions: .none))
        _ = try forward(input, shape: shape, training: training, dropout: false, retainActivations: true)
        try graph.freezePiecewiseChoices()
    }
}
