/// Hands out slots of memory to buffers of different sizes so that buffers
/// alive at the same time never share a slot: the smallest free slot that fits,
/// else the largest free slot grown to fit, else a new slot.
struct SlotAllocator {
    private(set) var capacities: [Int] = []
    private var free: [Int] = []

    mutating func take(_ count: Int) -> Int {
        if let best = free.filter({ capacities[$0] >= count }).min(by: { capacities[$0] < capacities[$1] })
            ?? free.max(by: { capacities[$0] < capacities[$1] }) {
            free.removeAll { $0 == best }
            capacities[best] = max(capacities[best], count)
            return best
        }
        capacities.append(count)
        return capacities.count - 1
    }

    mutating func release(_ slot: Int) {
        precondition(!free.contains(slot), "slot released twice")
        free.append(slot)
    }
}

/// The float buffers behind a plan's slots, zero-filled, freed with the plan.
final class SlotMemory {
    let pointers: [UnsafeMutablePointer<Float>]
    let totalFloats: Int

    init(_ capacities: [Int]) {
        pointers = capacities.map { count in
            let slot = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            slot.initialize(repeating: 0, count: max(count, 1))
            return slot
        }
        totalFloats = capacities.reduce(0, +)
    }

    deinit { pointers.forEach { $0.deallocate() } }
}

/// Where activation values live. A value is born at its producer's forward (the
/// input: before the first layer) and dies after its last reader's forward,
/// unless it must stay: the logits always, and with `retainActivations` every
/// value some layer's backward reads (`Layer.backwardReadsInputs`). Nodes no layer
/// of the plan produces (inside a fused layer) get no memory.
final class ValuePlan {
    let retainActivations: Bool
    private let memory: SlotMemory
    private let slotOf: [ObjectIdentifier: Int]

    init(graph: Graph, layers: [Layer], retainActivations: Bool) {
        self.retainActivations = retainActivations
        var lastReader: [ObjectIdentifier: Int] = [:]
        var kept: Set<ObjectIdentifier> = [ObjectIdentifier(graph.output)]
        for (j, layer) in layers.enumerated() {
            for node in layer.inputs {
                lastReader[ObjectIdentifier(node)] = j
                if retainActivations && layer.backwardReadsInputs { kept.insert(ObjectIdentifier(node)) }
            }
        }
        var allocator = SlotAllocator()
        var slotOf: [ObjectIdentifier: Int] = [ObjectIdentifier(graph.input): allocator.take(graph.input.storageCount)]
        for (j, layer) in layers.enumerated() {
            // The output is taken before the inputs are released: never in place.
            slotOf[ObjectIdentifier(layer.output)] = allocator.take(layer.output.storageCount)
            var released: Set<ObjectIdentifier> = []
            for node in layer.inputs {
                let id = ObjectIdentifier(node)
                if lastReader[id] == j && !kept.contains(id) && released.insert(id).inserted {
                    allocator.release(slotOf[id]!)
                }
            }
        }
        memory = SlotMemory(allocator.capacities)
        self.slotOf = slotOf
    }

    /// Points every node's `value` into this plan's memory (nil for nodes it has none for).
    func apply(to graph: Graph) {
        for node in graph.nodes { node.value = slotOf[ObjectIdentifier(node)].map { memory.pointers[$0] } }
    }

    var totalFloats: Int { memory.totalFloats }
}

/// Where activation gradients live. A node's gradient is born at the backward of
/// its last reader (in forward order) and dies after the backward of its producer;
/// backward walks the layers in reverse, so gradients whose lives do not overlap
/// reuse the same slot. The network input's gradient (when wanted) and the logits'
/// stay readable after backward.
final class GradientPlan {
    let inputGradient: Bool
    /// Per layer index: nodes whose gradient must be zeroed before that layer's backward.
    let births: [[Node]]
    private let memory: SlotMemory
    private let slotOf: [ObjectIdentifier: Int]

    init(graph: Graph, layers: [Layer]) {
        inputGradient = graph.input.needsGradient
        var lastReader: [ObjectIdentifier: Int] = [:]
        for (j, layer) in layers.enumerated() {
            for node in layer.inputs { lastReader[ObjectIdentifier(node)] = j }
        }
        var births = [[Node]](repeating: [], count: layers.count)
        var allocator = SlotAllocator()
        let output = graph.output
        var slotOf: [ObjectIdentifier: Int] = [ObjectIdentifier(output): allocator.take(output.storageCount)]
        for (j, layer) in layers.enumerated().reversed() {
            for node in layer.inputs where node.needsGradient && lastReader[ObjectIdentifier(node)] == j
                && slotOf[ObjectIdentifier(node)] == nil {
                slotOf[ObjectIdentifier(node)] = allocator.take(node.storageCount)
                if !layer.overwritesGradient(of: node) { births[j].append(node) }
            }
            // The layer's output gradient has been consumed: its slot is free again.
            if layer.output !== output, let slot = slotOf[ObjectIdentifier(layer.output)] { allocator.release(slot) }
        }
        self.births = births
        memory = SlotMemory(allocator.capacities)
        self.slotOf = slotOf
        apply(to: graph)
    }

    /// Points every node's `grad` into this plan's memory (nil for nodes it has none for).
    func apply(to graph: Graph) {
        for node in graph.nodes { node.grad = slotOf[ObjectIdentifier(node)].map { memory.pointers[$0] } }
    }

    var totalFloats: Int { memory.totalFloats }
}
