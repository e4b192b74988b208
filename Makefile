# KVM ring-based dirty memory tracking: the patch series and its rig.
# Thin wrapper: every target is a script in scripts/.  Build state lives in
# $(HOME)/.cache/kvm-dirty-ring (override with KDR_CACHE=).
S := scripts

.PHONY: help deps tree export kernel base-kernel selftests qemu check check-series check-part2 demo bench compare-base fuzz qemu-bench

help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST)

## deps          install the Debian packages everything below needs
deps:
	@bash $(S)/deps.sh
## tree          unpack the base into a git tree and git am -3 the series
tree:
	@bash $(S)/tree.sh
## export        regenerate patches/ from the tree's commits
export:
	@bash $(S)/export.sh
## kernel        build the patched debug kernel; last line KERNEL=<path>
kernel:
	@bash $(S)/kernel.sh patched
## base-kernel   the same config on the pristine base; last line KERNEL=<path>
base-kernel:
	@bash $(S)/kernel.sh base
## selftests     KVM selftests from the patched tree + the base's dirty_log_test
selftests:
	@bash $(S)/selftests.sh
## qemu          Debian's QEMU source + qemu/patches, KVM-only; last line QEMU=<path>
qemu:
	@bash $(S)/qemu.sh
## check         the test command: hygiene, builds, guest run; "N passed, N failed"
check:
	@bash $(S)/check.sh
## check-series  every patch builds on its own (x86_64, arm64, riscv64), sparse-clean
check-series:
	@bash $(S)/check-series.sh
## check-part2  the series up to the end of its part 2 (upstream's uAPI): build, boot, test
check-part2:
	@bash $(S)/check-part2.sh
## demo          boot the patched kernel and show the dirty ring at work
demo:
	@bash $(S)/demo.sh
## bench         ring vs bitmap, series vs base: results/bench-<date>/table.md
bench:
	@bash $(S)/bench.sh
## compare-base  the same VM-context writer on the base and the patched kernel
compare-base:
	@bash $(S)/compare-base.sh
## fuzz          the dirty ring uAPI fuzzer for an hour on the debug kernel
fuzz:
	@bash $(S)/fuzz.sh
## qemu-bench    stock vs patched QEMU (wait mode) migrating the small guest: results/qemu-bench-<date>/
qemu-bench:
	@bash $(S)/qemu-bench.sh
