#!/bin/sh
# Cross-builds the gateway for the Raspberry Pi (linux/arm64, cgo for
# SQLite) and smoke-tests the ARM binary under qemu-user: it starts, lists
# its drivers and decides a meal with the Zhuhai policy (12.60 to pay).
# Installs from Debian what is missing: the cross compiler, the arm64 C
# library headers (libc6-dev-arm64-cross is only a Recommends of the
# compiler, and packages are installed without recommends) and qemu-user.
set -eu
cd "$(dirname "$0")/../.."
need=""
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || need="$need gcc-aarch64-linux-gnu"
[ -f /usr/aarch64-linux-gnu/include/stdlib.h ] || need="$need libc6-dev-arm64-cross"
command -v qemu-aarch64-static >/dev/null 2>&1 || need="$need qemu-user-static"
if [ -n "$need" ]; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need
fi
VERSION="${VERSION:-$(git describe --always --dirty 2>/dev/null || echo dev)}"
out=bin/linux-arm64
mkdir -p "$out"
CGO_ENABLED=1 GOOS=linux GOARCH=arm64 CC=aarch64-linux-gnu-gcc \
	go build -ldflags "-X main.version=$VERSION" -o "$out/eldergate-gateway" ./firmware-gateway/cmd/eldergate-gateway
echo "cross-build: $out/eldergate-gateway ($(du -h "$out/eldergate-gateway" | cut -f1))"

run() { qemu-aarch64-static -L /usr/aarch64-linux-gnu "$out/eldergate-gateway" "$@"; }
test "$(run version)" = "$VERSION"
run probe --list | grep -q '^card *rdm6300'
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/elder.json" <<'JSON'
{"id":"E1","name":"张三明","birth":"1950-05-01","active":true,"hukou_local":true,"home_city":"440400","home_district":"440402","home_street":"440402005"}
JSON
run policy eval --policy docs/policies/zhuhai-2024.yaml --elder "$tmp/elder.json" \
	--at 2025-03-03T12:00:00+08:00 --weight-g 500 --site 440400/440402/440402005 >"$tmp/decision.json"
grep -q '"pay_fen": *1260' "$tmp/decision.json" || { echo "cross-build: unexpected decision under qemu:"; cat "$tmp/decision.json"; exit 1; }
echo "cross-build: arm64 binary runs under qemu (version, probe --list, policy eval: 12.60 to pay)"
