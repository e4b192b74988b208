#!/bin/bash
# assemble.sh <kernel-src-branch> <tools-branch> <new-branch>
# From each commit of <kernel-src-branch> (wip-like: 30 commits), with
# tools/testing/selftests/kvm from the same-index commit of <tools-branch>:
# move_ring.py filter, NFC move commit after #2, Fixes: tag on #2, #10 split.
set -e
cd ~/.cache/kvm-dirty-ring/mv-wt
B=base-6.12.118-1_deb12u1
mapfile -t cs < <(git rev-list --reverse $B..$1)
mapfile -t ts < <(git rev-list --reverse $B..$2)
[ ${#cs[@]} = ${#ts[@]} ] || { echo "commit counts differ"; exit 1; }
for i in "${!cs[@]}"; do
	[ "$(git log -1 --format=%s ${cs[$i]})" = "$(git log -1 --format=%s ${ts[$i]})" ] || { echo "subject $i differs"; exit 1; }
done
commit_as() { # <tree> <parent> <src-commit-for-metadata> <msgfile>
	GIT_AUTHOR_NAME="$(git log -1 --format=%an $3)" GIT_AUTHOR_EMAIL="$(git log -1 --format=%ae $3)" \
	GIT_AUTHOR_DATE="$(git log -1 --format=%ad $3)" GIT_COMMITTER_NAME="$(git log -1 --format=%cn $3)" \
	GIT_COMMITTER_EMAIL="$(git log -1 --format=%ce $3)" GIT_COMMITTER_DATE="$(git log -1 --format=%cd $3)" \
	git commit-tree "$1" -p "$2" -F <(git stripspace < "$4")
}
prep() { # <i>: check out commit i with its tools, filtered from i >= 1 (0-based)
	git checkout -q -f --detach ${cs[$1]}
	git checkout -q ${ts[$1]} -- tools/testing/selftests/kvm
	git diff --quiet ${ts[$1]} -- tools/testing/selftests/kvm
	[ "$2" = nofilter ] || python3 /root/tools/move_ring.py
	git add -u
	git write-tree
}
parent=$B
for i in "${!cs[@]}"; do
	c=${cs[$i]}
	git log -1 --format=%B $c > /tmp/as-msg
	if [ $i = 0 ]; then
		t=$(prep 0 nofilter)
		parent=$(commit_as $t $parent $c /tmp/as-msg)
		continue
	fi
	if [ $i = 1 ]; then
		t=$(prep 1 nofilter)
		python3 - <<'PY'
p='/tmp/as-msg'
s=open(p).read()
s=s.replace('\nSigned-off-by:', '\nFixes: a6a0b05da9f3 ("kvm: x86/mmu: Support dirty logging for the TDP MMU")\nSigned-off-by:', 1)
open(p,'w').write(s)
PY
		parent=$(commit_as $t $parent $c /tmp/as-msg)
		t=$(prep 1)
		parent=$(commit_as $t $parent $c /root/tools/nfc-msg.txt)
		continue
	fi
	t=$(prep $i)
	if [ "$(git log -1 --format=%s $c)" = "KVM: Add a per-VM dirty ring for pages dirtied without a running vCPU" ]; then
		git checkout -q $parent -- arch/arm64 include/kvm/arm_vgic.h
		python3 - <<'PY'
h='include/linux/kvm_dirty_ring.h'
s=open(h).read()
a='bool kvm_use_dirty_bitmap(struct kvm *kvm);\nu32 kvm_dirty_ring_get_rsvd_entries(void);\n'
assert s.count(a) == 1
s=s.replace(a, 'bool kvm_use_dirty_bitmap(struct kvm *kvm);\nbool kvm_arch_allow_write_without_running_vcpu(struct kvm *kvm);\nu32 kvm_dirty_ring_get_rsvd_entries(void);\n')
open(h,'w').write(s)
d='virt/kvm/dirty_ring.c'
s=open(d).read()
a='/* ---- The ring ---'
assert s.count(a) == 1
s=s.replace(a, '#ifndef CONFIG_NEED_KVM_DIRTY_RING_WITH_BITMAP\nbool kvm_arch_allow_write_without_running_vcpu(struct kvm *kvm)\n{\n\treturn false;\n}\n#endif\n\n' + a)
open(d,'w').write(s)
m='/tmp/as-msg'
s=open(m).read()
i=s.index("arm64's kvm_arch_allow_write_without_running_vcpu()")
j=s.index('Signed-off-by:')
s=s[:i]+s[j:]
open(m,'w').write(s)
PY
		git add -u
		ta=$(git write-tree)
		parent=$(commit_as $ta $parent $c /tmp/as-msg)
		parent=$(commit_as $t $parent $c /root/tools/msg10b.txt)
		continue
	fi
	parent=$(commit_as $t $parent $c /tmp/as-msg)
done
git checkout -q -f --detach $parent
git branch -f $3 $parent
echo "$3 = $parent"
