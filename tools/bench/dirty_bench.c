// SPDX-License-Identifier: GPL-2.0-only
/*
 * dirty_bench - what collecting dirty pages costs: KVM's dirty ring against
 * the dirty bitmap (KVM_GET_DIRTY_LOG + KVM_CLEAR_DIRTY_LOG with
 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2), and what dirty tracking costs the
 * guest.  Raw KVM uAPI only, as a VMM uses it; one binary serves the base
 * kernel and the series (the series' caps are probed at run time).
 *
 * A cell is (slot size, dirty fraction, page order, vCPU count).  For each
 * cell the program builds one VM per tracking method it was asked for:
 *   ring    dirty ring; exit mode (KVM_EXIT_DIRTY_RING_FULL) or, with
 *           KVM_CAP_DIRTY_LOG_RING_WAIT, wait mode (the vCPU sleeps in
 *           KVM_RUN until a reset makes room)
 *   bitmap  dirty bitmap with manual protect
 *   none    no dirty logging: the guest's own cost of the same writes
 * Every VM gets the same page list.  A round: each vCPU (64-bit guest code)
 * writes one word in each page of its share of the list, then OUTs to
 * DONE_PORT; the host then collects what was dirtied (ring: harvest every
 * ring into a host bitmap, then KVM_RESET_DIRTY_RINGS; bitmap: GET, fold
 * its non-zero words into the host bitmap as QEMU does, then CLEAR) and
 * checks that no page was missed.  While the vCPUs run, a
 * collector (the main thread) empties the rings whenever one is full: on a
 * vCPU's ring-full exit, or when poll() on the VM fd says so in wait mode.
 * Rounds of the VMs of a cell are interleaved; round 0 is a warm-up (it
 * faults the memory in) and is printed with warm=1.
 *
 * Page order: "seq" writes pages 0..M-1 of the slot in ascending order;
 * "rand" writes the first M values of a full-period LCG over the slot
 * (x = a*x + c mod 2^k, Hull-Dobell: c odd, a = 1 mod 4; values past the
 * slot end are skipped), so each page is visited at most once.
 *
 * Output: one line per VM and round, "kdrbench key=value ...", for
 * scripts/bench_report.py; "na" marks a figure this kernel cannot give.
 * Lines starting with "#" are for people.  Exit status: 0, 1 if a page
 * was missed or the kernel's counts disagree, 2 on a setup error, 4 if
 * there is nothing this kernel can run (no dirty ring).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

/* The series' uAPI (wip/UAPI-spec.md); absent from the base's headers. */
#ifndef KVM_CAP_DIRTY_LOG_RING_VM
#define KVM_CAP_DIRTY_LOG_RING_VM	256
#endif
#ifndef KVM_CAP_DIRTY_LOG_RING_WAIT
#define KVM_CAP_DIRTY_LOG_RING_WAIT	257
#endif

#define PAGE		4096ULL
#define CODE_GPA	0x1000ULL
#define PML4_GPA	0x2000ULL
#define PDPT_GPA	0x3000ULL
#define PD_GPA		0x4000ULL	/* 72 page directories: 0..72 GiB */
#define PD_COUNT	72
#define LOW_SIZE	0x200000ULL	/* slot 0: code and page tables */
#define LIST_SLOT	2
#define LIST_GPA	0x10000000ULL	/* slot 2: the page list, read only */
#define DATA_SLOT	1
#define DATA_GPA	0x100000000ULL	/* slot 1: the dirtied memory */
#define MAX_SLOT_MIB	65536ULL	/* DATA_GPA + slot <= 72 GiB mapped */
#define DONE_PORT	0x10
#define MAX_VCPUS	8
#define VM_RING_ENTRIES	4096

#define PTE_P		0x1ULL
#define PTE_RW		0x2ULL
#define PTE_PS		0x80ULL

/*
 * Guest code, 64-bit.  In: RDI = GPA of this vCPU's part of the page
 * list (one GPA per entry), RDX = entries (>= 1).  Adds 1 to the first
 * word of every listed page, OUTs to DONE_PORT, and starts over when the
 * host runs it again.
 */
extern const unsigned char guest_code[], guest_code_end[];
asm(".pushsection .rodata\n"
	"guest_code:\n"
	"1:	mov %rdi, %rsi\n"
	"	mov %rdx, %rcx\n"
	"2:	mov (%rsi), %rax\n"
	"	addq $1, (%rax)\n"
	"	add $8, %rsi\n"
	"	dec %rcx\n"
	"	jnz 2b\n"
	"	out %al, $0x10\n"
	"	jmp 1b\n"
	"guest_code_end:\n"
	".popsection\n");

enum track { T_RING, T_BITMAP, T_NONE };
static const char * const track_name[] = { "ring", "bitmap", "none" };

struct vm;

struct vcpu {
	struct vm *vm;
	int idx;
	int fd;
	int stats_fd;
	off_t st_waits;		/* offset of a stat in stats_fd, or -1 */
	off_t st_full;
	struct kvm_run *run;
	struct kvm_dirty_gfn *ring;
	uint32_t next;		/* next ring entry to harvest */
	uint64_t list_gpa, count;
	uint64_t seq;		/* last round this thread ran */
	pthread_t tid;
	/* this round, written by the vCPU thread */
	uint64_t run_ns, runs, full_exits, full_ns, intr;
};

struct vm {
	enum track track;
	bool wait;		/* wait mode (KVM_CAP_DIRTY_LOG_RING_WAIT) */
	int fd;
	int evfd;		/* vCPU threads -> collector */
	int nvcpus;
	uint32_t entries;	/* per vCPU ring */
	struct kvm_dirty_gfn *vmring;
	uint32_t vmnext;
	void *low, *data;
	uint64_t npages;
	uint64_t *bitmap;	/* what the host collected this round */
	uint64_t *kvm_bitmap;	/* bitmap VMs: what KVM_GET_DIRTY_LOG copies out */
	struct vcpu vcpus[MAX_VCPUS];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t seq;		/* round number handed to the vCPU threads */
	uint64_t gen;		/* bumped after every reset */
	int done, full_pending;
	bool quit;
	/* this round, collector side */
	uint64_t harvest_ns, reset_ns, get_ns, clear_ns;
	uint64_t collections, entries_seen, dups, bad, reset_ret, wait_ns;
	uint64_t last_done_ns;
};

/* Options. */
static const char *exp_name = "collect";
static uint64_t rounds = 5;
static uint32_t ring_entries = 65536;
static int use_vm_ring = 1;
static double cell_budget;	/* seconds; 0: no limit */
static uint64_t lcg_seed = 1;
static uint64_t fixed_pages;	/* -n: pages per round, instead of -p */

/* Probed once. */
static int kvm_fd;
static int ring_cap;		/* ACQ_REL or plain ring cap, 0 if none */
static int ring_max_bytes;
static int cap_vm_ring, cap_wait, cap_manual;
static struct kvm_cpuid2 *cpuid;
static int run_size;
static long host_page;
static int failures;

static void die(const char *what)
{
	fprintf(stderr, "dirty_bench: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "dirty_bench: FAIL: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	failures++;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* Binary stats: find a named counter, read it.                        */

static off_t stat_offset(int fd, const char *name)
{
	struct kvm_stats_header h;
	size_t dsz;
	char *descs;
	off_t off = -1;

	if (fd < 0 || pread(fd, &h, sizeof(h), 0) != sizeof(h))
		return -1;
	dsz = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = malloc(dsz * h.num_desc);
	if (!descs)
		return -1;
	if (pread(fd, descs, dsz * h.num_desc, h.desc_offset) ==
	    (ssize_t)(dsz * h.num_desc)) {
		for (uint32_t i = 0; i < h.num_desc; i++) {
			struct kvm_stats_desc *d = (void *)(descs + i * dsz);

			if (!strcmp(d->name, name)) {
				off = h.data_offset + d->offset;
				break;
			}
		}
	}
	free(descs);
	return off;
}

static uint64_t stat_read(int fd, off_t off)
{
	uint64_t v = 0;

	if (fd >= 0 && off >= 0 && pread(fd, &v, sizeof(v), off) != sizeof(v))
		v = 0;
	return v;
}

/* ------------------------------------------------------------------ */
/* VM setup.                                                          */

static void probe(void)
{
	int vm, n = 64;

	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		die("open /dev/kvm");
	vm = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");
	ring_cap = KVM_CAP_DIRTY_LOG_RING_ACQ_REL;
	ring_max_bytes = ioctl(vm, KVM_CHECK_EXTENSION, ring_cap);
	if (ring_max_bytes <= 0) {
		ring_cap = KVM_CAP_DIRTY_LOG_RING;
		ring_max_bytes = ioctl(vm, KVM_CHECK_EXTENSION, ring_cap);
	}
	if (ring_max_bytes <= 0) {
		ring_cap = 0;
		ring_max_bytes = 0;
	}
	cap_vm_ring = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_DIRTY_LOG_RING_VM);
	cap_wait = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_DIRTY_LOG_RING_WAIT);
	cap_manual = ioctl(kvm_fd, KVM_CHECK_EXTENSION,
			   KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);
	cap_vm_ring = cap_vm_ring > 0 ? cap_vm_ring : 0;
	cap_wait = cap_wait > 0 ? cap_wait : 0;
	cap_manual = cap_manual > 0 ? cap_manual : 0;
	close(vm);

	for (;;) {
		cpuid = calloc(1, sizeof(*cpuid) +
			       n * sizeof(struct kvm_cpuid_entry2));
		if (!cpuid)
			die("calloc");
		cpuid->nent = n;
		if (!ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid))
			break;
		if (errno != E2BIG)
			die("KVM_GET_SUPPORTED_CPUID");
		free(cpuid);
		n *= 2;
	}
	run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE");
	host_page = sysconf(_SC_PAGESIZE);
}

static void *map_anon(uint64_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		die("mmap guest memory");
	/*
	 * THP would back a sparse slot with 2 MiB pages (and the no-tracking
	 * VM with huge NPT mappings): keep every VM on 4 KiB pages.
	 */
	madvise(p, bytes, MADV_NOHUGEPAGE);
	return p;
}

static void set_region(int vm, uint32_t slot, uint32_t flags, uint64_t gpa,
		       uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region mr = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)hva,
	};

	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mr))
		die("KVM_SET_USER_MEMORY_REGION");
}

static void enable_cap(int fd, uint32_t cap, uint64_t arg, const char *what)
{
	struct kvm_enable_cap ec = { .cap = cap, .args = { arg } };

	if (ioctl(fd, KVM_ENABLE_CAP, &ec))
		die(what);
}

/*
 * Identity map 0..72 GiB with 2 MiB pages (288 KiB of page tables, however
 * large the slot); code at CODE_GPA.
 */
static void init_low(void *low)
{
	uint64_t *pml4 = (uint64_t *)((char *)low + PML4_GPA);
	uint64_t *pdpt = (uint64_t *)((char *)low + PDPT_GPA);

	memcpy((char *)low + CODE_GPA, guest_code, guest_code_end - guest_code);
	pml4[0] = PDPT_GPA | PTE_P | PTE_RW;
	for (int i = 0; i < PD_COUNT; i++) {
		uint64_t *pd = (uint64_t *)((char *)low + PD_GPA + i * PAGE);

		pdpt[i] = (PD_GPA + i * PAGE) | PTE_P | PTE_RW;
		for (int j = 0; j < 512; j++)
			pd[j] = (((uint64_t)i * 512 + j) << 21) |
				PTE_P | PTE_RW | PTE_PS;
	}
}

static void init_vcpu_regs(struct vcpu *v)
{
	struct kvm_sregs sregs;
	struct kvm_segment seg = {
		.base = 0, .limit = 0xffffffff, .selector = 0x10, .type = 3,
		.present = 1, .dpl = 0, .db = 0, .s = 1, .l = 0, .g = 1,
	};
	struct kvm_regs regs = {
		.rip = CODE_GPA, .rflags = 2,
		.rdi = v->list_gpa, .rdx = v->count,
	};

	if (ioctl(v->fd, KVM_SET_CPUID2, cpuid))
		die("KVM_SET_CPUID2");
	if (ioctl(v->fd, KVM_GET_SREGS, &sregs))
		die("KVM_GET_SREGS");
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = seg;
	seg.selector = 0x8;
	seg.type = 11;
	seg.l = 1;
	sregs.cs = seg;
	sregs.cr0 = 0x80000031;		/* PG | NE | ET | PE */
	sregs.cr4 = 0x20;		/* PAE */
	sregs.efer = 0x500;		/* LMA | LME */
	sregs.cr3 = PML4_GPA;
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs))
		die("KVM_SET_SREGS");
	if (ioctl(v->fd, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS");
}

static void *vcpu_thread(void *arg);

static struct vm *vm_create(enum track track, bool wait, int nvcpus,
			    uint64_t npages, void *list, uint64_t list_bytes,
			    uint64_t m)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	uint32_t flags = track == T_NONE ? 0 : KVM_MEM_LOG_DIRTY_PAGES;

	if (!vm)
		die("calloc");
	vm->track = track;
	vm->wait = wait;
	vm->nvcpus = nvcpus;
	vm->npages = npages;
	vm->fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		die("KVM_CREATE_VM");
	vm->evfd = eventfd(0, EFD_CLOEXEC);
	if (vm->evfd < 0)
		die("eventfd");
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	vm->bitmap = calloc((npages + 63) / 64, 8);
	if (track == T_BITMAP)
		vm->kvm_bitmap = calloc((npages + 63) / 64, 8);
	if (!vm->bitmap)
		die("calloc bitmap");

	if (track == T_RING) {
		uint64_t bytes = (uint64_t)ring_entries * sizeof(struct kvm_dirty_gfn);

		enable_cap(vm->fd, ring_cap, bytes, "KVM_ENABLE_CAP dirty ring");
		vm->entries = ring_entries;
		if (use_vm_ring && cap_vm_ring) {
			uint64_t vb = VM_RING_ENTRIES * sizeof(struct kvm_dirty_gfn);

			enable_cap(vm->fd, KVM_CAP_DIRTY_LOG_RING_VM, vb,
				   "KVM_ENABLE_CAP KVM_CAP_DIRTY_LOG_RING_VM");
			vm->vmring = mmap(NULL, vb, PROT_READ | PROT_WRITE,
					  MAP_SHARED, vm->fd,
					  (off_t)KVM_DIRTY_LOG_PAGE_OFFSET * host_page);
			if (vm->vmring == MAP_FAILED)
				die("mmap per-VM ring");
		}
		if (cap_wait)
			enable_cap(vm->fd, KVM_CAP_DIRTY_LOG_RING_WAIT, wait,
				   "KVM_ENABLE_CAP KVM_CAP_DIRTY_LOG_RING_WAIT");
	} else if (track == T_BITMAP) {
		enable_cap(vm->fd, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
			   KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
			   "KVM_ENABLE_CAP KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2");
	}
	if (ioctl(vm->fd, KVM_SET_TSS_ADDR, 0xfffbd000UL))
		die("KVM_SET_TSS_ADDR");

	vm->low = map_anon(LOW_SIZE);
	init_low(vm->low);
	vm->data = map_anon(npages * PAGE);
	set_region(vm->fd, 0, 0, 0, LOW_SIZE, vm->low);
	set_region(vm->fd, LIST_SLOT, KVM_MEM_READONLY, LIST_GPA, list_bytes,
		   list);
	set_region(vm->fd, DATA_SLOT, flags, DATA_GPA, npages * PAGE, vm->data);

	for (int i = 0; i < nvcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		uint64_t first = m * i / nvcpus, last = m * (i + 1) / nvcpus;

		v->vm = vm;
		v->idx = i;
		v->list_gpa = LIST_GPA + first * 8;
		v->count = last - first;
		v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, i);
		if (v->fd < 0)
			die("KVM_CREATE_VCPU");
		v->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE,
			      MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED)
			die("mmap kvm_run");
		if (track == T_RING) {
			v->ring = mmap(NULL, (size_t)vm->entries * sizeof(*v->ring),
				       PROT_READ | PROT_WRITE, MAP_SHARED, v->fd,
				       (off_t)KVM_DIRTY_LOG_PAGE_OFFSET * host_page);
			if (v->ring == MAP_FAILED)
				die("mmap dirty ring");
		}
		v->stats_fd = ioctl(v->fd, KVM_GET_STATS_FD, 0);
		v->st_waits = stat_offset(v->stats_fd, "dirty_ring_waits");
		v->st_full = stat_offset(v->stats_fd, "dirty_ring_full_exits");
		init_vcpu_regs(v);
		if (pthread_create(&v->tid, NULL, vcpu_thread, v))
			die("pthread_create");
	}
	return vm;
}

static void vm_destroy(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm->quit = true;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	for (int i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		pthread_join(v->tid, NULL);
		if (v->ring)
			munmap(v->ring, (size_t)vm->entries * sizeof(*v->ring));
		munmap(v->run, run_size);
		if (v->stats_fd >= 0)
			close(v->stats_fd);
		close(v->fd);
	}
	if (vm->vmring)
		munmap(vm->vmring, VM_RING_ENTRIES * sizeof(struct kvm_dirty_gfn));
	close(vm->fd);
	close(vm->evfd);
	munmap(vm->low, LOW_SIZE);
	munmap(vm->data, vm->npages * PAGE);
	free(vm->bitmap);
	free(vm->kvm_bitmap);
	free(vm);
}

/* ------------------------------------------------------------------ */
/* Collection.                                                         */

static void kick(struct vm *vm)
{
	uint64_t one = 1;

	if (write(vm->evfd, &one, sizeof(one)) != sizeof(one))
		die("write eventfd");
}

/*
 * Take every entry KVM published (DIRTY set) into the host bitmap and
 * hand it back (RESET).  The acquire load pairs with KVM's release when
 * it publishes an entry; the release store hands the entry back.
 */
static uint64_t harvest(struct vm *vm, struct kvm_dirty_gfn *gfns,
			uint32_t size, uint32_t *next)
{
	uint64_t n = 0;

	for (;;) {
		struct kvm_dirty_gfn *e = &gfns[*next & (size - 1)];
		uint32_t flags = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);

		if (!(flags & KVM_DIRTY_GFN_F_DIRTY))
			break;
		if (e->slot == DATA_SLOT && e->offset < vm->npages) {
			uint64_t *w = &vm->bitmap[e->offset / 64];
			uint64_t bit = 1ULL << (e->offset % 64);

			if (*w & bit)
				vm->dups++;
			*w |= bit;
		} else {
			vm->bad++;
		}
		__atomic_store_n(&e->flags, KVM_DIRTY_GFN_F_RESET,
				 __ATOMIC_RELEASE);
		(*next)++;
		n++;
	}
	return n;
}

static uint64_t collect_ring(struct vm *vm)
{
	uint64_t t0, t1, t2, n = 0;
	int r;

	t0 = now_ns();
	for (int i = 0; i < vm->nvcpus; i++)
		n += harvest(vm, vm->vcpus[i].ring, vm->entries,
			     &vm->vcpus[i].next);
	if (vm->vmring)
		n += harvest(vm, vm->vmring, VM_RING_ENTRIES, &vm->vmnext);
	t1 = now_ns();
	r = ioctl(vm->fd, KVM_RESET_DIRTY_RINGS);
	t2 = now_ns();
	if (r < 0)
		die("KVM_RESET_DIRTY_RINGS");
	vm->harvest_ns += t1 - t0;
	vm->reset_ns += t2 - t1;
	vm->entries_seen += n;
	vm->reset_ret += r;
	vm->collections++;
	return n;
}

static void collect_bitmap(struct vm *vm)
{
	struct kvm_dirty_log dl = { .slot = DATA_SLOT, .dirty_bitmap = vm->kvm_bitmap };
	struct kvm_clear_dirty_log cl = {
		.slot = DATA_SLOT, .first_page = 0, .num_pages = vm->npages,
		.dirty_bitmap = vm->kvm_bitmap,
	};
	uint64_t t0, t1, t2, words = (vm->npages + 63) / 64;

	t0 = now_ns();
	if (ioctl(vm->fd, KVM_GET_DIRTY_LOG, &dl))
		die("KVM_GET_DIRTY_LOG");
	/*
	 * What a VMM does with the copy (QEMU's
	 * cpu_physical_memory_set_dirty_lebitmap()): fold each non-zero word
	 * into its own dirty bitmap.  The ring's harvest does the same entry
	 * by entry, so both sides end with the pages in the VMM's structure.
	 */
	for (uint64_t w = 0; w < words; w++) {
		uint64_t b = vm->kvm_bitmap[w];

		if (b)
			vm->bitmap[w] |= b;
	}
	t1 = now_ns();
	if (ioctl(vm->fd, KVM_CLEAR_DIRTY_LOG, &cl))
		die("KVM_CLEAR_DIRTY_LOG");
	t2 = now_ns();
	vm->get_ns += t1 - t0;
	vm->clear_ns += t2 - t1;
	vm->collections++;
}

/* ------------------------------------------------------------------ */
/* A round.                                                            */

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;

	for (;;) {
		pthread_mutex_lock(&vm->lock);
		while (vm->seq == v->seq && !vm->quit)
			pthread_cond_wait(&vm->cond, &vm->lock);
		v->seq = vm->seq;
		pthread_mutex_unlock(&vm->lock);
		if (vm->quit)
			return NULL;

		for (;;) {
			uint64_t t = now_ns(), g;
			int r = ioctl(v->fd, KVM_RUN, 0);

			v->run_ns += now_ns() - t;
			v->runs++;
			if (r < 0 && errno == EINTR) {
				v->intr++;
				continue;
			}
			if (r < 0)
				die("KVM_RUN");
			if (v->run->exit_reason == KVM_EXIT_IO &&
			    v->run->io.port == DONE_PORT)
				break;
			if (v->run->exit_reason != KVM_EXIT_DIRTY_RING_FULL) {
				fprintf(stderr,
					"dirty_bench: vcpu %d: unexpected exit %u (port 0x%x)\n",
					v->idx, v->run->exit_reason,
					v->run->io.port);
				exit(2);
			}
			/* Exit mode: wait for the collector to make room. */
			v->full_exits++;
			t = now_ns();
			pthread_mutex_lock(&vm->lock);
			g = vm->gen;
			vm->full_pending++;
			pthread_mutex_unlock(&vm->lock);
			kick(vm);
			pthread_mutex_lock(&vm->lock);
			while (vm->gen == g)
				pthread_cond_wait(&vm->cond, &vm->lock);
			pthread_mutex_unlock(&vm->lock);
			v->full_ns += now_ns() - t;
		}
		pthread_mutex_lock(&vm->lock);
		vm->done++;
		vm->last_done_ns = now_ns();
		pthread_mutex_unlock(&vm->lock);
		kick(vm);
	}
}

struct round_result {
	uint64_t wall_ns, run_ns, runs, full_exits, full_ns, intr;
	int64_t waits, stat_full;	/* -1: no such stat */
};

static void run_round(struct vm *vm, struct round_result *res)
{
	uint64_t t0, w0 = 0, f0 = 0, w1 = 0, f1 = 0;
	bool have_waits = true, have_full = true;
	int i;

	for (i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		v->run_ns = 0;
		v->runs = 0;
		v->full_exits = 0;
		v->full_ns = 0;
		v->intr = 0;
		have_waits &= v->st_waits >= 0;
		have_full &= v->st_full >= 0;
		w0 += stat_read(v->stats_fd, v->st_waits);
		f0 += stat_read(v->stats_fd, v->st_full);
	}
	vm->harvest_ns = 0;
	vm->reset_ns = 0;
	vm->get_ns = 0;
	vm->clear_ns = 0;
	vm->collections = 0;
	vm->entries_seen = 0;
	vm->dups = 0;
	vm->bad = 0;
	vm->reset_ret = 0;
	vm->wait_ns = 0;

	pthread_mutex_lock(&vm->lock);
	vm->done = 0;
	vm->full_pending = 0;
	vm->seq++;
	t0 = now_ns();
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);

	/* Collector: empty the rings whenever one is full. */
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = vm->evfd, .events = POLLIN },
			{ .fd = vm->fd, .events = POLLIN },
		};
		int npfd = vm->track == T_RING && vm->wait ? 2 : 1;
		uint64_t cnt, t_wake;
		int done, pend;

		pthread_mutex_lock(&vm->lock);
		done = vm->done;
		pthread_mutex_unlock(&vm->lock);
		if (done == vm->nvcpus)
			break;
		if (poll(pfd, npfd, -1) < 0 && errno != EINTR)
			die("poll");
		t_wake = now_ns();
		if ((pfd[0].revents & POLLIN) &&
		    read(vm->evfd, &cnt, sizeof(cnt)) != sizeof(cnt))
			die("read eventfd");
		pthread_mutex_lock(&vm->lock);
		pend = vm->full_pending;
		vm->full_pending = 0;
		pthread_mutex_unlock(&vm->lock);
		if (npfd == 2 && (pfd[1].revents & POLLIN)) {
			if (!collect_ring(vm) && !pend)
				usleep(50);	/* nothing there: don't spin */
			else
				vm->wait_ns += now_ns() - t_wake;
			pend = 1;	/* wake anyone waiting on gen */
		} else if (pend) {
			collect_ring(vm);
		}
		if (pend) {
			pthread_mutex_lock(&vm->lock);
			vm->gen++;
			pthread_cond_broadcast(&vm->cond);
			pthread_mutex_unlock(&vm->lock);
		}
	}
	memset(res, 0, sizeof(*res));
	res->wall_ns = vm->last_done_ns - t0;
	for (i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		res->run_ns += v->run_ns;
		res->runs += v->runs;
		res->full_exits += v->full_exits;
		res->full_ns += v->full_ns;
		res->intr += v->intr;
		w1 += stat_read(v->stats_fd, v->st_waits);
		f1 += stat_read(v->stats_fd, v->st_full);
	}
	res->waits = have_waits ? (int64_t)(w1 - w0) : -1;
	res->stat_full = have_full ? (int64_t)(f1 - f0) : -1;
}

/* ------------------------------------------------------------------ */
/* Cells.                                                              */

struct cell {
	uint64_t slot_mib;
	double pct;
	bool rand;
	int vcpus;
};

/* The first m pages of the slot in the cell's order, as guest addresses. */
static void make_list(uint64_t *list, uint64_t npages, uint64_t m, bool rnd)
{
	const uint64_t a = 6364136223846793005ULL, c = 1442695040888963407ULL;
	uint64_t mask = 1, x = lcg_seed, i = 0;

	while (mask < npages)
		mask <<= 1;
	mask--;
	while (i < m) {
		uint64_t page;

		if (rnd) {
			x = (a * x + c) & mask;
			if (x >= npages)
				continue;
			page = x;
		} else {
			page = i;
		}
		list[i++] = DATA_GPA + page * PAGE;
	}
}

/*
 * Count the listed pages missing from @vm's bitmap; *@set gets the pages
 * set in it, *@nz_words its non-zero 64-page words (the masked
 * re-protects a reset coalesced per memslot makes, as KVM_CLEAR_DIRTY_LOG
 * does) and *@span the pages from the first to the last set page of each
 * such word (the leaf entries a masked re-protect walks), which
 * bench_report.py fits the costs against.
 */
static uint64_t count_missing(struct vm *vm, const uint64_t *list, uint64_t m,
			      uint64_t *set, uint64_t *nz_words, uint64_t *span)
{
	uint64_t missing = 0, n = 0, nz = 0, sp = 0;
	uint64_t words = (vm->npages + 63) / 64;

	for (uint64_t i = 0; i < m; i++) {
		uint64_t p = (list[i] - DATA_GPA) / PAGE;

		missing += !(vm->bitmap[p / 64] & (1ULL << (p % 64)));
	}
	for (uint64_t i = 0; i < words; i++) {
		uint64_t w = vm->bitmap[i];

		if (!w)
			continue;
		n += __builtin_popcountll(w);
		nz++;
		sp += 64 - __builtin_clzll(w) - __builtin_ctzll(w);
	}
	*set = n;
	*nz_words = nz;
	*span = sp;
	return missing;
}

static const char *cell_keys(const struct cell *c, const struct vm *vm)
{
	static char buf[256];
	char ring[16] = "na";

	if (vm->track == T_RING)
		snprintf(ring, sizeof(ring), "%u", vm->entries);
	snprintf(buf, sizeof(buf),
		 "exp=%s track=%s wmode=%s slot_mib=%" PRIu64
		 " pct=%g order=%s vcpus=%d ring=%s",
		 exp_name, track_name[vm->track],
		 vm->track != T_RING ? "na" : vm->wait ? "wait" : "exit",
		 c->slot_mib, c->pct, c->rand ? "rand" : "seq", c->vcpus, ring);
	return buf;
}

static void fmt_opt(char *buf, size_t sz, int64_t v)
{
	if (v < 0)
		snprintf(buf, sz, "na");
	else
		snprintf(buf, sz, "%" PRId64, v);
}

static void report(const struct cell *c, struct vm *vm, uint64_t round,
		   uint64_t m, const uint64_t *list,
		   const struct round_result *r)
{
	uint64_t set = 0, nz_words = 0, span = 0, missing, collect;
	char waits[24], sfull[24], wait_ns[24], keys[256];

	if (vm->track == T_BITMAP)
		collect_bitmap(vm);
	missing = vm->track == T_NONE ? 0 :
		  count_missing(vm, list, m, &set, &nz_words, &span);
	if (missing) {
		fail("%s: round %" PRIu64 " missed %" PRIu64 " of %" PRIu64 " pages",
		     cell_keys(c, vm), round, missing, m);
	}
	if (vm->track == T_RING && vm->reset_ret != vm->entries_seen)
		fail("%s: KVM_RESET_DIRTY_RINGS reset %" PRIu64
		     " entries, %" PRIu64 " were harvested",
		     cell_keys(c, vm), vm->reset_ret, vm->entries_seen);
	if (vm->bad)
		fail("%s: %" PRIu64 " ring entries outside the data slot",
		     cell_keys(c, vm), vm->bad);

	collect = vm->harvest_ns + vm->reset_ns + vm->get_ns + vm->clear_ns;
	fmt_opt(waits, sizeof(waits), vm->track == T_RING ? r->waits : -1);
	fmt_opt(sfull, sizeof(sfull), vm->track == T_RING ? r->stat_full : -1);
	fmt_opt(wait_ns, sizeof(wait_ns),
		vm->track == T_RING && vm->wait ? (int64_t)vm->wait_ns : -1);
	snprintf(keys, sizeof(keys), "%s", cell_keys(c, vm));
	printf("kdrbench %s round=%" PRIu64 " warm=%d pages=%" PRIu64
	       " wall_ns=%" PRIu64 " run_ns=%" PRIu64 " wall_ns_pp=%.1f"
	       " guest_ns_pp=%.1f"
	       " runs=%" PRIu64 " intr=%" PRIu64 " full_exits=%" PRIu64
	       " full_ns=%" PRIu64 " wait_ns=%s waits=%s stat_full_exits=%s"
	       " collections=%" PRIu64 " entries=%" PRIu64 " dups=%" PRIu64
	       " harvest_ns=%" PRIu64 " reset_ns=%" PRIu64
	       " get_ns=%" PRIu64 " clear_ns=%" PRIu64 " collect_ns=%" PRIu64
	       " collect_ns_pp=%.1f bits=%" PRIu64 " words=%" PRIu64
	       " span=%" PRIu64 " missing=%" PRIu64 "\n",
	       keys, round, round == 0, m, r->wall_ns, r->run_ns,
	       (double)r->wall_ns / m, (double)r->run_ns / m, r->runs, r->intr, r->full_exits,
	       r->full_ns, wait_ns, waits, sfull, vm->collections, vm->entries_seen, vm->dups,
	       vm->harvest_ns, vm->reset_ns, vm->get_ns, vm->clear_ns,
	       collect, (double)collect / m, set, nz_words, span, missing);
	fflush(stdout);
	memset(vm->bitmap, 0, (vm->npages + 63) / 64 * 8);
}

struct vmspec {
	enum track track;
	bool wait;
};

static void run_cell(const struct cell *c, const struct vmspec *specs,
		     int nspecs)
{
	uint64_t npages = c->slot_mib * 1024 * 1024 / PAGE;
	uint64_t m = fixed_pages ? fixed_pages : (uint64_t)llround(npages * c->pct / 100.0);
	uint64_t list_bytes, t_start = now_ns(), done_rounds = 0;
	struct vm *vms[8];
	uint64_t *list;
	uint64_t sum_collect[8] = { 0 }, sum_wall[8] = { 0 };
	struct cell fixed_cell;

	if (m < (uint64_t)c->vcpus)
		m = c->vcpus;
	if (m > npages)
		m = npages;
	/* With -n, report the fraction those pages are of this slot. */
	if (fixed_pages) {
		fixed_cell = *c;
		fixed_cell.pct = m * 100.0 / npages;
		c = &fixed_cell;
	}
	list_bytes = (m * 8 + PAGE - 1) / PAGE * PAGE;
	list = map_anon(list_bytes);
	make_list(list, npages, m, c->rand);

	for (int i = 0; i < nspecs; i++)
		vms[i] = vm_create(specs[i].track, specs[i].wait, c->vcpus,
				   npages, list, list_bytes, m);

	for (uint64_t round = 0; round <= rounds; round++) {
		for (int i = 0; i < nspecs; i++) {
			struct round_result r;

			run_round(vms[i], &r);
			if (vms[i]->track == T_RING)
				collect_ring(vms[i]);	/* the round's end */
			report(c, vms[i], round, m, list, &r);
			if (round) {
				sum_collect[i] += vms[i]->harvest_ns +
					vms[i]->reset_ns + vms[i]->get_ns +
					vms[i]->clear_ns;
				sum_wall[i] += r.wall_ns;
			}
		}
		done_rounds = round;
		if (cell_budget > 0 && round >= 2 && round < rounds &&
		    (now_ns() - t_start) / 1e9 > cell_budget) {
			printf("# cell over its %.0f s budget after %" PRIu64
			       " rounds\n", cell_budget, round);
			break;
		}
	}
	for (int i = 0; i < nspecs; i++) {
		const char *k = cell_keys(c, vms[i]);

		printf("# %s: collect %.0f ns/page, dirtying %.0f ns/page (%" PRIu64
		       " rounds of %" PRIu64 " pages)\n", k,
		       done_rounds ? sum_collect[i] / (double)(done_rounds * m) : 0,
		       done_rounds ? sum_wall[i] / (double)(done_rounds * m) : 0,
		       done_rounds, m);
		vm_destroy(vms[i]);
	}
	printf("# cell took %.1f s\n", (now_ns() - t_start) / 1e9);
	fflush(stdout);
	munmap(list, list_bytes);
}

/* ------------------------------------------------------------------ */

static int split(char *s, char **out, int max)
{
	int n = 0;

	for (char *tok = strtok(s, ","); tok && n < max; tok = strtok(NULL, ","))
		out[n++] = tok;
	return n;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [options]   (lists are comma separated)\n"
		"  -s MIB,...     slot sizes in MiB (default 128; at most %llu)\n"
		"  -p PCT,...     %% of the slot dirtied per round (default 0.1,1,10,100)\n"
		"  -n PAGES       pages dirtied per round, whatever the slot size (replaces -p)\n"
		"  -o ORDER,...   seq, rand (default seq,rand)\n"
		"  -c N,...       vCPUs (default 1)\n"
		"  -t TRACK,...   ring, bitmap, none (default ring,bitmap,none)\n"
		"  -w MODE,...    ring-full mode: exit, wait (default exit)\n"
		"  -e ENTRIES     dirty ring entries per vCPU (default 65536)\n"
		"  -r ROUNDS      measured rounds per cell, after a warm-up (default 5)\n"
		"  -B SECONDS     stop a cell's rounds early past this (default none)\n"
		"  -V 0|1         enable the per-VM ring if the kernel has one (default 1)\n"
		"  -x NAME        experiment name in the output (default collect)\n"
		"  -S SEED        random order seed (default 1)\n",
		prog, MAX_SLOT_MIB);
	exit(2);
}

int main(int argc, char **argv)
{
	char s_arg[256] = "128", p_arg[256] = "0.1,1,10,100";
	char o_arg[64] = "seq,rand", c_arg[64] = "1";
	char t_arg[64] = "ring,bitmap,none", w_arg[64] = "exit";
	char *sizes[16], *pcts[16], *orders[4], *cpus[8], *tracks[4], *modes[4];
	int ns, np, no, nc, nt, nw, opt, nspecs = 0;
	struct vmspec specs[8];
	struct utsname u;

	while ((opt = getopt(argc, argv, "s:p:n:o:c:t:w:e:r:B:V:x:S:h")) != -1) {
		switch (opt) {
		case 's':
			snprintf(s_arg, sizeof(s_arg), "%s", optarg);
			break;
		case 'p':
			snprintf(p_arg, sizeof(p_arg), "%s", optarg);
			break;
		case 'n':
			fixed_pages = strtoull(optarg, NULL, 0);
			snprintf(p_arg, sizeof(p_arg), "100");
			break;
		case 'o':
			snprintf(o_arg, sizeof(o_arg), "%s", optarg);
			break;
		case 'c':
			snprintf(c_arg, sizeof(c_arg), "%s", optarg);
			break;
		case 't':
			snprintf(t_arg, sizeof(t_arg), "%s", optarg);
			break;
		case 'w':
			snprintf(w_arg, sizeof(w_arg), "%s", optarg);
			break;
		case 'e':
			ring_entries = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			rounds = strtoull(optarg, NULL, 0);
			break;
		case 'B':
			cell_budget = strtod(optarg, NULL);
			break;
		case 'V':
			use_vm_ring = atoi(optarg);
			break;
		case 'x':
			exp_name = optarg;
			break;
		case 'S':
			lcg_seed = strtoull(optarg, NULL, 0);
			break;
		default:
			usage(argv[0]);
		}
	}
	ns = split(s_arg, sizes, 16);
	np = split(p_arg, pcts, 16);
	no = split(o_arg, orders, 4);
	nc = split(c_arg, cpus, 8);
	nt = split(t_arg, tracks, 4);
	nw = split(w_arg, modes, 4);
	if (!ns || !np || !no || !nc || !nt || !nw || !rounds ||
	    ring_entries < 64 || (ring_entries & (ring_entries - 1)))
		usage(argv[0]);

	probe();
	uname(&u);
	printf("kdrbench kind=info exp=%s kernel=%s ring_cap=%s ring_max_bytes=%d"
	       " vm_ring=%d wait=%d manual_protect2=%d rounds=%" PRIu64 "\n",
	       exp_name, u.release,
	       ring_cap == KVM_CAP_DIRTY_LOG_RING_ACQ_REL ? "acq_rel" :
	       ring_cap ? "tso" : "none",
	       ring_max_bytes, cap_vm_ring, cap_wait, cap_manual, rounds);

	for (int i = 0; i < nt; i++) {
		enum track t;

		if (nspecs + nw > (int)(sizeof(specs) / sizeof(specs[0])))
			usage(argv[0]);

		if (!strcmp(tracks[i], "ring"))
			t = T_RING;
		else if (!strcmp(tracks[i], "bitmap"))
			t = T_BITMAP;
		else if (!strcmp(tracks[i], "none"))
			t = T_NONE;
		else
			usage(argv[0]);
		if (t == T_RING && !ring_cap) {
			printf("kdrbench kind=skip exp=%s track=ring reason=no_dirty_ring\n",
			       exp_name);
			continue;
		}
		if (t == T_BITMAP &&
		    !(cap_manual & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)) {
			printf("kdrbench kind=skip exp=%s track=bitmap reason=no_manual_protect2\n",
			       exp_name);
			continue;
		}
		if (t != T_RING) {
			specs[nspecs++] = (struct vmspec){ t, false };
			continue;
		}
		for (int j = 0; j < nw; j++) {
			bool wait = !strcmp(modes[j], "wait");

			if (!wait && strcmp(modes[j], "exit"))
				usage(argv[0]);
			if (wait && !cap_wait) {
				printf("kdrbench kind=skip exp=%s track=ring wmode=wait reason=%s\n",
				       exp_name, "no_KVM_CAP_DIRTY_LOG_RING_WAIT");
				continue;
			}
			specs[nspecs++] = (struct vmspec){ T_RING, wait };
		}
	}
	if (!nspecs) {
		printf("# nothing this kernel can run\n");
		return 4;
	}
	if ((uint64_t)ring_entries * sizeof(struct kvm_dirty_gfn) >
	    (uint64_t)ring_max_bytes && ring_cap) {
		ring_entries = ring_max_bytes / sizeof(struct kvm_dirty_gfn);
		printf("# ring entries capped at %u (the kernel's maximum)\n",
		       ring_entries);
	}

	for (int si = 0; si < ns; si++)
		for (int pi = 0; pi < np; pi++)
			for (int oi = 0; oi < no; oi++)
				for (int ci = 0; ci < nc; ci++) {
					struct cell c = {
						.slot_mib = strtoull(sizes[si], NULL, 0),
						.pct = strtod(pcts[pi], NULL),
						.rand = !strcmp(orders[oi], "rand"),
						.vcpus = atoi(cpus[ci]),
					};

					if (!c.slot_mib || c.slot_mib > MAX_SLOT_MIB ||
					    c.pct <= 0 || c.pct > 100 ||
					    c.vcpus < 1 || c.vcpus > MAX_VCPUS ||
					    (!c.rand && strcmp(orders[oi], "seq")))
						usage(argv[0]);
					run_cell(&c, specs, nspecs);
				}
	if (failures)
		fprintf(stderr, "dirty_bench: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}
