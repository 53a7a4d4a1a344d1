# tests/fuzz/lib.sh - sourced by run-short and run-long: where things are, and fuzz_one, which
# runs one libFuzzer target over its seed corpus and reads its final statistics.
# shellcheck shell=bash
fz_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fz_out=${KHEDMA_FUZZ_BUILD:-$fz_repo/build-fuzz}
# shellcheck disable=SC2034 # read by run-short and run-long
fz_jobs=${KHEDMA_FUZZ_JOBS:-2}

# Every target, or the ones named (with or without the fuzz_ prefix).
fz_targets() {
    local t
    if [ $# -eq 0 ]; then
        for t in "$fz_repo"/tests/fuzz/fuzz_*.c; do basename "${t%.c}"; done
    else
        for t in "$@"; do echo "fuzz_${t#fuzz_}"; done
    fi
}

# fuzz_one TARGET LIBFUZZER-OPTION...: runs the target with its dictionary, the checked-in seeds
# (read only) and a work corpus under build-fuzz/corpus/ (where new inputs go, kept between runs).
# A crash, leak, timeout or out-of-memory input is saved under build-fuzz/crashes/TARGET/. Writes
# the log to build-fuzz/logs/TARGET.log and one line "TARGET EXECS EXEC_PER_S SECONDS CRASHES
# RC ARTIFACT..." to stdout.
fuzz_one() {
    local t=$1 start end rc=0 execs rate crashes dict=()
    shift
    local work=$fz_out/corpus/$t crashes_dir=$fz_out/crashes/$t log=$fz_out/logs/$t.log
    mkdir -p "$work" "$crashes_dir" "$fz_out/logs" "$fz_repo/tests/fuzz/corpus/$t"
    [ -f "$fz_repo/tests/fuzz/dict/$t.dict" ] && dict=(-dict="$fz_repo/tests/fuzz/dict/$t.dict")
    start=$(date +%s)
    # rss_limit_mb: libFuzzer purges the allocator every second once RSS passes half of it,
    # which slowed long runs of the heavier targets (about 500 MB) tenfold; no target needs more
    # than 1 GB, and one allocation over 1 GB (malloc_limit_mb) is reported as a bug.
    "$fz_out/$t" "$@" "${dict[@]}" -max_len=4096 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
        -print_final_stats=1 -artifact_prefix="$crashes_dir/" \
        "$work" "$fz_repo/tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
    end=$(date +%s)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    local artifacts
    artifacts=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tr '\n' ' ')
    crashes=$(echo "$artifacts" | wc -w)
    # 72: stopped by SIGINT/SIGTERM (final statistics printed); anything else without an input
    # saved is a failure too.
    [ "$rc" -ne 0 ] && [ "$rc" -ne 72 ] && [ "$crashes" -eq 0 ] && crashes=1
    echo "$t ${execs:-0} ${rate:-0} $((end - start)) $crashes $rc $artifacts"
}
