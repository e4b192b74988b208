#!/usr/bin/env bash
# make qemu: build qemu-system-x86_64 from Debian's source of the installed
# qemu-system-x86, with qemu/patches/series applied, for the tests in the
# guest (it sees the host's / read-only, so $OUT/qemu-patched is there at
# the same path).  It finds its firmware where Debian's QEMU does (seabios,
# option ROMs), so no -L is needed.  Last line: QEMU=<path>.
. "$(dirname "$0")/lib.sh"

# Build deps, and the deb-src entry that apt-get source needs.
bash "$TOP/scripts/deps.sh" >&2 || die "make deps failed"

# The source version, not the binary one: a binNMU (here +b3) has no
# source of its own.
pkg=$(dpkg-query -W -f='${source:Package}' qemu-system-x86)
ver=$(dpkg-query -W -f='${source:Version}' qemu-system-x86)
up=${ver#*:}; up=${up%-*}
src=$CACHE/qemu/src-${ver#*:} tree=$CACHE/qemu/tree bld=$OUT/qemu-patched
pdir=$TOP/qemu/patches buildlog=$CACHE/qemu/build.log
mkdir -p "$CACHE/qemu"
: > "$buildlog"
fail() { tail -40 "$buildlog" >&2; die "$1 failed, see $buildlog"; }

# 1. Debian's source with Debian's patches (apt-get source unpacks with
# dpkg-source -x).  The stamp tells a full unpack from an interrupted one.
if [ ! -f "$src/.unpacked" ]; then
	log "fetching the source of $pkg $ver"
	rm -rf "$src"; mkdir -p "$src"
	(cd "$src" && apt-get source -q --only-source "$pkg=$ver") >> "$buildlog" 2>&1 || fail "apt-get source"
	[ -x "$src/$pkg-$up/configure" ] || die "no $src/$pkg-$up/configure"
	touch "$src/.unpacked"
fi

# 2. The patched copy, redone only when the version, series or a patch
# changed.  rsync compares contents and gives every file it rewrites a
# fresh mtime (no -t): a file restored when a patch is dropped is older
# than its objects and ninja would otherwise not rebuild it.
patches=()
[ ! -f "$pdir/series" ] || mapfile -t patches < <(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$pdir/series")
for p in "${patches[@]}"; do [ -f "$pdir/$p" ] || die "qemu/patches/series lists $p, which does not exist"; done
stamp=$( { echo "$ver"; cat "$pdir/series" 2>/dev/null || true; for p in "${patches[@]}"; do cat "$pdir/$p"; done; } | sha256sum)
if [ "$(cat "$tree/.kdr-stamp" 2>/dev/null)" != "$stamp" ]; then
	log "copying the source to $tree, applying ${#patches[@]} patch(es)"
	rm -f "$tree/.kdr-stamp"
	rsync -rlpD --checksum --delete --exclude=/build/ "$src/$pkg-$up/" "$tree/"
	for p in "${patches[@]}"; do
		# --fuzz=0: the patches are made against this very source; a
		# fuzzy hunk means they were not and may land in the wrong place.
		patch -d "$tree" -p1 --batch --forward --fuzz=0 --no-backup-if-mismatch < "$pdir/$p" \
			>> "$buildlog" 2>&1 || fail "applying qemu/patches/$p to $pkg $ver"
	done
	echo "$stamp" > "$tree/.kdr-stamp"
fi

# 3. Configure once (again only if the flags change), then build the
# emulator alone.  KVM only, no TCG, tools, docs or optional features: the
# tests run it with -accel kvm inside the test guest.  Firmware: Debian's
# path (from its debian/rules); the dfsg source has none of its own.
fw=$(sed -n 's/^FIRMWAREPATH[[:space:]]*=[[:space:]]*//p' "$tree/debian/rules")
[ -n "$fw" ] || die "no FIRMWAREPATH in $tree/debian/rules"
flags=(--cc="ccache gcc" --target-list=x86_64-softmmu --without-default-features
	--enable-kvm --disable-tcg --disable-docs --disable-tools --disable-werror --enable-fdt=system
	--firmwarepath="$fw")
if [ "$(cat "$bld/.kdr-configure" 2>/dev/null)" != "$tree ${flags[*]}" ] || [ ! -f "$bld/build.ninja" ]; then
	log "configuring $bld"
	rm -rf "$bld"; mkdir -p "$bld"
	(cd "$bld" && "$tree/configure" "${flags[@]}") >> "$buildlog" 2>&1 || fail configure
	echo "$tree ${flags[*]}" > "$bld/.kdr-configure"
fi
log "building qemu-system-x86_64 (log: $buildlog)"
ninja -C "$bld" -j"$JOBS" qemu-system-x86_64 >> "$buildlog" 2>&1 || fail build
# A binary run from its build dir looks up every data dir under
# $bld/qemu-bundle (QEMU 7.2 get_relocated_path()): point Debian's
# firmware dirs there at the real ones, so that no -L is needed.
IFS=: read -ra fwdirs <<< "$fw"
for d in "${fwdirs[@]}"; do
	mkdir -p "$bld/qemu-bundle${d%/*}"; ln -sfn "$d" "$bld/qemu-bundle$d"
done
log "$("$bld/qemu-system-x86_64" --version | sed -n 1p)"
echo "QEMU=$bld/qemu-system-x86_64"
