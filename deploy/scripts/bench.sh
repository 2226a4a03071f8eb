#!/usr/bin/env bash
# make bench: the performance suites of docs/PERFORMANCE.md, one block each.
#
# Every block runs its benchmarks, keeps their raw output in
# $BENCH_DIR/<section>.out (all of it also in $BENCH_OUT) and writes its own
# table into $BENCH_DOC through deploy/bench/benchtable (figure, target, met,
# command, machine, load average). A failed block is reported at the end and
# makes the script exit 1; the other blocks still run.
#
# Usage: deploy/scripts/bench.sh [go]
#   BENCH_ONLY="bench-gateway bench-roster"  runs only the blocks named
#   BENCH_DOC (docs/PERFORMANCE.md), BENCH_OUT (bench.out), BENCH_DIR (bench-out)
#
# Budget: the whole script stays within 30 minutes on the 2-core machine
# (aim: 20). Each block prints its wall time; keep a new block's under ~5 min.
set -uo pipefail
GO=${1:-go}
cd "$(dirname "$0")/../.."
DOC=${BENCH_DOC:-docs/PERFORMANCE.md}
OUT=${BENCH_OUT:-bench.out}
DIR=${BENCH_DIR:-bench-out}
ONLY=${BENCH_ONLY:-}
mkdir -p "$DIR" bin
: >"$OUT"
failed=()
timings=()
t_all=$(date +%s)

"$GO" build -o bin/benchtable ./deploy/bench/benchtable || exit 1

# want SECTION: whether this run includes the block (BENCH_ONLY empty: all).
want() { [[ -z $ONLY || " $ONLY " == *" $1 "* ]]; }

# begin SECTION: starts a block; its raw output goes to $f.
begin() {
	section=$1
	f="$DIR/$1.out"
	: >"$f"
	t_block=$(date +%s)
	load0=$(cut -d' ' -f1-3 /proc/loadavg)
	echo "==== $1 (load average $load0)" >&2
}

# gobench PKG REGEXP BENCHTIME: one `go test -bench` run of the block.
gobench() {
	echo "== $1 $2 ($3)" >&2
	"$GO" test -run='^$' -bench="$2" -benchtime="$3" -benchmem -timeout 20m "$1" 2>&1 | tee -a "$f" "$OUT"
	local rc=${PIPESTATUS[0]}
	[[ $rc == 0 ]] || failed+=("$section: go test $1 -bench '$2' exited $rc")
}

# table TITLE [benchtable flags...]: ends the block, writing its section.
table() {
	local title=$1
	shift
	local took=$(($(date +%s) - t_block))
	timings+=("$section ${took}s")
	echo "== $section took ${took}s" >&2
	bin/benchtable -doc "$DOC" -section "$section" -in "$f" -title "$title" \
		-command "make bench (deploy/scripts/bench.sh, block $section)" \
		-note "Block wall time: ${took} s. Load average (1, 5, 15 min) at its start: $load0." "$@" ||
		failed+=("$section: benchtable (a failed or empty run, see $f)")
}

# =============================================================================
# bench-micro: the component benchmarks of issues 4-13 (gateway store,
# uplink, ingester, decode). Figures are ns/op unless the unit says.
# =============================================================================
if want bench-micro; then
	begin bench-micro
	gobench ./firmware-gateway/sqlite '^BenchmarkRosterLoad100k$' 3x
	gobench ./firmware-gateway/sqlite '^Benchmark(Lookup|LookupP99)$' 20000x
	gobench ./firmware-gateway/uplink '^BenchmarkDrainToMosquitto$' 3x
	gobench ./deploy/e2e '^BenchmarkDrainToCloud$' 2x
	gobench ./deploy/e2e '^BenchmarkAlarmToSSE$' 2x
	gobench ./cloud '^BenchmarkIngest$' 1x
	gobench ./cloud/postgres '^BenchmarkIngestBatches$' 20x
	gobench . '^BenchmarkDecodeBatch$' 2s
	table "Component benchmarks" \
		-target 'BenchmarkRosterLoad100k ms/load <= 5000' \
		-target 'BenchmarkDrainToMosquitto/ events/s >= 5000' \
		-target 'BenchmarkDrainToCloud/ events/s >= 5000'
fi

# =============================================================================
# bench-gateway (issue 15): tap to kiosk p50/p99 (to SSE in Go, to the
# screen in Chromium), idle and busy RSS and idle CPU of the real
# eldergate-gateway process (simulated hardware, connected broker).
# =============================================================================
if want bench-gateway; then
	begin bench-gateway
	gobench ./firmware-gateway '^BenchmarkTapToSSE$' 3000x
	gobench ./deploy/e2e '^BenchmarkGatewayProcess$' 1x
	# The kiosk in headless Chromium: simulated card read -> result drawn (200 taps).
	echo "== kiosk tap -> screen (Chromium, 200 taps)" >&2
	# playwright-core as deploy/scripts/install-test-deps.sh installs it, in a fresh checkout too.
	[[ -d deploy/e2e/browser/node_modules/playwright-core ]] ||
		(cd deploy/e2e/browser && npm ci --no-audit --no-fund --loglevel=error) >&2
	if "$GO" build -o bin/ ./cloud/cmd/eldergate-cloud ./firmware-gateway/cmd/eldergate-gateway &&
		"$GO" run ./deploy/demo -fresh -data "$(mktemp -d)" -http 18880 -mqtt 18883 -kiosk 18881 \
			-run "node deploy/e2e/browser/tap-latency.bench.mjs" >"$DIR/kiosk.log" 2>&1 &&
		grep '^BenchmarkKioskTapToScreen' "$DIR/kiosk.log" | tee -a "$f" "$OUT"; then
		:
	else
		tail -20 "$DIR/kiosk.log" >&2
		echo "FAIL: the Chromium kiosk benchmark (log: $DIR/kiosk.log)" >>"$f"
		failed+=("bench-gateway: the Chromium kiosk benchmark (log: $DIR/kiosk.log)")
	fi
	table "Gateway: tap to kiosk, memory, idle CPU" \
		-metrics p50-ms,p95-ms,p99-ms,max-ms,lost,idle-RSS-MB,busy-RSS-MB,HWM-MB,idle-CPU-%,burst-taps/s \
		-target 'BenchmarkTapToSSE p99-ms <= 20' \
		-target 'BenchmarkKioskTapToScreen p95-ms <= 100' \
		-target 'BenchmarkKioskTapToScreen lost <= 0' \
		-target 'BenchmarkGatewayProcess idle-RSS-MB <= 20' \
		-note 'BenchmarkTapToSSE: POST /api/sim/tap to the SSE "tap" event, one tap at a time, 10,000 elders, durable commit, uplink draining to Mosquitto. BenchmarkKioskTapToScreen: the same in headless Chromium up to the drawn result (200 taps, 400 ms apart). BenchmarkGatewayProcess: the eldergate-gateway binary, 1,000 elders, simulated devices, uplink connected to a cloud; idle = 5 s after start-up, CPU over the next 30 s; busy = the largest RSS during 2,000 taps (8 in flight) and the drain of their meals.'
fi

# =============================================================================
# bench-alarm-backlog (issue 10, ADR 0012): an alarm behind 100,000 queued
# meals when its gateway reconnects, Mosquitto + cloud ingester.
# =============================================================================
if want bench-alarm-backlog; then
	begin bench-alarm-backlog
	gobench ./deploy/e2e '^BenchmarkAlarmBehindBacklog$' 5x
	table "An alarm behind 100,000 queued meals" -metrics ms-p50,ms-max \
		-target 'BenchmarkAlarmBehindBacklog ms-p50 <= 1000' \
		-target 'BenchmarkAlarmBehindBacklog ms-max <= 1000' \
		-note 'From the uplink connected to the alarm committed in the cloud store; 5 reconnections, each with 100,000 meals sent and unacknowledged ahead of the alarm.'
fi

# =============================================================================
# bench-roster (issue 15): a roster of 100,000 elders imported from CSV
# through the API an operator uses, on SQLite and on PostgreSQL.
# =============================================================================
if want bench-roster; then
	begin bench-roster
	gobench ./deploy/e2e '^BenchmarkRosterImport100k$' 1x
	table "Roster of 100,000 elders imported from CSV" -metrics s/import,cloud-cpu-s,parse-s,s/reimport \
		-target 'BenchmarkRosterImport100k/ s/import <= 10' \
		-note 'POST /api/v1/sites/{site}/roster/import of a 5.3 MB CSV (id, name, resident ID, card, category) to a fresh cloud: parse, preview, store in one transaction, roster command queued. parse-s: the parse alone; s/reimport: the same file again (nothing changes).'
fi

# =============================================================================
# bench-ingest (issue 15): the same load (100 gateways of deploy/loadgen,
# each its own MQTT connection and credentials) taken by a plain subscriber
# (the broker's rate), by one and by two `eldergate-cloud ingest` processes
# sharing $share/ingest, beside PostgreSQL's own COPY of the same rows into
# the same tables; Mosquitto and PostgreSQL (fsync on) started by the
# benchmark; live and drain shapes, interleaved rounds, medians.
# =============================================================================
if want bench-ingest; then
	begin bench-ingest
	gobench ./deploy/bench/ingest '^BenchmarkIngestSuite$' 1x
	table "Ingest: one and two ingesters beside the broker and COPY" \
		-metrics events/s,msgs/s,raw-ratio,copy-ratio,ack-p99-ms,lost,duplicated \
		-target 'BenchmarkIngestSuite/live/ingest-1 events/s >= 34050' \
		-target 'BenchmarkIngestSuite/drain/ingest-1 events/s >= 93300' \
		-target 'BenchmarkIngestSuite/drain/ingest-1 copy-ratio >= 0.8' \
		-target 'BenchmarkIngestSuite/* lost <= 0' \
		-target 'BenchmarkIngestSuite/* duplicated <= 0' \
		-note 'live: 50,000 one-event messages from 100 gateways; drain: 100,000 events in batches of 500 (1,000 per gateway). raw: mosquitto_sub (QoS 1) receiving every message, first publish to last message. ingest-1/ingest-2: one or two eldergate-cloud ingest processes on PostgreSQL (fsync on), first publish to the last event acknowledged to its gateway; then events and meals must hold exactly the events sent (lost, duplicated: summed over the runs; duplicated includes acks of an event already acknowledged). copy: COPY of the same rows into the events and meals tables of the same schema in one transaction. raw-ratio and copy-ratio: the median ingest rate over the median raw and COPY rates of the same run.' \
		-note 'Targets: 1.5 × Telegraf mqtt_consumer → postgresql as issue 15 measured it with ../shared/peer (22,700 rows/s live, 62,200 drain; Telegraf is not part of make bench), and 0.8 of COPY in the drain shape. Each run starts from a copy of one migrated database with the 100 gateways registered (the ingester acks only registered gateways). Rounds: go test ... -args -ingest.rounds N (default 2).'
fi

# =============================================================================
# bench-fleet (issue 15, ADR 0039): 10,000 gateways on one broker and one
# cloud. eldergate-cloud serve (embedded broker, SQLite) in its own
# process, 10,000 deploy/loadgen gateways enrolled through the bulk path:
# bulk enrollment time, connect storm after a restart of the cloud, cloud
# CPU and RSS per gateway, alarm -> console SSE during the storm and
# steady, offline after a mass disconnect (~5 min). The benchmark writes
# its own section (deploy/bench/fleet/report.go: figure, target, met), so
# no benchtable here. Needs ~10,500 open files (the bench lifts its soft
# limit to the hard one). FLEET_PROFILES=dir keeps the cloud's profiles.
# =============================================================================
if want bench-fleet; then
	begin bench-fleet
	export FLEET_DOC="$(realpath -m "$DOC")"
	gobench ./deploy/bench/fleet '^BenchmarkFleet10k$' 1x
	unset FLEET_DOC
	took=$(($(date +%s) - t_block))
	timings+=("bench-fleet ${took}s")
	echo "== bench-fleet took ${took}s" >&2
fi

# =============================================================================
# bench-nats (issue 15, ADR 0041): the same backlog drained through a
# three-node NATS cluster (MQTT on every node, R3 stream, the JetStream
# ingester) and through one Mosquitto (the MQTT ingester), into the same
# durable PostgreSQL; nats-server memory per connected gateway (~3 min).
# =============================================================================
if want bench-nats; then
	begin bench-nats
	gobench ./deploy/natscluster '^BenchmarkNATSCluster$' 1x
	table "Past one broker: a three-node NATS cluster beside one Mosquitto" \
		-metrics nats_events/s,mosquitto_events/s,nats_KB/gateway \
		-note 'Drain of the same backlog of meals (batches of 500) through three nats-server nodes (v2.15, JetStream R3) and through one Mosquitto, each with one ingester, into PostgreSQL with fsync on; nats_KB/gateway: nats-server RSS per connected idle gateway (900 on one node). docs/city-scale.md sizes a city from these figures.'
fi

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $("$GO" version)"
awk '
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	line = sprintf("%-48s %8s", name, $2)
	for (i = 3; i + 1 <= NF; i += 2) line = line sprintf("  %12s %s", $i, $(i + 1))
	print line
}' "$OUT"
for t in "${timings[@]}"; do echo "block $t"; done
echo "make bench: $(($(date +%s) - t_all)) s in all; tables written to $DOC"
if ((${#failed[@]})); then
	printf 'FAILED: %s\n' "${failed[@]}" >&2
	exit 1
fi
