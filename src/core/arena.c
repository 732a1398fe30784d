/*
 * A bump allocator. Parse trees are built into one arena and dropped at
 * once, so a tree never needs a recursive free. Blocks start small and
 * double up to 1 MiB: a run holds thousands of small arenas (one per file
 * and one per script).
 *
 * Blocks of the standard sizes come from a pool carved out of
 * 4 MiB regions that ask for transparent huge pages: a check of a large
 * repository touches ~100 MB of fresh tree memory, and one fault per 2 MiB
 * instead of per 4 KiB page roughly halves its run time (make bench). A
 * released block goes back to the pool for the next arena; regions are
 * returned to the system only at exit. The pool is shared by every thread
 * (check --jobs parses files on several) under one lock: blocks are taken
 * a few thousand times a run, and a block made on one thread may be
 * released on another.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/core.h"
#include "core/banned.h"

struct cg_arena_block {
	struct cg_arena_block *next;
	size_t size, used;
	int pooled; /* from the pool (else malloc'd) */
	/* never used since it was mapped: the kernel gave it zeroed, and
	 * cg_arena_alloc need not clear it again */
	int fresh;
	int cls; /* size class, or -1 for an odd size */
	_Alignas(16) unsigned char data[];
};

#define BLOCK_FIRST 1024
#define NCLASSES 11 /* 1 KiB << 0..10: up to 1 MiB */
#define REGION (4u * 1024 * 1024)
#define HUGE_PAGE (2u * 1024 * 1024)

struct pool {
	struct cg_arena_block *free[NCLASSES];
	unsigned char *cur;
	size_t left;
};

static struct pool pool;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

/* A block of class k, header included, is exactly 1 KiB << k, so four
 * of the largest fill a region with nothing left over. */
static size_t class_bytes(int k)
{
	return (size_t)BLOCK_FIRST << k;
}

static size_t class_capacity(int k)
{
	return class_bytes(k) - sizeof(struct cg_arena_block);
}

/* A fresh region, 2 MiB aligned so the kernel can back it with huge
 * pages; NULL when mmap is refused (then blocks come from malloc). */
static unsigned char *new_region(void)
{
	size_t len = REGION + HUGE_PAGE;
	unsigned char *p;
	uintptr_t start, end;

	if (cg_alloc_fail_now())
		return NULL; /* the test build's failure: as if refused */
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	start = ((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
	end = start + REGION;
	if (start > (uintptr_t)p)
		munmap(p, start - (uintptr_t)p);
	if ((uintptr_t)p + len > end)
		munmap((void *)end, (uintptr_t)p + len - end);
#ifdef MADV_HUGEPAGE
	madvise((void *)start, REGION, MADV_HUGEPAGE);
#endif
	return (unsigned char *)start;
}

/* Under AddressSanitizer every block is malloc'd, so overflows and uses
 * after release are caught in pooled memory too. */
#define USE_POOL (!CG_ASAN)

static int class_of(size_t capacity)
{
	for (int k = 0; k < NCLASSES; k++)
		if (class_capacity(k) == capacity)
			return k;
	return -1;
}

/* A block of a standard size from the pool when it can, else malloc. */
static struct cg_arena_block *block_new(size_t size)
{
	struct cg_arena_block *b = NULL;
	int k = class_of(size);

	if (USE_POOL && k >= 0) {
		pthread_mutex_lock(&pool_lock);
		if (pool.free[k]) {
			b = pool.free[k];
			pool.free[k] = b->next;
			b->fresh = 0;
		} else {
			if (pool.left < class_bytes(k)) {
				unsigned char *r = new_region();

				pool.cur = r;
				pool.left = r ? REGION : 0;
			}
			if (pool.left >= class_bytes(k)) {
				b = (struct cg_arena_block *)pool.cur;
				b->fresh = 1;
				pool.cur += class_bytes(k);
				pool.left -= class_bytes(k);
			}
		}
		pthread_mutex_unlock(&pool_lock);
	}
	if (b) {
		b->pooled = 1;
	} else {
		b = cg_xmalloc(sizeof(*b) + size);
		b->pooled = 0;
		b->fresh = 0;
	}
	b->cls = k;
	b->size = size;
	b->used = 0;
	return b;
}

static void block_free(struct cg_arena_block *b)
{
	if (!b->pooled) {
		free(b);
		return;
	}
	pthread_mutex_lock(&pool_lock);
	b->next = pool.free[b->cls];
	pool.free[b->cls] = b;
	pthread_mutex_unlock(&pool_lock);
}

void cg_arena_init(struct cg_arena *a)
{
	a->head = NULL;
	a->used_total = 0;
}

/*
 * Where the next n bytes aligned to `align` go: the current block when
 * they fit, else a new one. Strings take no alignment, and structs only a
 * pointer's: most allocations are small (a YAML scalar's value is ~12
 * bytes), and rounding each up to 16 was an eighth of a tree's memory.
 */
#define ALIGN                                                                  \
	_Alignof(union {                                                       \
		void *p;                                                       \
		size_t z;                                                      \
		uint64_t u;                                                    \
		double d;                                                      \
	})

static unsigned char *carve(struct cg_arena *a, size_t n, size_t align)
{
	struct cg_arena_block *b = a->head;
	size_t at = b ? (b->used + align - 1) & ~(align - 1) : 0;

	if (!b || at > b->size || b->size - at < n) {
		/* the next class up from the current block, at most the top */
		int k = b && b->cls >= 0 ? b->cls + 1 : 0;
		size_t next;

		if (k >= NCLASSES)
			k = NCLASSES - 1;
		next = class_capacity(k);
		b = block_new(n > next ? n : next);
		b->next = a->head;
		a->head = b;
		at = 0;
	}
	a->used_total += at + n - b->used;
	b->used = at + n;
	return b->data + at;
}

void *cg_arena_alloc(struct cg_arena *a, size_t n)
{
	/* distinct pointers even for empty arrays */
	void *p = carve(a, n ? n : 1, ALIGN);

	if (!a->head->fresh)
		memset(p, 0, n);
	return p;
}

char *cg_arena_strndup(struct cg_arena *a, const char *s, size_t n)
{
	char *p = (char *)carve(a, n + 1, 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *cg_arena_strdup(struct cg_arena *a, const char *s)
{
	return cg_arena_strndup(a, s, strlen(s));
}

void cg_arena_release(struct cg_arena *a)
{
	struct cg_arena_block *b = a->head, *next;

	for (; b; b = next) {
		next = b->next;
		block_free(b);
	}
	cg_arena_init(a);
}
