/// Checks that the MPI world matches the launcher's idea of it.
public enum LaunchCheck {
    /// Under SLURM, the world size must equal `SLURM_NTASKS`: N tasks that each
    /// see a world of one are N silent copies of the same job, not one job.
    public static func verify(worldSize: Int, environment: [String: String]) throws {
        guard let text = environment["SLURM_NTASKS"] ?? environment["SLURM_NPROCS"],
              let tasks = Int(text),
              environment["SLURM_STEP_ID"] != nil || environment["SLURM_STEPID"] != nil else { return }
        if tasks != worldSize { throw TrainingError.slurmMismatch(worldSize: worldSize, tasks: tasks) }
    }
}
