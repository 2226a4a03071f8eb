#!/usr/bin/env bash
# Runs the performance benchmarks of docs/PERFORMANCE.md with their
# benchmark times and prints one table. Raw output: $BENCH_OUT
# (default bench.out). Usage: deploy/scripts/bench.sh [go]
set -euo pipefail
GO=${1:-go}
OUT=${BENCH_OUT:-bench.out}
: >"$OUT"
run() { # package, benchmark regexp, benchtime
	echo "== $1 $2 ($3)" >&2
	"$GO" test -run='^$' -bench="$2" -benchtime="$3" -benchmem -timeout 20m "$1" | tee -a "$OUT"
}
run ./firmware-gateway '^BenchmarkTapToSSE$' 3000x
run ./firmware-gateway/sqlite '^BenchmarkRosterLoad100k$' 3x
run ./firmware-gateway/sqlite '^Benchmark(Lookup|LookupP99)$' 20000x
run ./firmware-gateway/uplink '^BenchmarkDrainToMosquitto$' 3x
run ./deploy/e2e '^BenchmarkDrainToCloud$' 3x
run ./deploy/e2e '^BenchmarkAlarmBehindBacklog$' 5x
run ./deploy/e2e '^BenchmarkAlarmToSSE$' 3x
run ./deploy/e2e '^BenchmarkIdleRSS$' 1x
run ./cloud '^BenchmarkIngest$' 3x
run ./cloud/postgres '^BenchmarkIngestBatches$' 20x
run . '^BenchmarkDecodeBatch$' 2s
# The kiosk in headless Chromium: simulated card read -> result drawn (200 taps).
echo "== kiosk tap -> screen (Chromium, 200 taps)" >&2
"$GO" build -o bin/ ./cloud/cmd/eldergate-cloud ./firmware-gateway/cmd/eldergate-gateway
"$GO" run ./deploy/demo -fresh -data "$(mktemp -d)" -http 18880 -mqtt 18883 -kiosk 18881 \
	-run "node deploy/e2e/browser/tap-latency.bench.mjs" 2>&1 | grep '^BenchmarkKioskTapToScreen' | tee -a "$OUT"
echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $("$GO" version)"
awk '
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	line = sprintf("%-48s %8s", name, $2)
	for (i = 3; i + 1 <= NF; i += 2) line = line sprintf("  %12s %s", $i, $(i + 1))
	print line
}' "$OUT"
