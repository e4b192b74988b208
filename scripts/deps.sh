#!/usr/bin/env bash
# make deps: install everything the project needs from Debian, and make
# the source of the installed QEMU fetchable (make qemu builds it).
# Idempotent: about 1 s when nothing is missing.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
pkg=$(sed -n 's/^package=//p' "$TOP/BASE")
want=(
	"$pkg" build-essential gcc make flex bison bc libelf-dev libssl-dev
	cpio busybox-static ccache python3 perl git rsync kmod dwarves
	qemu-system-x86 qemu-utils gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-riscv64-linux-gnu libc6-dev sparse xz-utils gzip
	coreutils procps gnuplot-nox
	dpkg-dev patch libglib2.0-dev libpixman-1-dev libfdt-dev zlib1g-dev meson ninja-build pkg-config
)
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#want[@]} packages installed"
else
	echo "deps: installing ${missing[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" > /tmp/kdr-apt.log 2>&1 || {
		tail -20 /tmp/kdr-apt.log; exit 1; }
	echo "deps: installed ${#missing[@]} package(s)"
fi

# deb_src_stanzas: a deb-src twin (deb822) of every enabled "deb" entry of
# this release's suites, from deb822 .sources files and one-line .list
# files.  Other suites (third-party repositories) often have no sources.
deb_src_stanzas() (
	code=$(. /etc/os-release && echo "$VERSION_CODENAME")
	shopt -s nullglob
	d822=(/etc/apt/sources.list.d/*.sources) lines=(/etc/apt/sources.list.d/*.list)
	[ ! -f /etc/apt/sources.list ] || lines+=(/etc/apt/sources.list)
	[ ${#d822[@]} = 0 ] || awk -v RS= -v code="$code" '{
		delete f; n = split($0, l, "\n")
		for (i = 1; i <= n; i++) if (l[i] ~ /^[A-Za-z-]+:/) {
			k = tolower(substr(l[i], 1, index(l[i], ":") - 1)); v = substr(l[i], index(l[i], ":") + 1)
			gsub(/^[ \t]+|[ \t]+$/, "", v); f[k] = v
		}
		if ((" " f["types"] " ") ~ / deb / && (" " f["suites"]) ~ (" " code) && tolower(f["enabled"]) != "no")
			printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents: %s\n%s\n", f["uris"],
				f["suites"], f["components"], f["signed-by"] == "" ? "" : "Signed-By: " f["signed-by"] "\n"
	}' "${d822[@]}"
	[ ${#lines[@]} = 0 ] || awk -v code="$code" '$1 == "deb" {
		i = 2; sb = ""
		if ($2 ~ /^\[/) { for (; i <= NF; i++) { if ($i ~ /^\[?signed-by=/) { sb = $i; sub(/^\[?signed-by=/, "", sb); sub(/\]$/, "", sb) }
			if ($i ~ /\]$/) break }; i++ }
		if ($(i + 1) !~ "^" code) next
		comps = $(i + 2); for (j = i + 3; j <= NF; j++) comps = comps " " $j
		printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents: %s\n%s\n", $i, $(i + 1), comps, sb == "" ? "" : "Signed-By: " sb "\n"
	}' "${lines[@]}"
)

# make qemu runs "apt-get source" on the installed qemu-system-x86's source
# version: add deb-src entries if the machine has none, and fetch the
# source indexes if apt does not know that version yet.
qsrc=$(dpkg-query -W -f='${source:Package}' qemu-system-x86)
qver=$(dpkg-query -W -f='${source:Version}' qemu-system-x86)
# (grep without -q: an early exit would fail the pipe under pipefail)
known() { apt-cache showsrc --only-source "$qsrc" 2>/dev/null | grep -x "Version: $qver" > /dev/null; }
if ! known; then
	if ! grep -Eqs '^[[:space:]]*Types:.*\<deb-src\>' /etc/apt/sources.list.d/*.sources &&
		! grep -Eqs '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list; then
		stanzas=$(deb_src_stanzas)
		[ -n "$stanzas" ] || { echo "deps: no deb entry to copy into a deb-src one" >&2; exit 1; }
		echo "deps: adding /etc/apt/sources.list.d/kdr-deb-src.sources"
		printf '# deb-src twins of the deb entries (scripts/deps.sh, for make qemu)\n%s\n' "$stanzas" |
			$SUDO tee /etc/apt/sources.list.d/kdr-deb-src.sources > /dev/null
	fi
	echo "deps: fetching the source indexes (apt-get update)"
	$SUDO apt-get update -qq
	known || { echo "deps: apt has no source for $qsrc $qver (deb-src entries?)" >&2; exit 1; }
fi
