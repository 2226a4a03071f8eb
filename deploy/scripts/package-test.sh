#!/bin/sh
# make package-test: the Debian packages of deploy/packaging, tested as an
# operator uses them (ADR 0032).
#
# 1. Two builds with different versions (DEB_VERSION 0.0.1~pkgtest1 and
#    0.0.1~pkgtest2) of eldergate-gateway and eldergate-cloud for amd64.
# 2. systemd-analyze verify on the units as the package ships them
#    (extracted from the .deb, with the gateway's device drop-in from its
#    example configuration) in a temporary root (--root) holding this
#    machine's systemd units; any warning fails, not only the exit code.
#    systemd-analyze security scores their hardening below 2.5 (of 10).
# 3. In a Debian 12 root made with debootstrap (minbase plus adduser,
#    the packages' one dependency beyond libc6), entered with chroot and
#    without systemd running: install version 1, edit a conffile and write
#    a data file, upgrade to version 2, remove, purge, checking after each
#    step the user, files, modes, owners, the unit and its enablement, the
#    device drop-in, the conffile and the data, and that the packaged
#    configurations start both daemons as the user eldergate (in a network
#    namespace of their own). dpkg fails the step if a maintainer script
#    exits non-zero.
#
# The debootstrap root is made once and cached as a tarball in
# PKGTEST_CACHE (default /var/tmp/eldergate-pkgtest); a fresh machine
# makes it from the Debian mirror of MIRROR (default the one in apt's
# sources) in about 6 minutes, a cached one unpacks in seconds.
#
# Debian packages it needs, installed with --no-install-recommends when
# missing: debootstrap (its Recommends gnupg and debian-archive-keyring:
# the keyring is named because debootstrap checks the Release signature
# with it; gnupg is not needed, debootstrap verifies with gpgv, which apt
# brings), systemd (systemd-analyze), iproute2 (ip: the daemons run in a
# network namespace of their own). The Go toolchain builds nfpm.
set -eu
cd "$(dirname "$0")/../.."
start=$(date +%s)

need=""
want() { case " $need " in *" $1 "*) ;; *) need="$need $1" ;; esac; }
command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || want debootstrap
[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || want debian-archive-keyring
command -v gpgv >/dev/null 2>&1 || want gpgv
command -v systemd-analyze >/dev/null 2>&1 || want systemd
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || want iproute2
if [ -n "$need" ]; then
	echo "package-test: installing$need"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need
fi
PATH="$PATH:/usr/sbin:/sbin"
if [ "$(id -u)" -ne 0 ]; then
	echo "package-test: needs root (debootstrap, chroot, dpkg in the root)" >&2
	exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "package-test: FAIL: $*" >&2
	exit 1
}
step() { echo "package-test: $*"; }

# 1. Two versions.
make -s build
for n in 1 2; do
	OUT="$tmp/v$n" DEB_VERSION="0.0.1~pkgtest$n" deploy/scripts/package.sh >/dev/null
	for p in gateway cloud; do
		[ -f "$tmp/v$n/eldergate-${p}_0.0.1~pkgtest${n}_amd64.deb" ] || fail "no eldergate-$p version $n"
	done
done
gw1="$tmp/v1/eldergate-gateway_0.0.1~pkgtest1_amd64.deb"
step "built two versions of both packages ($(($(date +%s) - start))s)"

# The package's declared contents and dependency.
dpkg-deb -f "$gw1" Depends | grep -q '^adduser, libc6$' || fail "gateway Depends: $(dpkg-deb -f "$gw1" Depends)"
dpkg-deb -c "$gw1" >"$tmp/contents"
grep -q '^-rwxr-xr-x root/root .* ./usr/bin/eldergate-gateway$' "$tmp/contents" || fail "binary not 0755 root"
grep -q '^-rw-r----- root/root .* ./etc/eldergate/gateway.yaml$' "$tmp/contents" || fail "config not 0640"
dpkg-deb -I "$gw1" conffiles | grep -qx /etc/eldergate/gateway.yaml || fail "gateway.yaml is not a conffile"

# 2. systemd-analyze verify on the shipped units.
vr="$tmp/verify"
scores=""
mkdir -p "$vr/usr/lib/systemd" "$vr/etc/systemd/system/eldergate-gateway.service.d"
cp -a /usr/lib/systemd/system "$vr/usr/lib/systemd/" 2>/dev/null || cp -a /lib/systemd/system "$vr/usr/lib/systemd/"
for p in gateway cloud; do dpkg-deb -x "$tmp/v1/eldergate-${p}_0.0.1~pkgtest1_amd64.deb" "$vr"; done
"$vr/usr/bin/eldergate-gateway" systemd-dropin --config "$vr/etc/eldergate/gateway.yaml" >"$vr/etc/systemd/system/eldergate-gateway.service.d/50-devices.conf"
if ! out="$(systemd-analyze verify --man=no --root="$vr" eldergate-gateway.service eldergate-cloud.service 2>&1)" || [ -n "$out" ]; then
	fail "systemd-analyze verify: $out"
fi
for u in gateway cloud; do
	grep -qx 'Type=notify' "$vr/usr/lib/systemd/system/eldergate-$u.service" || fail "$u unit is not Type=notify"
	grep -qx 'WatchdogSec=30' "$vr/usr/lib/systemd/system/eldergate-$u.service" || fail "$u unit has no watchdog"
	grep -qx 'Restart=always' "$vr/usr/lib/systemd/system/eldergate-$u.service" || fail "$u unit does not restart"
	grep -qx "StateDirectory=eldergate/$u" "$vr/usr/lib/systemd/system/eldergate-$u.service" || fail "$u unit's state directory"
done
if grep -Eq '^(NoExecPaths|ExecPaths)=' "$vr/usr/lib/systemd/system/eldergate-gateway.service"; then
	fail "the gateway unit must not make its state directory noexec (OTA runs a binary from it)"
fi
# The hardening, as systemd scores it (0 best, 10 worst): kept below 2.5.
for u in gateway cloud; do
	score="$(systemd-analyze security --offline=true --root="$vr" "eldergate-$u.service" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')"
	[ -n "$score" ] || fail "systemd-analyze security gave no score for eldergate-$u"
	awk -v s="$score" 'BEGIN { exit !(s < 2.5) }' || fail "eldergate-$u exposure $score, want below 2.5"
	scores="$scores eldergate-$u $score"
done
step "systemd-analyze verify accepts both units and the device drop-in; exposure:$scores ($(systemd-analyze --version | head -1))"

# 3. The Debian root.
cache="${PKGTEST_CACHE:-/var/tmp/eldergate-pkgtest}"
tarball="$cache/bookworm-minbase-adduser.tar.gz"
if [ ! -f "$tarball" ]; then
	mirror="${MIRROR:-$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p; s/^deb \(http[^ ]*debian\) bookworm .*/\1/p' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null | head -1)}"
	mirror="${mirror:-http://deb.debian.org/debian}"
	t0=$(date +%s)
	step "debootstrap bookworm (minbase + adduser) from $mirror into the cache $tarball"
	debootstrap --variant=minbase --include=adduser bookworm "$tmp/boot" "$mirror" >"$tmp/debootstrap.log" 2>&1 ||
		{ tail -20 "$tmp/debootstrap.log" >&2; fail "debootstrap from $mirror"; }
	mkdir -p "$cache"
	tar -C "$tmp/boot" --numeric-owner -czf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
	rm -rf "$tmp/boot"
	step "debootstrap and tarball took $(($(date +%s) - t0))s"
fi
root="$tmp/root"
mkdir -p "$root"
tar -C "$root" --numeric-owner -xzf "$tarball"
[ ! -d "$root/run/systemd/system" ] || fail "the root looks as if systemd ran in it"
cp -r "$tmp/v1" "$tmp/v2" "$root/tmp/"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"; }
mode() { in_root stat -c '%a %U:%G' "$1"; }
expect_mode() {
	got="$(mode "$1")" || fail "$1 missing"
	[ "$got" = "$2" ] || fail "$1: $got, want $2"
}
status() { in_root dpkg-query -W -f '${Status} ${Version}' "$1" 2>/dev/null || true; }
step "Debian root ready ($(cat "$root/etc/debian_version"), $(($(date +%s) - start))s so far)"

in_root dpkg -i /tmp/v1/eldergate-gateway_0.0.1~pkgtest1_amd64.deb /tmp/v1/eldergate-cloud_0.0.1~pkgtest1_amd64.deb >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log" >&2; fail "install of version 1"; }
for p in gateway cloud; do
	[ "$(status eldergate-$p)" = "install ok installed 0.0.1~pkgtest1" ] || fail "eldergate-$p after install: $(status eldergate-$p)"
done
in_root getent passwd eldergate | grep -q ':/var/lib/eldergate:/usr/sbin/nologin$' || fail "no system user eldergate: $(in_root getent passwd eldergate)"
uid="$(in_root id -u eldergate)"
[ "$uid" -lt 1000 ] || fail "eldergate is not a system user (uid $uid)"
expect_mode /usr/bin/eldergate-gateway "755 root:root"
expect_mode /usr/bin/eldergate-cloud "755 root:root"
expect_mode /etc/eldergate/gateway.yaml "640 root:eldergate"
expect_mode /etc/eldergate/cloud.yaml "640 root:eldergate"
expect_mode /var/lib/eldergate "755 root:root"
expect_mode /var/lib/eldergate/gateway "700 eldergate:eldergate"
expect_mode /var/lib/eldergate/cloud "700 eldergate:eldergate"
for p in gateway cloud; do
	[ -f "$root/usr/lib/systemd/system/eldergate-$p.service" ] || fail "unit eldergate-$p.service missing"
	[ -L "$root/etc/systemd/system/multi-user.target.wants/eldergate-$p.service" ] || fail "eldergate-$p.service not enabled"
done
dropin="$root/etc/systemd/system/eldergate-gateway.service.d/50-devices.conf"
[ "$(grep '^DeviceAllow=' "$dropin" | tr '\n' ' ')" = "DeviceAllow= DeviceAllow=char-ttyUSB rw " ] || fail "device drop-in: $(cat "$dropin")"
step "install: user eldergate (uid $uid), files, modes, state directories 0700, units enabled, device drop-in (the example's serial reader: char-ttyUSB only); no systemd running, scripts exit 0"

# run_service ROLE WANT ARGS...: runs the installed daemon as the unit
# does (user eldergate, the packaged configuration) inside the root, in a
# network namespace of its own (its loopback only), until its output
# shows WANT (30 s at most), then stops it with SIGTERM.
run_service() {
	role=$1 want=$2
	shift 2
	log="$tmp/run-$role.log"
	unshare -n sh -c 'ip link set lo up && exec chroot --userspec=eldergate:eldergate "$0" env -i PATH=/usr/bin:/bin "$@"' \
		"$root" "/usr/bin/eldergate-$role" "$@" >"$log" 2>&1 &
	pid=$!
	i=0
	until grep -q "$want" "$log"; do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" || true
			fail "eldergate-$role exited before '$want': $(tail -5 "$log")"
		fi
		i=$((i + 1))
		[ "$i" -lt 300 ] || { kill "$pid"; wait "$pid" || true; fail "eldergate-$role: no '$want' within 30 s: $(tail -5 "$log")"; }
		sleep 0.1
	done
	kill -TERM "$pid"
	wait "$pid" || fail "eldergate-$role did not stop cleanly on SIGTERM: $(tail -5 "$log")"
}
run_service gateway '"msg":"listening"' run --config /etc/eldergate/gateway.yaml
run_service cloud 'eldergate-cloud: console at' serve --config /etc/eldergate/cloud.yaml
for p in gateway cloud; do
	n="$(in_root find "/var/lib/eldergate/$p" -mindepth 1 ! -user eldergate | wc -l)"
	[ "$n" -eq 0 ] || fail "files in /var/lib/eldergate/$p not owned by eldergate: $(in_root find "/var/lib/eldergate/$p" ! -user eldergate)"
	[ -n "$(in_root find "/var/lib/eldergate/$p" -mindepth 1)" ] || fail "eldergate-$p wrote nothing in /var/lib/eldergate/$p"
done
step "the packaged configurations start both daemons as eldergate (readable configuration, writable state directory)"

# An operator's edit (the card reader becomes a USB keyboard-wedge reader)
# and a hall's data.
sed -i 's#card: {driver: rdm6300, port: /dev/ttyUSB0}.*#card: {driver: evdev, port: /dev/input/by-id/usb-reader-event-kbd}#' "$root/etc/eldergate/gateway.yaml"
grep -q 'driver: evdev' "$root/etc/eldergate/gateway.yaml" || fail "the test's edit of gateway.yaml did not apply"
edited="$(sha256sum <"$root/etc/eldergate/gateway.yaml")"
for p in gateway cloud; do
	in_root sh -c "echo 'meal ledger of $p' > /var/lib/eldergate/$p/ledger.db && chown eldergate:eldergate /var/lib/eldergate/$p/ledger.db && chmod 600 /var/lib/eldergate/$p/ledger.db"
done
data="$(cat "$root/var/lib/eldergate/gateway/ledger.db" "$root/var/lib/eldergate/cloud/ledger.db" | sha256sum)"
keep_data() {
	[ "$(cat "$root/var/lib/eldergate/gateway/ledger.db" "$root/var/lib/eldergate/cloud/ledger.db" 2>/dev/null | sha256sum)" = "$data" ] || fail "data in /var/lib/eldergate lost $1"
	expect_mode /var/lib/eldergate/gateway "700 eldergate:eldergate"
	expect_mode /var/lib/eldergate/gateway/ledger.db "600 eldergate:eldergate"
}

in_root dpkg -i /tmp/v2/eldergate-gateway_0.0.1~pkgtest2_amd64.deb /tmp/v2/eldergate-cloud_0.0.1~pkgtest2_amd64.deb >"$tmp/upgrade.log" 2>&1 ||
	{ cat "$tmp/upgrade.log" >&2; fail "upgrade to version 2"; }
for p in gateway cloud; do
	[ "$(status eldergate-$p)" = "install ok installed 0.0.1~pkgtest2" ] || fail "eldergate-$p after upgrade: $(status eldergate-$p)"
	[ -L "$root/etc/systemd/system/multi-user.target.wants/eldergate-$p.service" ] || fail "eldergate-$p.service not enabled after upgrade"
done
[ "$(sha256sum <"$root/etc/eldergate/gateway.yaml")" = "$edited" ] || fail "the edited conffile was replaced on upgrade"
expect_mode /etc/eldergate/gateway.yaml "640 root:eldergate"
[ "$(grep '^DeviceAllow=' "$dropin" | tr '\n' ' ')" = "DeviceAllow= DeviceAllow=char-input rw " ] || fail "device drop-in not renewed from the edited configuration: $(cat "$dropin")"
keep_data "on upgrade"
run_service cloud 'eldergate-cloud: console at' serve --config /etc/eldergate/cloud.yaml
step "upgrade 0.0.1~pkgtest1 -> 0.0.1~pkgtest2: edited conffile kept, device drop-in renewed from it (char-input), data kept, still enabled, the cloud starts on its store"

in_root dpkg -r eldergate-gateway eldergate-cloud >"$tmp/remove.log" 2>&1 || { cat "$tmp/remove.log" >&2; fail "remove"; }
for p in gateway cloud; do
	[ "$(status eldergate-$p)" = "deinstall ok config-files 0.0.1~pkgtest2" ] || fail "eldergate-$p after remove: $(status eldergate-$p)"
	[ ! -e "$root/usr/bin/eldergate-$p" ] || fail "binary left after remove"
	[ ! -e "$root/usr/lib/systemd/system/eldergate-$p.service" ] || fail "unit left after remove"
done
[ "$(sha256sum <"$root/etc/eldergate/gateway.yaml")" = "$edited" ] || fail "configuration lost on remove"
keep_data "on remove"
in_root getent passwd eldergate >/dev/null || fail "user removed"
step "remove: binaries and units gone, configuration and data kept"

in_root dpkg -P eldergate-gateway eldergate-cloud >"$tmp/purge.log" 2>&1 || { cat "$tmp/purge.log" >&2; fail "purge"; }
for p in gateway cloud; do
	[ -z "$(status eldergate-$p)" ] || [ "$(status eldergate-$p)" = "unknown ok not-installed " ] || fail "eldergate-$p after purge: $(status eldergate-$p)"
	[ ! -e "$root/etc/systemd/system/multi-user.target.wants/eldergate-$p.service" ] || fail "enablement left after purge"
	grep -q "/var/lib/eldergate/$p is KEPT" "$tmp/purge.log" || fail "purge did not say that /var/lib/eldergate/$p is kept: $(cat "$tmp/purge.log")"
done
[ ! -e "$root/etc/eldergate" ] || fail "/etc/eldergate left after purge: $(ls -la "$root/etc/eldergate")"
[ ! -e "$root/etc/systemd/system/eldergate-gateway.service.d" ] || fail "drop-in left after purge"
keep_data "on purge"
step "purge: configuration, drop-in and enablement gone; /var/lib/eldergate kept (records), and said so"

# Reinstall over the kept data: the new service may use it.
in_root dpkg -i /tmp/v2/eldergate-gateway_0.0.1~pkgtest2_amd64.deb >"$tmp/reinstall.log" 2>&1 || { cat "$tmp/reinstall.log" >&2; fail "reinstall"; }
keep_data "on reinstall"
step "reinstall after purge: the kept data is the service's again"

step "OK in $(($(date +%s) - start))s"
