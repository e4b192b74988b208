# Shared settings for the project's scripts. Source it; do not run it.
# Build state lives outside the work tree so it survives between sessions.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${KDR_CACHE:-$HOME/.cache/kvm-dirty-ring}
SRC=$CACHE/src                 # git repo: branch "base" (pristine) and "series"
BASESRC=$CACHE/base-src        # git worktree of the pristine base
OUT=$CACHE/out                 # build outputs (O= directories)
RESULTS=${KDR_RESULTS:-$CACHE/results}
case $CACHE/ in
/tmp/*) echo "KDR_CACHE must not be under /tmp: the test guest has its own /tmp" >&2; exit 1 ;;
esac
export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
# Kernel builds use ccache through CC; KBUILD_BUILD_TIMESTAMP keeps the
# preprocessed output stable so ccache hits across rebuilds.
export KBUILD_BUILD_TIMESTAMP='2024-01-01'
export KBUILD_BUILD_USER=kdr KBUILD_BUILD_HOST=kdr
JOBS=${JOBS:-$(nproc)}

base_field() { sed -n "s/^$1=//p" "$TOP/BASE"; }
BASE_PKG=$(base_field package)
BASE_VER=$(base_field version)

log() { printf '%s [%s] %s\n' "$(date +%H:%M:%S)" "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# The series, in order, as listed in patches/series (cover letter excluded).
series_patches() {
	[ -f "$TOP/patches/series" ] || return 0
	grep -v -e '^#' -e '^$' "$TOP/patches/series" | grep -v '^0000-cover-letter' || true
}

# kconfig <srcdir> <outdir> <fragment...>: configure (allnoconfig + fragments),
# verify every requested option took effect (except the lines of the
# fragment named by KCONFIG_LOOSE).  KMAKE_ARGS adds make variables
# (ARCH=, CROSS_COMPILE=).
kconfig() {
	local src=$1 out=$2; shift 2
	mkdir -p "$out"
	cat "$@" > "$out/.fragment"
	local verify=$out/.fragment
	if [ -n "${KCONFIG_LOOSE:-}" ]; then
		verify=$out/.fragment.verify
		grep -vxF -f "$KCONFIG_LOOSE" "$out/.fragment" > "$verify" || true
	fi
	make -s -C "$src" O="$out" ${KMAKE_ARGS:-} KCONFIG_ALLCONFIG="$out/.fragment" allnoconfig >/dev/null
	local missing=0 line opt
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) opt=${line%%=*}
			if ! grep -qx -- "$line" "$out/.config"; then
				log "config: $line requested, got: $(grep -E "^(# )?$opt[= ]" "$out/.config" || echo unset)"
				missing=1
			fi ;;
		"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *}
			if grep -q "^$opt=" "$out/.config"; then
				log "config: $opt requested off, but is on"; missing=1
			fi ;;
		esac
	done < "$verify"
	[ $missing = 0 ] || die "kernel config fragment not fully applied (see above)"
}
