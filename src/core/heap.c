/*
 * Fewer, larger page faults for malloc's heaps, asked for by the ciguard
 * program (never by the library on its own: a program that links
 * libciguard keeps its malloc as it was).
 *
 * A full check of a large repository allocates tens of MB that it keeps
 * to the end (fact tables, scripts, sources) between libyaml's short-lived
 * buffers. Every fresh 4 KiB page costs a page fault, and on virtual
 * machines a fault is dear: measured on the 2-core VM of make bench,
 * touching 64 MB of fresh 4 KiB pages took 180-250 ms, of 2 MiB pages
 * 65 ms, and a check of the generated 1000-workflow repository spent a
 * third of its time in the kernel (6,600 faults). glibc backs its heaps
 * with transparent huge pages only when told to (the glibc.malloc.hugetlb
 * tunable, read from the environment at startup), and this machine's
 * kernel gives huge pages only where madvise(MADV_HUGEPAGE) asked.
 *
 * So the program asks for them itself:
 *  - mallopt: grow a heap 32 MiB at a time (M_TOP_PAD) instead of a page
 *    or two, keep freed memory instead of returning it (M_TRIM_THRESHOLD),
 *    and keep arrays up to 32 MiB in the heap (M_MMAP_THRESHOLD) rather
 *    than in mappings of their own;
 *  - madvise(MADV_HUGEPAGE) over the main heap (the brk area) and over the
 *    heap of each worker thread. A thread's heap is found the way glibc
 *    finds it: its heaps are HEAP_MAX bytes (64 MiB on 64-bit), aligned to
 *    that size, so the heap holding a fresh malloc'd pointer starts at the
 *    pointer rounded down. madvise is a hint: should a guess be wrong, the
 *    only effect is on page sizes, never on contents.
 * Under AddressSanitizer malloc is ASan's: nothing is done.
 */
#define _GNU_SOURCE /* sbrk */
#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/core.h"
#include "core/banned.h"

#if defined(__GLIBC__) && !CG_ASAN && defined(MADV_HUGEPAGE)

#if defined(__linux__) && !defined(MADV_COLLAPSE)
#define MADV_COLLAPSE 25 /* Linux 6.1; glibc 2.36's headers lack it */
#endif

#define MIB ((size_t)1024 * 1024)
#define HUGE_PAGE (2 * MIB)
#define PAD (32 * MIB)
#define THREAD_HEAP (64 * MIB) /* glibc's HEAP_MAX_SIZE on 64-bit */

static atomic_bool tuned;
static uintptr_t main_lo, main_hi; /* the brk heap as madvised */

static void advise(uintptr_t lo, uintptr_t hi)
{
	lo = (lo + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
	if (hi > lo)
		madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
}

void cg_heap_tune_process(void)
{
	static void *lead; /* kept to the end: see below */
	uintptr_t brk0 = (uintptr_t)sbrk(0), brk1, at, hp;

	if (sizeof(void *) < 8 || !mallopt(M_TOP_PAD, (int)PAD) ||
	    !mallopt(M_TRIM_THRESHOLD, (int)(2 * PAD)) ||
	    !mallopt(M_MMAP_THRESHOLD, (int)PAD))
		return;
	/* A block the heap's top cannot hold makes it grow by PAD now: that
	 * is the range to advise. The heap began mid-way through a 2 MiB
	 * page (where the program break was), and a huge page must lie
	 * wholly in the heap: the block is cut back to end at the first 2
	 * MiB boundary, and its lead (never touched, so it costs no memory)
	 * is kept, so that what is allocated next lies in huge pages. */
	lead = malloc(HUGE_PAGE);
	brk1 = (uintptr_t)sbrk(0);
	at = (uintptr_t)lead;
	if (!lead || at >= brk1 || brk1 <= brk0)
		return;
	hp = (at + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
	if (hp - at > 64) {
		void *cut = realloc(lead, hp - at - 32);

		if (cut)
			lead = cut;
	}
	main_lo = hp;
	main_hi = brk1;
	advise(main_lo, main_hi);
#ifdef MADV_COLLAPSE
	/* malloc wrote the heap top's header, past the block, before the
	 * advice: its 4 KiB page would keep the first 2 MiB small */
	if (brk1 - hp >= HUGE_PAGE)
		madvise((void *)hp, HUGE_PAGE, MADV_COLLAPSE);
#endif
	atomic_store(&tuned, true);
}

void cg_heap_tune_thread(void)
{
	void *p;
	uintptr_t heap;

	if (!atomic_load(&tuned) || !(p = malloc(64)))
		return;
	heap = (uintptr_t)p & ~(uintptr_t)(THREAD_HEAP - 1);
	if (!((uintptr_t)p >= main_lo && (uintptr_t)p < main_hi)) {
		/* glibc grows a thread's heap by what each allocation needs
		 * (M_TOP_PAD is for the main heap only), and a huge page is
		 * only used where its 2 MiB lie wholly in the writable part:
		 * grow it now by one large block, kept after its free since
		 * the trim threshold is higher */
		void *q;

		advise(heap, heap + THREAD_HEAP);
		q = malloc(PAD - MIB);
#ifdef MADV_COLLAPSE
		/* the heap's first 2 MiB hold 4 KiB pages already (its
		 * header and p): make them one huge page too */
		madvise((void *)heap, HUGE_PAGE, MADV_COLLAPSE);
#endif
		free(q);
	}
	free(p);
}

#else /* not glibc, or malloc is AddressSanitizer's */

void cg_heap_tune_process(void)
{
}

void cg_heap_tune_thread(void)
{
}

#endif
