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
 *    only effect is on page sizes, never on contents;
 *  - the start of each heap shares its 2 MiB with what was allocated
 *    before, in 4 KiB pages: a block that is never touched fills it up to
 *    the next 2 MiB boundary (lead_to_boundary). MADV_COLLAPSE would merge
 *    those pages instead, but it waits for every CPU to drain its page
 *    lists: up to 4 ms, measured, while the other core is busy.
 * Under AddressSanitizer malloc is ASan's: nothing is done.
 */
#define _GNU_SOURCE /* sbrk */
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/core.h"
#include "core/banned.h"

#if defined(__GLIBC__) && !CG_ASAN && defined(MADV_HUGEPAGE)

#define MIB ((size_t)1024 * 1024)
#define HUGE_PAGE (2 * MIB)
#define PAD (32 * MIB)
#define THREAD_HEAP (64 * MIB) /* glibc's HEAP_MAX_SIZE on 64-bit */
#define MAX_HEAPS 64

static atomic_bool tuned;
static uintptr_t main_lo, main_hi; /* the brk heap as madvised */
static pthread_mutex_t heaps_lock = PTHREAD_MUTEX_INITIALIZER;
static uintptr_t heaps[MAX_HEAPS]; /* thread heaps tuned already */
static size_t nheaps;

/* malloc and free n bytes: what malloc sets up on the way stays (the
 * compiler may drop a plain free(malloc(n)), hence the volatile) */
static void grow_and_keep(size_t n)
{
	void *volatile p = malloc(n);

	free(p);
}

static uintptr_t round_up(uintptr_t v, uintptr_t to)
{
	return (v + to - 1) & ~(to - 1);
}

/*
 * A page fault can only give a huge page where none of its 2 MiB has been
 * touched. A heap's free top begins at `top`, mid-way through a 2 MiB
 * page that holds what was allocated before: a block is allocated from
 * `top` so that the top's header (the one thing malloc writes past it)
 * lands just below the next 2 MiB boundary, which is returned. The block
 * is kept to the end and never touched: it costs address space, no
 * memory. 0 when that cannot be done.
 */
static uintptr_t lead_to_boundary(uintptr_t top)
{
	uintptr_t hp = round_up(top + 64, HUGE_PAGE);

	/* the block's chunk is hp - top - 16 bytes (8 of header, rounded
	 * to 16), so the next chunk, the top, starts at hp - 16 */
	return malloc(hp - top - 32) ? hp : 0;
}

void cg_heap_tune_process(void)
{
	uintptr_t brk0, brk1, top, hp;

	if (sizeof(void *) < 8 || !mallopt(M_TOP_PAD, (int)PAD) ||
	    !mallopt(M_TRIM_THRESHOLD, (int)(2 * PAD)) ||
	    !mallopt(M_MMAP_THRESHOLD, (int)PAD))
		return;
	/* the main heap's free top: mallinfo2's keepcost is its size; only
	 * the main heap exists yet. The lead block makes the heap grow by
	 * PAD now (M_TOP_PAD): that is the range to advise. */
	grow_and_keep(1); /* the heap and this thread's cache are set up */
	brk0 = (uintptr_t)sbrk(0);
	top = brk0 - mallinfo2().keepcost;
	if (!(hp = lead_to_boundary(top)))
		return;
	brk1 = (uintptr_t)sbrk(0);
	if (brk1 <= hp)
		return;
	main_lo = hp;
	main_hi = brk1;
	madvise((void *)hp, brk1 - hp, MADV_HUGEPAGE);
	atomic_store(&tuned, true);
}

void cg_heap_tune_thread(void)
{
	void *p;
	uintptr_t heap, top, hp;
	bool seen = false;

	if (!atomic_load(&tuned) || !(p = malloc(64)))
		return;
	heap = (uintptr_t)p & ~(uintptr_t)(THREAD_HEAP - 1);
	if ((uintptr_t)p >= main_lo && (uintptr_t)p < main_hi) {
		free(p);
		return; /* no heap of its own: glibc's arenas ran out */
	}
	/* a thread that ends leaves its heap to the next one: once each */
	pthread_mutex_lock(&heaps_lock);
	for (size_t i = 0; i < nheaps && !seen; i++)
		seen = heaps[i] == heap;
	if (!seen && nheaps < MAX_HEAPS)
		heaps[nheaps++] = heap;
	pthread_mutex_unlock(&heaps_lock);
	if (seen) {
		free(p);
		return;
	}
	/* p is the first block of a fresh heap: the top follows it (a
	 * chunk ends 8 bytes before its usable size does) */
	top = (uintptr_t)p + malloc_usable_size(p) - 8;
	if ((hp = lead_to_boundary(top)) && hp < heap + THREAD_HEAP) {
		/* glibc grows a thread's heap by what each allocation needs
		 * (M_TOP_PAD is for the main heap only), and a huge page is
		 * only used where its 2 MiB lie wholly in the writable part:
		 * grow it now by one large block, kept after its free since
		 * the trim threshold is higher */
		madvise((void *)hp, heap + THREAD_HEAP - hp, MADV_HUGEPAGE);
		grow_and_keep(PAD - MIB);
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
