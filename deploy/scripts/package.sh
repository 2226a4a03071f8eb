#!/bin/sh
# Builds the Debian packages into dist/ with nfpm (go tool nfpm, a tool
# dependency in go.mod; ADR 0032): eldergate-gateway for amd64 (the native
# build in bin/) and, when `make cross` left them, arm64
# (bin/linux-arm64), armhf (bin/linux-armv7) and armel (bin/linux-armv6,
# the static ARMv6 build for the Pi Zero and Pi 1); eldergate-cloud for
# amd64 (native) and arm64 (bin/linux-arm64/eldergate-cloud).
#
# The package version is DEB_VERSION, else made from VERSION (git
# describe) by debversion below. A binary stamped with another version
# (a cross build of an earlier commit) is refused.
set -eu
cd "$(dirname "$0")/../.."
VERSION="${VERSION:-$(git describe --always --dirty 2>/dev/null || echo dev)}"
OUT="${OUT:-dist}"

# debversion turns git describe into a Debian version that sorts as the
# commits do: v1.2.3 -> 1.2.3; v1.2.3-4-gabc1234 -> 1.2.3+git4.gabc1234;
# without a tag, abc1234 -> 0.0.0+gitN.gabc1234 with N the number of
# commits; -dirty -> .dirty appended. Anything else is refused.
debversion() {
	v="$1" dirty=""
	case "$v" in *-dirty) dirty=".dirty" v="${v%-dirty}" ;; esac
	if printf '%s' "$v" | grep -Eq '^v?[0-9]+(\.[0-9]+)*-[0-9]+-g[0-9a-f]+$'; then
		base="$(printf '%s' "$v" | sed -E 's/^v?([0-9.]+)-([0-9]+)-(g[0-9a-f]+)$/\1+git\2.\3/')"
	elif printf '%s' "$v" | grep -Eq '^v?[0-9]+(\.[0-9]+)*$'; then
		base="${v#v}"
		[ -z "$dirty" ] || dirty="+dirty"
	elif printf '%s' "$v" | grep -Eq '^[0-9a-f]{4,40}$'; then
		base="0.0.0+git$(git rev-list --count HEAD 2>/dev/null || echo 0).g$v"
	else
		echo "package: version '$1' is not a git describe output; set DEB_VERSION" >&2
		return 1
	fi
	printf '%s%s\n' "$base" "$dirty"
}
DEB_VERSION="${DEB_VERSION:-$(debversion "$VERSION")}"
export DEB_VERSION

mkdir -p "$OUT"
# pack ROLE ARCH BINARY LIBC
pack() {
	[ -f "$3" ] || { echo "package: no $3, no eldergate-$1 for $2 (make cross builds it)"; return 0; }
	# The binary's version (-X main.version) must be this tree's: a cross
	# build left from another commit is refused, not shipped as this one.
	grep -qaF -- "$VERSION" "$3" || { echo "package: $3 was not built as version $VERSION (another commit?); build it again (make build / make cross)" >&2; exit 1; }
	ARCH="$2" BIN="$3" LIBC="$4" go tool nfpm package --config "deploy/packaging/nfpm-$1.yaml" --packager deb --target "$OUT/" >/dev/null
	f="$OUT/eldergate-$1_${DEB_VERSION}_$2.deb"
	[ -f "$f" ] || { echo "package: nfpm did not write $f" >&2; exit 1; }
	echo "package: $f ($(du -h "$f" | cut -f1))"
}
pack gateway amd64 bin/eldergate-gateway libc6
pack gateway arm64 bin/linux-arm64/eldergate-gateway libc6
pack gateway armhf bin/linux-armv7/eldergate-gateway libc6
pack gateway armel bin/linux-armv6/eldergate-gateway ""
pack cloud amd64 bin/eldergate-cloud libc6
pack cloud arm64 bin/linux-arm64/eldergate-cloud libc6
