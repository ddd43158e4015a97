import Common

/// Why a training run cannot start or continue, as the program's `ProgramError`.
public enum TrainingError {
    /// A setting out of range (exit 64).
    public static func invalidSetting(_ message: String) -> ProgramError { .invalidValue(message) }

    /// The training split cannot fill one global batch.
    public static func tooFewPatches(count: Int, needed: Int) -> ProgramError {
        ProgramError(.badInput, path: nil,
                     "the training split has \(count) patches, fewer than one global batch (\(needed) = batch x ranks x accumulate)")
    }

    /// A SLURM step whose tasks each see a world of one.
    public static func slurmMismatch(worldSize: Int, tasks: Int) -> ProgramError {
        ProgramError(.failed, path: nil, "SLURM_NTASKS is \(tasks) but the MPI world has \(worldSize) rank(s): the job was launched as "
                     + "\(tasks) separate copies; launch with `srun --mpi=pmix` (or mpirun inside the allocation)")
    }

    public static func replicasDiverged(step: Int) -> ProgramError {
        ProgramError(.failed, path: nil, "parameters or running statistics differ between ranks at step \(step): replicas diverged")
    }

    public static func nonFiniteLoss(step: Int, detail: String) -> ProgramError {
        ProgramError(.nonFinite, path: nil,
                     "non-finite loss or gradient at step \(step) (\(detail)); use --nonfinite skip to skip such steps")
    }
}
