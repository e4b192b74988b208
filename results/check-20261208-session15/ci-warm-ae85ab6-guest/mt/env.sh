export TESTS=/tmp/kdr/tests
export ST='/root/.cache/kvm-dirty-ring/out/selftests-patched'
export BST='/root/.cache/kvm-dirty-ring/out/selftests-base'
export TOOLS='/root/.cache/kvm-dirty-ring/out/tools'
export KUNIT_KO='/root/.cache/kvm-dirty-ring/out/kernel-debug/arch/x86/kvm/kvm_dirty_ring_test.ko'
export QEMU_PATCHED='/root/.cache/kvm-dirty-ring/out/qemu-patched/qemu-system-x86_64'
