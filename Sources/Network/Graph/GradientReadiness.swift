/// When each part of the flat gradient buffer is final during a backward pass.
///
/// Backward runs the layers in reverse; a parameter's gradient is final once the layer
/// that writes it (`FusionPlan.parameterGradients`) has run. Parameters are laid out in
/// declaration (state-dict) order, which is nearly forward order, so the end of the
/// buffer (the head) is final first. Not exactly: a fused BatchNorm writes the PReLU
/// slope declared after it, and `up5_0.prelu_out`'s slope is declared with `up5_0`
/// but used after `b5_1`, so its gradient is final early while its offset is low.
/// Readiness is therefore tracked as a suffix: after layer j's backward,
/// `gradients[finalFrom[j]...]` holds only gradients whose writers have all run.
struct GradientReadiness {
    /// `finalFrom[j]`: once backward has run layers `writers.count - 1` down to `j`,
    /// every gradient from this offset to the end is final. Non-increasing as j falls;
    /// `finalFrom[0] == 0`.
    let finalFrom: [Int]

    /// `writers[j]`: the gradients layer j's backward writes. Every parameter of `store`
    /// must be written by exactly one layer.
    init(writers: [[NamedTensor]], store: ParameterStore) {
        var writer: [String: Int] = [:]
        for (j, written) in writers.enumerated() {
            for tensor in written {
                precondition(writer.updateValue(j, forKey: tensor.name) == nil, "\(tensor.name): two gradient writers")
            }
        }
        let parameters = store.tensors.filter { $0.role == .parameter }.sorted { $0.offset > $1.offset }
        for tensor in parameters where writer[tensor.name] == nil {
            preconditionFailure("\(tensor.name): no layer writes its gradient")
        }
        var finalFrom = [Int](repeating: 0, count: writers.count)
        var next = 0  // parameters[..<next] (the highest offsets) are final
        var offset = store.parameterCount
        for j in stride(from: writers.count - 1, through: 0, by: -1) {
            while next < parameters.count, writer[parameters[next].name]! >= j {
                offset = parameters[next].offset
                next += 1
            }
            finalFrom[j] = offset
        }
        self.finalFrom = finalFrom
    }
}
