/// Why a training run cannot start or continue.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case invalidSetting(String)
    case tooFewPatches(count: Int, needed: Int)
    case slurmMismatch(worldSize: Int, tasks: Int)
    case replicasDiverged(step: Int)
    case nonFiniteLoss(step: Int, detail: String)

    public var description: String {
        switch self {
        case .invalidSetting(let message):
            return message
        case .tooFewPatches(let count, let needed):
            return "the training split has \(count) patches, fewer than one global batch (\(needed) = batch x ranks)"
        case .slurmMismatch(let worldSize, let tasks):
            return "SLURM_NTASKS is \(tasks) but the MPI world has \(worldSize) rank(s): the job was launched as "
                + "\(tasks) separate copies; launch with `srun --mpi=pmix` (or mpirun inside the allocation)"
        case .replicasDiverged(let step):
            return "parameters or running statistics differ between ranks at step \(step): replicas diverged"
        case .nonFiniteLoss(let step, let detail):
            return "non-finite loss or gradient at step \(step) (\(detail)); use --nonfinite skip to skip such steps"
        }
    }
}
