#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers that take outside bytes (Sources/FuzzTargets), with libFuzzer and
# AddressSanitizer from the Swift toolchain's clang runtime. `make fuzz` runs it.
#
#   FUZZ_SECONDS=60 scripts/fuzz.sh [TARGET...]     (default: every target, each for FUZZ_SECONDS)
#   FUZZ_TIMEOUT=60 ...                              (seconds one input may take; default 10)
#
# Builds Fuzz/Driver in its own scratch path (.build-fuzz, with BATCHGATE_FUZZ set so Package.swift adds it), seeds
# an empty corpus with FuzzSeeds, runs each target on a scratch copy of its corpus, then merges into
# Fuzz/Corpus/TARGET only the inputs that add coverage (-merge=1). A crash or a broken invariant is written to
# Fuzz/Crashes/TARGET/; commit it with its fix, and `make test` replays it (Tests/FuzzReplayTests).
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(gguf tokenizer request-json config worker-protocol sse stage-protocol)

BATCHGATE_FUZZ=1 swift build --scratch-path .build-fuzz --product BatchgateFuzz || exit 1
binary=.build-fuzz/debug/BatchgateFuzz
# Swift's runtime keeps caches that LeakSanitizer would call leaks at exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}

failed=()
for target in "${targets[@]}"; do
    corpus=Fuzz/Corpus/$target
    crashes=Fuzz/Crashes/$target
    scratch=.build-fuzz/corpus/$target
    log=.build-fuzz/fuzz-$target.log
    mkdir -p "$corpus" "$crashes" "$scratch"
    if [ -z "$(ls -A "$corpus")" ]; then FUZZ_TARGET=$target "$binary" --write-seeds "$corpus"; fi
    echo "== $target: ${seconds}s, corpus $(ls "$corpus" | wc -l) files"
    FUZZ_TARGET=$target "$binary" -max_total_time="$seconds" -timeout="${FUZZ_TIMEOUT:-10}" -print_final_stats=1 \
        -artifact_prefix="$crashes/" "$scratch" "$corpus" >"$log" 2>&1
    status=$?
    grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY|Fatal error)' \
        "$log" | sed "s/^/   /"
    [ $status -eq 0 ] || failed+=("$target (log: $log)")
    FUZZ_TARGET=$target "$binary" -merge=1 "$corpus" "$scratch" >>"$log" 2>&1
    echo "   corpus now $(ls "$corpus" | wc -l) files"
done
if [ ${#failed[@]} -gt 0 ]; then
    printf 'fuzzing found problems in: %s\n' "${failed[@]}" >&2
    exit 1
fi
