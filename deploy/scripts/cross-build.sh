#!/bin/sh
# Cross-builds the gateway for the Raspberry Pi with cgo (SQLite):
# linux/arm64 (Pi 3/4/5 on a 64-bit OS) and linux/arm v7 (Pi 2/3 on a
# 32-bit OS), and smoke-tests each binary under qemu-user: it starts,
# lists its drivers and decides a meal with the Zhuhai policy (12.60 to
# pay). Installs from Debian what is missing, with --no-install-recommends,
# so every package is named, also what is only a Recommends of another:
#   gcc-aarch64-linux-gnu, gcc-arm-linux-gnueabihf
#                           the cross compilers (cgo for SQLite);
#   libc6-dev-arm64-cross, libc6-dev-armhf-cross
#                           the C library headers and crt files: only a
#                           Recommends of the compilers;
#   libc6-arm64-cross, libc6-armhf-cross
#                           the loader and libc that qemu-user loads the
#                           binary with (-L): a Depends of the above,
#                           named for when it alone went missing;
#   qemu-user-static        runs the ARM binaries. Its Recommends
#                           (binfmt-support | systemd) are not needed:
#                           qemu-*-static is called by name.
# Each is checked by a file it ships. (ARMv6, the Pi Zero and Pi 1, is not
# built yet: Debian's armhf C library is ARMv7 code; issue 14.)
set -eu
cd "$(dirname "$0")/../.."
need=""
want() { case " $need " in *" $1 "*) ;; *) need="$need $1" ;; esac; }
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || want gcc-aarch64-linux-gnu
[ -f /usr/aarch64-linux-gnu/include/stdlib.h ] || want libc6-dev-arm64-cross
[ -f /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] || want libc6-arm64-cross
command -v arm-linux-gnueabihf-gcc >/dev/null 2>&1 || want gcc-arm-linux-gnueabihf
[ -f /usr/arm-linux-gnueabihf/include/stdlib.h ] || want libc6-dev-armhf-cross
[ -f /usr/arm-linux-gnueabihf/lib/ld-linux-armhf.so.3 ] || want libc6-armhf-cross
command -v qemu-aarch64-static >/dev/null 2>&1 || want qemu-user-static
command -v qemu-arm-static >/dev/null 2>&1 || want qemu-user-static
if [ -n "$need" ]; then
	echo "cross-build: installing$need"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need
fi
VERSION="${VERSION:-$(git describe --always --dirty 2>/dev/null || echo dev)}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/elder.json" <<'JSON'
{"id":"E1","name":"张三明","birth":"1950-05-01","active":true,"hukou_local":true,"home_city":"440400","home_district":"440402","home_street":"440402005"}
JSON

# build NAME GOARCH GOARM CC QEMU SYSROOT: builds bin/linux-NAME/eldergate-gateway
# and runs it under QEMU with the target's C library from SYSROOT.
build() {
	name=$1 arch=$2 arm=$3 cc=$4 qemu=$5 sysroot=$6
	out="bin/linux-$name"
	mkdir -p "$out"
	CGO_ENABLED=1 GOOS=linux GOARCH="$arch" GOARM="$arm" CC="$cc" \
		go build -ldflags "-X main.version=$VERSION" -o "$out/eldergate-gateway" ./firmware-gateway/cmd/eldergate-gateway
	echo "cross-build: $out/eldergate-gateway ($(du -h "$out/eldergate-gateway" | cut -f1))"
	run() { "$qemu" -L "$sysroot" "$out/eldergate-gateway" "$@"; }
	test "$(run version)" = "$VERSION"
	run probe --list | grep -q '^card *rdm6300'
	run policy eval --policy docs/policies/zhuhai-2024.yaml --elder "$tmp/elder.json" \
		--at 2025-03-03T12:00:00+08:00 --weight-g 500 --site 440400/440402/440402005 >"$tmp/decision.json"
	grep -q '"pay_fen": *1260' "$tmp/decision.json" || { echo "cross-build: unexpected decision of $name under qemu:"; cat "$tmp/decision.json"; exit 1; }
	echo "cross-build: $name binary runs under qemu (version, probe --list, policy eval: 12.60 to pay)"
}

build arm64 arm64 "" aarch64-linux-gnu-gcc qemu-aarch64-static /usr/aarch64-linux-gnu
build armv7 arm 7 arm-linux-gnueabihf-gcc qemu-arm-static /usr/arm-linux-gnueabihf
