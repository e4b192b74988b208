#!/usr/bin/env bash
# make deps: install everything the project needs from Debian.  Idempotent.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
pkg=$(sed -n 's/^package=//p' "$TOP/BASE")
want=(
	"$pkg" build-essential gcc make flex bison bc libelf-dev libssl-dev
	cpio busybox-static ccache python3 perl git rsync kmod dwarves
	qemu-system-x86 qemu-utils gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-riscv64-linux-gnu libc6-dev sparse xz-utils gzip
	coreutils procps gnuplot-nox
)
missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#want[@]} packages installed"
	exit 0
fi
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
echo "deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" > /tmp/kdr-apt.log 2>&1 || {
	tail -20 /tmp/kdr-apt.log; exit 1; }
echo "deps: installed ${#missing[@]} package(s)"
