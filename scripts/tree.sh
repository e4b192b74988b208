#!/usr/bin/env bash
# make tree: unpack the Debian base into a git repo (branch "base", tag
# base-<version>) and apply patches/ with git am -3 on branch "series".
# Also keeps a pristine worktree of the base for base-kernel and the base
# selftests.  Refuses to throw away tree commits that were never exported.
. "$(dirname "$0")/lib.sh"

tarball=/usr/src/$BASE_PKG.tar.xz
[ -f "$tarball" ] || die "$tarball missing: run 'make deps' first"
have=$(dpkg-query -W -f='${Version}' "$BASE_PKG" 2>/dev/null || echo unknown)
tag=base-${have//[~:]/_}
if [ "$have" != "$BASE_VER" ]; then
	log "WARNING: installed $BASE_PKG is $have, but the series was last rebased on $BASE_VER."
	log "WARNING: trying a 3-way apply anyway; update BASE once the series is rebased."
fi

if ! git -C "$SRC" rev-parse -q --verify "refs/tags/$tag" >/dev/null 2>&1; then
	log "unpacking $tarball ($have) into $SRC"
	tmp=$CACHE/unpack.$$
	rm -rf "$tmp"; mkdir -p "$tmp"
	tar -C "$tmp" -xf "$tarball"
	if [ ! -d "$SRC/.git" ]; then
		rm -rf "$SRC"
		mv "$tmp/$BASE_PKG" "$SRC"
		git -C "$SRC" init -q -b base
		git -C "$SRC" config user.name "kvm-dirty-ring"
		git -C "$SRC" config user.email "kdr@localhost"
		git -C "$SRC" config gc.auto 0
	else
		# a new Debian version: replace the tracked content on branch base
		git -C "$SRC" checkout -q -f base
		git -C "$SRC" rm -rq --cached . >/dev/null
		find "$SRC" -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +
		(cd "$tmp/$BASE_PKG" && tar cf - .) | tar -C "$SRC" -xf -
	fi
	rm -rf "$tmp"
	git -C "$SRC" add -A -f .
	git -C "$SRC" commit -q -m "base: $BASE_PKG $have (Debian)"
	git -C "$SRC" tag "$tag"
	git -C "$SRC" checkout -q --detach
fi

git -C "$SRC" branch -f base "$tag"

# pristine worktree of the base (for base-kernel and the base selftests)
if [ ! -e "$BASESRC/.git" ]; then
	git -C "$SRC" worktree prune
	git -C "$SRC" worktree add -q --detach "$BASESRC" "$tag"
else
	git -C "$BASESRC" checkout -q --detach -f "$tag"
fi

# Protect unexported work: the series branch must equal what the last
# "make tree" or "make export" recorded, and the tree must be clean.
if git -C "$SRC" rev-parse -q --verify refs/heads/series >/dev/null; then
	head=$(git -C "$SRC" rev-parse series)
	rec=$(git -C "$SRC" rev-parse -q --verify refs/kdr/exported || true)
	if [ "${FORCE:-0}" != 1 ]; then
		[ "$head" = "$rec" ] || die "branch series has commits that were never exported: run 'make export' (or FORCE=1 make tree to discard them)"
		[ -z "$(git -C "$SRC" status --porcelain --untracked-files=no)" ] || die "$SRC has uncommitted changes (FORCE=1 discards them)"
	fi
fi

git -C "$SRC" am --abort >/dev/null 2>&1 || true
git -C "$SRC" checkout -q -f -B series "$tag"
n=0
while read -r p; do
	[ -n "$p" ] || continue
	git -C "$SRC" am -q -3 "$TOP/patches/$p" || die "patch $p does not apply on $have (tree left mid-am in $SRC)"
	n=$((n + 1))
done < <(series_patches)
git -C "$SRC" update-ref refs/kdr/exported HEAD
log "tree ready: $SRC on branch series, $n patch(es) on $tag"
