// SPDX-License-Identifier: GPL-2.0-only
/*
 * dirty_ring_demo - a tiny VMM that shows KVM's dirty ring at work.
 *
 * One vCPU runs a few bytes of 32-bit guest code that increments one word in
 * every page of a data memslot and then does an OUT to port 0x10.  Between
 * passes (and whenever KVM_RUN returns KVM_EXIT_DIRTY_RING_FULL) the VMM
 * harvests the vCPU's dirty ring, marks the entries for reset and calls
 * KVM_RESET_DIRTY_RINGS.  Every pass must report each page of the slot
 * exactly once: the program checks that and exits non-zero otherwise.
 *
 * Only the raw KVM uAPI is used, as a VMM would use it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#define CODE_GPA	0x1000ULL
#define LOW_SLOT_SIZE	0x100000ULL	/* slot 0: [0, 1 MiB), code only */
#define DATA_SLOT	1
#define DATA_GPA	0x100000ULL	/* slot 1: data, dirty logged */
#define DONE_PORT	0x10
#define PAGE		4096ULL

/*
 * Guest code, 32-bit flat protected mode.  In: EBX = first data page,
 * EDX = number of pages.  Touches one word per page, then exits via OUT.
 */
extern const unsigned char guest_code[], guest_code_end[];
asm(".pushsection .rodata\n"
    "guest_code:\n"
    ".code32\n"
    "1:	mov %ebx, %esi\n"
    "	mov %edx, %ecx\n"
    "2:	addl $1, (%esi)\n"
    "	add $4096, %esi\n"
    "	dec %ecx\n"
    "	jnz 2b\n"
    "	out %al, $0x10\n"
    "	jmp 1b\n"
    ".code64\n"
    "guest_code_end:\n"
    ".popsection\n");

static void die(const char *what)
{
	fprintf(stderr, "dirty_ring_demo: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void fail(const char *fmt, unsigned long long a, unsigned long long b)
{
	fprintf(stderr, "dirty_ring_demo: FAIL: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	exit(1);
}

struct ring {
	struct kvm_dirty_gfn *gfns;
	uint32_t size;		/* entries, a power of two */
	uint32_t next;		/* next entry to harvest */
};

/*
 * Collect every entry KVM published (DIRTY set), mark it for reset.  The
 * acquire load pairs with KVM's release when it publishes an entry; the
 * release store hands the entry back to KVM.
 */
static uint32_t harvest(struct ring *r, uint8_t *seen, uint64_t npages,
			uint64_t *dups)
{
	uint32_t n = 0;

	for (;;) {
		struct kvm_dirty_gfn *e = &r->gfns[r->next & (r->size - 1)];
		uint32_t flags = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);

		if (!(flags & KVM_DIRTY_GFN_F_DIRTY))
			break;
		if (e->slot != DATA_SLOT || e->offset >= npages)
			fail("entry outside the data slot: slot %llu offset %llu",
			     e->slot, e->offset);
		if (seen[e->offset]++)
			(*dups)++;
		__atomic_store_n(&e->flags, KVM_DIRTY_GFN_F_RESET, __ATOMIC_RELEASE);
		r->next++;
		n++;
	}
	return n;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint64_t mib = 16, passes = 10, ring_entries = 1024, quiet = 0;
	int opt;

	while ((opt = getopt(argc, argv, "m:p:r:q")) != -1) {
		switch (opt) {
		case 'm': mib = strtoull(optarg, NULL, 0); break;
		case 'p': passes = strtoull(optarg, NULL, 0); break;
		case 'r': ring_entries = strtoull(optarg, NULL, 0); break;
		case 'q': quiet = 1; break;
		default:
			fprintf(stderr, "usage: %s [-m MiB] [-p passes] [-r ring entries] [-q]\n",
				argv[0]);
			return 2;
		}
	}
	uint64_t npages = mib * 1024 * 1024 / PAGE;
	long pagesz = sysconf(_SC_PAGESIZE);

	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("open /dev/kvm");
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");

	/* Prefer the acquire/release flavour, as a portable VMM would. */
	uint64_t cap = KVM_CAP_DIRTY_LOG_RING_ACQ_REL;
	int max = ioctl(vm, KVM_CHECK_EXTENSION, cap);
	if (max <= 0) {
		cap = KVM_CAP_DIRTY_LOG_RING;
		max = ioctl(vm, KVM_CHECK_EXTENSION, cap);
	}
	if (max <= 0) {
		fprintf(stderr, "dirty_ring_demo: no dirty ring in this kernel\n");
		return 4;
	}
	uint64_t bytes = ring_entries * sizeof(struct kvm_dirty_gfn);
	struct kvm_enable_cap ec = { .cap = cap, .args = { bytes } };
	if (ioctl(vm, KVM_ENABLE_CAP, &ec))
		die("KVM_ENABLE_CAP dirty ring");
	printf("dirty ring: %s, %llu entries (%llu bytes, max %d bytes)\n",
	       cap == KVM_CAP_DIRTY_LOG_RING_ACQ_REL ? "acq/rel" : "tso",
	       (unsigned long long)ring_entries, (unsigned long long)bytes, max);

	if (ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000UL))
		die("KVM_SET_TSS_ADDR");

	void *low = mmap(NULL, LOW_SLOT_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	void *data = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (low == MAP_FAILED || data == MAP_FAILED)
		die("mmap guest memory");
	memcpy((char *)low + CODE_GPA, guest_code, guest_code_end - guest_code);

	struct kvm_userspace_memory_region mr = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = LOW_SLOT_SIZE,
		.userspace_addr = (uintptr_t)low,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mr))
		die("KVM_SET_USER_MEMORY_REGION 0");
	mr = (struct kvm_userspace_memory_region){
		.slot = DATA_SLOT, .flags = KVM_MEM_LOG_DIRTY_PAGES,
		.guest_phys_addr = DATA_GPA, .memory_size = npages * PAGE,
		.userspace_addr = (uintptr_t)data,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mr))
		die("KVM_SET_USER_MEMORY_REGION 1");

	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	int runsz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run = mmap(NULL, runsz, PROT_READ | PROT_WRITE,
				   MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");
	struct ring ring = { .size = ring_entries };
	ring.gfns = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu,
			 (off_t)KVM_DIRTY_LOG_PAGE_OFFSET * pagesz);
	if (ring.gfns == MAP_FAILED)
		die("mmap dirty ring");

	struct kvm_sregs sregs;
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
		die("KVM_GET_SREGS");
	struct kvm_segment seg = {
		.base = 0, .limit = 0xffffffff, .selector = 0x10, .type = 3,
		.present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
	};
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = seg;
	seg.selector = 0x8;
	seg.type = 11;
	sregs.cs = seg;
	sregs.cr0 |= 1;		/* PE */
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs))
		die("KVM_SET_SREGS");
	struct kvm_regs regs = {
		.rip = CODE_GPA, .rflags = 2, .rbx = DATA_GPA, .rdx = npages,
	};
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS");

	uint8_t *seen = calloc(npages, 1);
	uint64_t total = 0, full_exits = 0, resets = 0, dups = 0;
	double t0 = now();

	printf("guest: %llu MiB data slot (%llu pages), %llu passes\n",
	       (unsigned long long)mib, (unsigned long long)npages,
	       (unsigned long long)passes);
	for (uint64_t pass = 1; pass <= passes; pass++) {
		uint64_t harvested = 0, pass_full = 0, reset_ret = 0;

		memset(seen, 0, npages);
		for (;;) {
			if (ioctl(vcpu, KVM_RUN, 0) && errno != EINTR)
				die("KVM_RUN");
			if (run->exit_reason == KVM_EXIT_DIRTY_RING_FULL) {
				pass_full++;
			} else if (run->exit_reason != KVM_EXIT_IO ||
				   run->io.port != DONE_PORT) {
				fail("unexpected exit reason %llu (port %llu)",
				     run->exit_reason, run->io.port);
			}
			uint32_t n = harvest(&ring, seen, npages, &dups);
			int r = ioctl(vm, KVM_RESET_DIRTY_RINGS);

			if (r < 0)
				die("KVM_RESET_DIRTY_RINGS");
			if ((uint32_t)r != n)
				fail("KVM_RESET_DIRTY_RINGS reset %llu entries, %llu were harvested",
				     r, n);
			harvested += n;
			reset_ret += r;
			resets++;
			if (run->exit_reason == KVM_EXIT_IO)
				break;
		}
		uint64_t missing = 0;
		for (uint64_t i = 0; i < npages; i++)
			missing += !seen[i];
		if (!quiet || pass == passes)
			printf("pass %3llu: %6llu pages dirtied, %6llu entries harvested, %6llu reset, %3llu ring-full exits, %llu missing\n",
			       (unsigned long long)pass, (unsigned long long)npages,
			       (unsigned long long)harvested, (unsigned long long)reset_ret,
			       (unsigned long long)pass_full, (unsigned long long)missing);
		fflush(stdout);
		if (missing)
			fail("pass lost %llu of %llu dirty pages", missing, npages);
		total += harvested;
		full_exits += pass_full;
	}
	double dt = now() - t0;
	printf("total: %llu entries in %.2f s (%.0f pages/s), %llu ring-full exits, %llu resets, %llu duplicate entries\n",
	       (unsigned long long)total, dt, total / dt,
	       (unsigned long long)full_exits, (unsigned long long)resets,
	       (unsigned long long)dups);
	printf("ok: every dirtied page was harvested in every pass\n");
	return 0;
}
