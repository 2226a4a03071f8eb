#!/bin/sh
# Installs what the tests need when it is missing: mosquitto (real broker),
# chromium and node (browser tests) from Debian, playwright-core from npm.
# Idempotent; does nothing when everything is there.
set -eu
cd "$(dirname "$0")/../.."

need=""
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need="$need mosquitto"
command -v mosquitto_passwd >/dev/null 2>&1 || need="$need mosquitto"
command -v mosquitto_sub >/dev/null 2>&1 || need="$need mosquitto-clients"
[ -x /usr/bin/chromium ] || need="$need chromium"
command -v node >/dev/null 2>&1 || need="$need nodejs"
command -v npm >/dev/null 2>&1 || need="$need npm"
command -v gcc >/dev/null 2>&1 || need="$need gcc"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$need postgresql" # PostgreSQL store tests
# A CJK font, so that screenshots of the kiosk and console show Chinese.
[ -d /usr/share/fonts/truetype/wqy ] || need="$need fonts-wqy-zenhei"
if [ -n "$need" ]; then
	echo "install-test-deps: installing$need"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need
fi

# playwright-core drives Debian's chromium; it never downloads a browser.
if [ ! -d deploy/e2e/browser/node_modules/playwright-core ]; then
	echo "install-test-deps: npm ci in deploy/e2e/browser"
	(cd deploy/e2e/browser && npm ci --no-audit --no-fund --loglevel=error)
fi
