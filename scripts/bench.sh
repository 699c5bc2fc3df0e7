#!/usr/bin/env bash
# Runs every benchmark of the plugin (issue #8) and writes BENCHMARKS.md:
# P1 (bytes → frames ÷ a floor: jsoniter reading every token once, the XML
# tokenizer pass alone), P2 (QueryData through the built binary ÷ a direct
# fetch; the plugin's own overhead), P3 (a NOC wall's upstream calls ÷ the
# cache budget), P5 (peak RSS of a fresh process ÷ the answer's bytes, for
# every answer shape; before → after from test/bench/p5-before.json).
#
#   ./scripts/bench.sh               everything, 5 runs each (about 15 minutes on 2 cores: P3 and P3-HA
#                                    take 5 each; P1, P2 and P5 about 40 s a round)
#   BENCH_COUNT=7 ./scripts/bench.sh more runs
#   BENCH_PPROF=/tmp/prof ./scripts/bench.sh   also write CPU and allocation profiles (slower)
#
# Benchmarks are not timed tests: nothing fails on a missed goal; the report
# says which goals are met. CI only checks that they run (scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
echo "==> build dist/gpx_servicestats_linux_amd64"
go build -o dist/gpx_servicestats_linux_amd64 ./pkg

args=(-count "${BENCH_COUNT:-5}" -out BENCHMARKS.md -started "$started")
if [[ -f test/bench/baseline.json ]]; then
  args+=(-baseline test/bench/baseline.json)
fi
if [[ -n "${BENCH_PPROF:-}" ]]; then
  args+=(-pprof "$BENCH_PPROF")
fi
echo "==> go run ./test/bench ${args[*]}"
go run ./test/bench "${args[@]}"
