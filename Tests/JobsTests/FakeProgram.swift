import Foundation

/// A stand-in for `swift-dist-train` (passed to the job scripts as BIN) that records how each
/// rank was started: one line per call in the file FAKE_LOG,
///
///     <subcommand> rank=<SLURM_PROCID>/<SLURM_NTASKS> omp=<OMP_NUM_THREADS> restart=<n> args=<...>
///
/// and acts out just enough of each subcommand for the scripts' logic: `doctor` prints its
/// rank line (as one singleton per task when FAKE_SINGLETON=1), `synth` creates its output
/// directory, `train` writes OUT/metrics.jsonl, or with FAKE_WAIT_FOR_TERM=1 (and no
/// --resume) waits for SIGTERM and then writes OUT/last.h5 like a checkpointing trainer
/// (or, with FAKE_FAIL_ON_TERM=1 too, exits 1 without a checkpoint); `experiment` has
/// FAKE_CELLS cells (default 3) `cell<i>`: `--list-cells` prints them, `--task I` writes
/// OUT/runs/cell<I>/result.json, `--merge` writes OUT/report.md.
/// It lets the tests check the scripts' Slurm mechanics while `train` and friends are built
/// elsewhere; the real program is tested under srun in SrunLaunchTests.
enum FakeProgram {
    static let source = #"""
    #!/usr/bin/env bash
    cmd="$1"; shift
    rank="${SLURM_PROCID:-0}"
    printf '%s rank=%s/%s omp=%s restart=%s args=%s\n' "$cmd" "$rank" "${SLURM_NTASKS:-1}" \
      "${OMP_NUM_THREADS:-unset}" "${SLURM_RESTART_COUNT:-0}" "$*" >>"$FAKE_LOG"
    out=""; resume=0; task=""; list=0; merge=0
    while (($#)); do case "$1" in
      --out) out="$2"; shift ;; --resume) resume=1 ;; --task) task="$2"; shift ;; --list-cells) list=1 ;; --merge) merge=1 ;;
    esac; shift; done
    case "$cmd" in
      doctor)
        if [[ "${FAKE_SINGLETON:-0}" == 1 ]]; then echo "rank 0/1 host=$(hostname)"
        else echo "rank $rank/${SLURM_NTASKS:-1} host=$(hostname)"; fi ;;
      synth) mkdir -p "$out" ;;
      train)
        mkdir -p "$out"
        if [[ "${FAKE_WAIT_FOR_TERM:-0}" == 1 && $resume == 0 ]]; then
          if [[ "${FAKE_FAIL_ON_TERM:-0}" == 1 ]]; then
            trap 'echo "failed rank=$rank" >>"$FAKE_LOG"; exit 1' TERM
          else
            trap 'if [[ $rank == 0 ]]; then echo checkpoint >"$out/last.h5"; fi; echo "checkpointed rank=$rank" >>"$FAKE_LOG"; exit 0' TERM
          fi
          touch "$out/started.$rank"
          while true; do sleep 0.1; done
        fi
        if [[ $rank == 0 ]]; then echo '{"epoch":1}' >"$out/metrics.jsonl"; fi ;;
      evaluate) mkdir -p "$out" ;;
      experiment)
        cells=(); for ((i = 0; i < ${FAKE_CELLS:-3}; i++)); do cells+=("cell$i"); done
        if (( list )); then for i in "${!cells[@]}"; do echo "$i ${cells[$i]} todo"; done
        elif (( merge )); then echo report >"$out/report.md"
        elif [[ -n "$task" && $rank == 0 ]]; then mkdir -p "$out/runs/${cells[$task]}"; echo '{}' >"$out/runs/${cells[$task]}/result.json"
        fi ;;
    esac
    """#

    /// Writes the fake into `directory` and returns its path.
    static func install(in directory: URL) throws -> String {
        let url = directory.appendingPathComponent("fake-swift-dist-train")
        try source.write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        return url.path
    }

    /// The lines the fake logged, sorted (ranks append in any order).
    static func calls(in log: URL) -> [String] {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init).sorted()
    }
}
