#!/bin/sh
# Installs what the tests need when it is missing: mosquitto (real broker),
# chromium and node (browser tests), PostgreSQL (store tests), espeak-ng
# (the kiosk's voice, firmware-gateway/voice), a C
# toolchain (cgo: SQLite and -race) from Debian, playwright-core from npm.
# Idempotent; does nothing when everything is there.
#
# Packages are installed with --no-install-recommends, so every package a
# test needs is named here, also when it is only a Recommends of another
# (gcc only recommends libc6-dev; Debian's nodejs only recommends
# ca-certificates). Each is checked by a file it ships, not by the package
# database, so a half-removed package is reinstalled. Recommends left out
# on purpose, since no test needs them (checked by removing them):
#   chromium-common: fonts-liberation (fonts-wqy-zenhei and fontconfig's
#     fonts-dejavu-core cover Latin and Chinese), upower, udev,
#     notification-daemon, system-config-printer (desktop services; the
#     tests run headless with --no-sandbox --disable-gpu);
#   postgresql-15: sysstat; postgresql-common: e2fsprogs, logrotate
#     (testenv runs initdb --no-locale -E UTF8 with LC_ALL=C, so neither
#     locales nor postgresql-contrib: no extension is used);
#   npm: git, node-tap (playwright-core is one registry tarball).
set -eu
cd "$(dirname "$0")/../.."

need=""
want() { case " $need " in *" $1 "*) ;; *) need="$need $1" ;; esac; }

# The broker, mosquitto_passwd, and for the dynamic-security tests
# mosquitto_ctrl and the plugin: all in mosquitto.
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || want mosquitto
command -v mosquitto_passwd >/dev/null 2>&1 || want mosquitto
command -v mosquitto_ctrl >/dev/null 2>&1 || want mosquitto
ls /usr/lib/*/mosquitto_dynamic_security.so >/dev/null 2>&1 || want mosquitto
command -v mosquitto_sub >/dev/null 2>&1 || want mosquitto-clients
# Browser tests: Debian's chromium, driven by playwright-core under node.
[ -x /usr/bin/chromium ] || want chromium
command -v node >/dev/null 2>&1 || want nodejs
command -v npm >/dev/null 2>&1 || want npm
# npm ci fetches over HTTPS; Debian's node trusts the system CA store.
[ -f /etc/ssl/certs/ca-certificates.crt ] || want ca-certificates
# A CJK font, so that screenshots of the kiosk and console show Chinese.
[ -d /usr/share/fonts/truetype/wqy ] || want fonts-wqy-zenhei
# cgo (mattn/go-sqlite3, go test -race): the compiler and the C library
# headers, which gcc only recommends.
command -v gcc >/dev/null 2>&1 || want gcc
[ -f /usr/include/stdlib.h ] || want libc6-dev
# The kiosk's voice (firmware-gateway/voice): espeak-ng, and its data with
# the Mandarin and Cantonese dictionaries.
command -v espeak-ng >/dev/null 2>&1 || want espeak-ng
ls /usr/lib/*/espeak-ng-data/cmn_dict /usr/lib/*/espeak-ng-data/yue_dict >/dev/null 2>&1 || want espeak-ng-data
# PostgreSQL store tests: initdb and postgres of any version.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || want postgresql
# make chaos (deploy/chaos): ip for the network namespace and veth pairs
# of the network-cut fault, mount for the full disk's tmpfs.
command -v ip >/dev/null 2>&1 || want iproute2
command -v mount >/dev/null 2>&1 || want mount

if [ -n "$need" ]; then
	echo "install-test-deps: installing$need"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need
fi

# playwright-core 1.61 (package.json) needs node 18 or later (its engines
# and its own start-up check); Debian 12's nodejs is 18. Later releases
# (1.62 on) need node 20, so it stays at 1.61 as long as Debian 12's node
# is to run the browser tests.
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 18 ]; then
	echo "install-test-deps: node $(node --version) is too old for playwright-core (needs 18 or later)" >&2
	exit 1
fi

# playwright-core drives Debian's chromium; it never downloads a browser.
# npm ci again when an installed package is not the version the lock file
# pins (a checkout that installed an earlier lock keeps its node_modules):
# playwright-core, and axe-core for the kiosk's accessibility test.
stale="$(cd deploy/e2e/browser && node -e '
const lock = require("./package-lock.json").packages;
for (const [k, v] of Object.entries(lock)) {
  if (!k.startsWith("node_modules/")) continue;
  let got = "none";
  try { got = require("./" + k + "/package.json").version; } catch (e) {}
  if (got !== v.version) { console.log(k); break; }
}')"
if [ -n "$stale" ]; then
	echo "install-test-deps: npm ci in deploy/e2e/browser ($stale)"
	(cd deploy/e2e/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

# nats-server for the NATS cluster tests (deploy/testenv/nats.go, ADR
# 0041): the version go.mod pins (Debian's 2.9.10 refuses a '.' in MQTT
# topics), built once where deploy/testenv looks for it, so that no test
# compiles it (about 40 s of CPU). ${GO:-go}: the Makefile's toolchain.
nats_v="$(${GO:-go} list -m -f '{{.Version}}' github.com/nats-io/nats-server/v2)"
nats_bin="${XDG_CACHE_HOME:-$HOME/.cache}/eldergate/nats-server-$nats_v"
if [ ! -x "$nats_bin" ]; then
	echo "install-test-deps: building nats-server $nats_v into $nats_bin"
	mkdir -p "$(dirname "$nats_bin")"
	CGO_ENABLED=0 ${GO:-go} build -o "$nats_bin.tmp" github.com/nats-io/nats-server/v2
	mv "$nats_bin.tmp" "$nats_bin"
fi
