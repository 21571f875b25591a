#!/usr/bin/env bash
# Runs `swift test ARGS…` as `make test` does, and when it fails, repeats every failed test and recorded issue at
# the end of the output: a CI log is often read from its tail, where the failure would otherwise sit hundreds of
# lines above.
set -uo pipefail
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
"${SWIFT:-swift}" test "$@" 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
    echo
    echo "== swift test $* failed (exit $status); the failures, repeated from above:"
    grep -E '✘|recorded an issue|Fatal error|fatal error|error: Exited|Test Suite .* failed|XCTAssert' "$LOG" | head -200
fi
exit "$status"
