#!/bin/sh
# Cross-builds eldergate with cgo (SQLite) and smoke-tests each ARM binary
# under qemu-user (`make cross`; .ci/run calls it):
#   bin/linux-arm64/eldergate-gateway  Pi 3/4/5 on a 64-bit OS
#   bin/linux-armv7/eldergate-gateway  Pi 2/3 on a 32-bit OS (armhf)
#   bin/linux-armv6/eldergate-gateway  Pi Zero / Pi 1: GOARM=6, linked
#                                      statically against Debian's armel C
#                                      library (ARMv5TE code; armhf's is
#                                      ARMv7), so it also runs on Raspberry
#                                      Pi OS (armhf userland). ADR 0034.
#   bin/linux-amd64/eldergate-gateway  native, for the package tests
#   bin/linux-amd64/eldergate-cloud    native
#   bin/linux-arm64/eldergate-cloud    the cloud on an ARM server or a Pi
# Each binary is stamped with the version (git describe --always --dirty;
# VERSION overrides). Under qemu each ARM gateway must print that version
# and pass `eldergate-gateway selftest` (a fresh SQLite store, two meals
# decided with the Zhuhai policy, committed and read back); the armv6 one
# on an ARMv6 CPU model (-cpu arm1176, the Pi Zero's), where an ARMv7
# instruction in it or in its C library dies with SIGILL. The armv6
# binary must be a static ELF. The arm64 cloud must print the version and
# add a console user to a fresh SQLite store in a temporary data dir.
#
# Installs from Debian what is missing, with --no-install-recommends, so
# every package is named, also what is only a Recommends of another:
#   gcc-aarch64-linux-gnu, gcc-arm-linux-gnueabihf, gcc-arm-linux-gnueabi
#                           the cross compilers (cgo for SQLite), for
#                           arm64, armhf (v7) and armel (v6); each pulls
#                           its gcc-12-* compiler as a Depends;
#   libc6-dev-arm64-cross, libc6-dev-armhf-cross, libc6-dev-armel-cross
#                           the C library headers and crt files, and for
#                           armel the static libc.a the armv6 build links:
#                           only a Recommends of the compilers;
#   libc6-arm64-cross, libc6-armhf-cross
#                           the loader and libc that qemu-user loads the
#                           dynamic binaries with (-L): a Depends of the
#                           above, named for when it alone went missing;
#   libc6-armel-cross       armel's shared libc: a Depends of
#                           libc6-dev-armel-cross, named likewise (the
#                           static armv6 binary needs no loader);
#   qemu-user-static        runs the ARM binaries (qemu-arm-static knows the
#                           arm1176 CPU). Its Recommends (binfmt-support |
#                           systemd) are not needed: qemu-*-static is
#                           called by name.
# Each is checked by a file it ships. apt waits for a lock held by another
# apt (DPkg::Lock::Timeout) instead of failing.
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
command -v arm-linux-gnueabi-gcc >/dev/null 2>&1 || want gcc-arm-linux-gnueabi
[ -f /usr/arm-linux-gnueabi/lib/libc.a ] || want libc6-dev-armel-cross
[ -f /usr/arm-linux-gnueabi/lib/ld-linux.so.3 ] || want libc6-armel-cross
command -v qemu-aarch64-static >/dev/null 2>&1 || want qemu-user-static
command -v qemu-arm-static >/dev/null 2>&1 || want qemu-user-static
if [ -n "$need" ]; then
	echo "cross-build: installing$need"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $need
fi
VERSION="${VERSION:-$(git describe --always --dirty 2>/dev/null || echo dev)}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "cross-build: $*" >&2; exit 1; }

# gobuild OUT PKG GOARCH GOARM CC LDFLAGS [go build flags...]: builds PKG
# into OUT for linux/GOARCH with cgo and the version.
gobuild() {
	out=$1 pkg=$2 arch=$3 arm=$4 cc=$5 ld=$6
	shift 6
	mkdir -p "$(dirname "$out")"
	CGO_ENABLED=1 GOOS=linux GOARCH="$arch" GOARM="$arm" CC="$cc" \
		go build "$@" -ldflags "-X main.version=$VERSION $ld" -o "$out" "$pkg"
	echo "cross-build: $out ($(du -h "$out" | cut -f1))"
}

# smoke NAME BIN PLATFORM QEMU...: the gateway BIN under the qemu command
# line QEMU... prints the version, and passes its self-test, which names
# PLATFORM (as releases name it) and cgo.
smoke() {
	name=$1 bin=$2 platform=$3
	shift 3
	v="$("$@" "$bin" version)" || fail "$bin did not start under $*"
	[ "$v" = "$VERSION" ] || fail "$bin prints version \"$v\", want \"$VERSION\""
	"$@" "$bin" selftest >"$tmp/selftest.out" 2>&1 || {
		cat "$tmp/selftest.out" >&2
		fail "$name gateway failed its self-test under $*"
	}
	sed 's/^/    /' "$tmp/selftest.out"
	grep -q "^build: eldergate-gateway $VERSION, $platform, cgo, " "$tmp/selftest.out" ||
		fail "$name gateway does not say it is $platform with cgo"
	echo "cross-build: $name gateway runs under $* (version $VERSION, selftest passed)"
}

gw=./firmware-gateway/cmd/eldergate-gateway
cloud=./cloud/cmd/eldergate-cloud

# Native (amd64): the binaries the package tests install.
gobuild bin/linux-amd64/eldergate-gateway $gw amd64 "" "" ""
gobuild bin/linux-amd64/eldergate-cloud $cloud amd64 "" "" ""

# arm64: Pi 3/4/5 on a 64-bit OS; the cloud too.
gobuild bin/linux-arm64/eldergate-gateway $gw arm64 "" aarch64-linux-gnu-gcc ""
smoke arm64 bin/linux-arm64/eldergate-gateway linux/arm64 qemu-aarch64-static -L /usr/aarch64-linux-gnu
gobuild bin/linux-arm64/eldergate-cloud $cloud arm64 "" aarch64-linux-gnu-gcc ""
v="$(qemu-aarch64-static -L /usr/aarch64-linux-gnu bin/linux-arm64/eldergate-cloud version)" || fail "the arm64 cloud did not start under qemu"
[ "$v" = "$VERSION" ] || fail "the arm64 cloud prints version \"$v\", want \"$VERSION\""
mkdir "$tmp/cloud"
EG_STORE_DSN="" qemu-aarch64-static -L /usr/aarch64-linux-gnu bin/linux-arm64/eldergate-cloud users add \
	--data "$tmp/cloud" --login smoke --name Smoke --role admin >"$tmp/users.out" 2>&1 ||
	{ cat "$tmp/users.out" >&2; fail "the arm64 cloud could not add a user to a fresh SQLite store under qemu"; }
if EG_STORE_DSN="" qemu-aarch64-static -L /usr/aarch64-linux-gnu bin/linux-arm64/eldergate-cloud users add \
	--data "$tmp/cloud" --login smoke --name Smoke --role admin >"$tmp/users.out" 2>&1; then
	fail "the arm64 cloud added login smoke twice: its SQLite store did not keep the first"
fi
grep -q 'login smoke is taken' "$tmp/users.out" || { cat "$tmp/users.out" >&2; fail "the arm64 cloud's second users add failed for another reason"; }
echo "cross-build: arm64 cloud runs under qemu-aarch64-static (version $VERSION; users add into a fresh SQLite store, read back: the login is taken)"

# armv7: Pi 2/3 on a 32-bit OS (armhf).
gobuild bin/linux-armv7/eldergate-gateway $gw arm 7 arm-linux-gnueabihf-gcc ""
smoke armv7 bin/linux-armv7/eldergate-gateway linux/arm/v7 qemu-arm-static -L /usr/arm-linux-gnueabihf

# armv6: Pi Zero / Pi 1. GOARM=6 is Go's hard-float ARMv6 (VFPv2, which
# the ARM1176 has); the armel C library and the C compiler's objects are
# ARMv5TE soft-float ABI, which mix with it because cgo calls C through C
# wrappers. Static (no loader, no libc of the target's own), so the same
# binary runs on Raspberry Pi OS and on Debian armel. The pure-Go resolver
# and user lookup (netgo, osusergo) keep glibc's NSS out of the static
# binary; SQLite's extension loading (dlopen) is left out likewise.
gobuild bin/linux-armv6/eldergate-gateway $gw arm 6 arm-linux-gnueabi-gcc "-linkmode external -extldflags -static" \
	-tags netgo,osusergo,sqlite_omit_load_extension
v6=bin/linux-armv6/eldergate-gateway
readelf -lW "$v6" | grep -q INTERP && fail "$v6 asks for a program interpreter: it is not static"
readelf -dW "$v6" | grep -q NEEDED && fail "$v6 needs shared libraries: it is not static"
arch="$(readelf -A "$v6" | sed -n 's/^ *Tag_CPU_arch: *//p')"
case "$arch" in
v4 | v4T | v5T | v5TE | v5TEJ | v6 | v6KZ | v6K) ;;
*) fail "$v6 is built for $arch (Tag_CPU_arch), more than an ARMv6 runs" ;;
esac
echo "cross-build: $v6 is static, Tag_CPU_arch $arch"
smoke armv6 "$v6" linux/arm/v6 qemu-arm-static -cpu arm1176
