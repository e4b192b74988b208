#!/bin/bash
# [WT=<worktree>] rewrite_generic.sh <branch> <new-branch> <filter.py> [msgfilter.py]
# Rebuild <branch> commit by commit: tree = filter(tree, index, subject);
# a commit whose tree equals its new parent's is dropped.  The filter runs
# in mv-wt with args <index 1-based> <subject>.  msgfilter (optional) gets
# the same args and the message on stdin, prints the new message.
set -e
cd "${WT:-$HOME/.cache/kvm-dirty-ring/mv-wt}"
B=base-6.12.118-1_deb12u1
mapfile -t cs < <(git rev-list --reverse $B..$1)
parent=$(git rev-parse $B)
commit_as() {
	GIT_AUTHOR_NAME="$(git log -1 --format=%an $3)" GIT_AUTHOR_EMAIL="$(git log -1 --format=%ae $3)" \
	GIT_AUTHOR_DATE="$(git log -1 --format=%ad $3)" GIT_COMMITTER_NAME="$(git log -1 --format=%cn $3)" \
	GIT_COMMITTER_EMAIL="$(git log -1 --format=%ce $3)" GIT_COMMITTER_DATE="$(git log -1 --format=%cd $3)" \
	git commit-tree "$1" -p "$2" -F <(git stripspace < "$4")
}
i=0
for c in "${cs[@]}"; do
	i=$((i + 1))
	subj=$(git log -1 --format=%s $c)
	git checkout -q -f --detach $c
	python3 "$3" $i "$subj"
	git add -u
	t=$(git write-tree)
	if [ "$t" = "$(git rev-parse $parent^{tree})" ]; then
		echo "dropped: $subj" >&2
		continue
	fi
	git log -1 --format=%B $c > /tmp/rg-msg
	if [ -n "$4" ]; then
		python3 "$4" $i "$subj" < /tmp/rg-msg > /tmp/rg-msg2 && mv /tmp/rg-msg2 /tmp/rg-msg
	fi
	parent=$(commit_as $t $parent $c /tmp/rg-msg)
done
git checkout -q -f --detach $parent
git branch -f $2 $parent
echo "$2 = $parent"
