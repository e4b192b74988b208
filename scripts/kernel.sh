#!/usr/bin/env bash
# make kernel / base-kernel: build an x86_64 bzImage from base.config plus
# a flavour fragment (debug by default, FLAVOUR=bench for make bench).
# usage: kernel.sh patched|base        last line printed: KERNEL=<path>
. "$(dirname "$0")/lib.sh"

which=${1:-patched}
flavour=${FLAVOUR:-debug}
case $which in
patched) src=$SRC; out=$OUT/kernel-$flavour ;;
base)    src=$BASESRC; out=$OUT/base-kernel-$flavour ;;
*) die "usage: $0 patched|base" ;;
esac
# The series' own test options (KUnit) go into the debug kernel only.
extra=
[ "$which/$flavour" = patched/debug ] && extra=$TOP/config/series.config
[ -d "$src/.git" ] || [ -f "$src/.git" ] || bash "$TOP/scripts/tree.sh"

kconfig "$src" "$out" "$TOP/config/base.config" "$TOP/config/$flavour.config" $extra
log "building $which kernel ($flavour) in $out"
targets=bzImage
[ -n "$extra" ] && targets="bzImage modules"
make -s -C "$src" O="$out" CC="ccache gcc" -j"$JOBS" $targets
echo "KERNEL=$out/arch/x86/boot/bzImage"
