/*
 * A bump allocator. Parse trees are built into one arena and dropped at
 * once, so a tree never needs a recursive free. Blocks start small and
 * double up to 1 MiB: a run holds thousands of small arenas (one per file
 * and one per script).
 *
 * Blocks of the standard sizes come from a per-thread pool carved out of
 * 4 MiB regions that ask for transparent huge pages: a check of a large
 * repository touches ~100 MB of fresh tree memory, and one fault per 2 MiB
 * instead of per 4 KiB page roughly halves its run time (make bench). A
 * released block goes back to the pool for the next arena; regions are
 * returned to the system only at exit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/core.h"
#include "core/banned.h"

struct cg_arena_block {
	struct cg_arena_block *next;
	size_t size, used;
	int pooled; /* size class + 1, or 0 for a malloc'd block */
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

static _Thread_local struct pool pool;

static size_t class_bytes(int k)
{
	return sizeof(struct cg_arena_block) + ((size_t)BLOCK_FIRST << k);
}

/* A fresh region, 2 MiB aligned so the kernel can back it with huge
 * pages; NULL when mmap is refused (then blocks come from malloc). */
static unsigned char *new_region(void)
{
	size_t len = REGION + HUGE_PAGE;
	unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t start, end;

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
#if defined(__SANITIZE_ADDRESS__)
#define USE_POOL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define USE_POOL 0
#endif
#endif
#ifndef USE_POOL
#define USE_POOL 1
#endif

static struct cg_arena_block *block_new(size_t size)
{
	struct cg_arena_block *b;
	int k = -1;

	if (!USE_POOL)
		goto plain;
	for (int c = 0; c < NCLASSES; c++)
		if (((size_t)BLOCK_FIRST << c) == size) {
			k = c;
			break;
		}
	if (k >= 0 && pool.free[k]) {
		b = pool.free[k];
		pool.free[k] = b->next;
	} else if (k >= 0) {
		size_t need = (class_bytes(k) + 15) & ~(size_t)15;

		if (pool.left < need) {
			unsigned char *r = new_region();

			if (!r)
				goto plain;
			pool.cur = r;
			pool.left = REGION;
		}
		b = (struct cg_arena_block *)pool.cur;
		pool.cur += need;
		pool.left -= need;
	} else {
	plain:
		b = cg_xmalloc(sizeof(*b) + size);
		k = -1;
	}
	b->size = size;
	b->used = 0;
	b->pooled = k + 1;
	return b;
}

static void block_free(struct cg_arena_block *b)
{
	if (!b->pooled) {
		free(b);
		return;
	}
	b->next = pool.free[b->pooled - 1];
	pool.free[b->pooled - 1] = b;
}

void cg_arena_init(struct cg_arena *a)
{
	a->head = NULL;
	a->used_total = 0;
}

void *cg_arena_alloc(struct cg_arena *a, size_t n)
{
	struct cg_arena_block *b = a->head;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (!n)
		n = 16;
	if (!b || b->size - b->used < n) {
		size_t next = BLOCK_FIRST;

		if (b) {
			next = b->size * 2;
			if (next > ((size_t)BLOCK_FIRST << (NCLASSES - 1)))
				next = (size_t)BLOCK_FIRST << (NCLASSES - 1);
		}
		b = block_new(n > next ? n : next);
		b->next = a->head;
		a->head = b;
	}
	p = b->data + b->used;
	b->used += n;
	a->used_total += n;
	memset(p, 0, n);
	return p;
}

char *cg_arena_strndup(struct cg_arena *a, const char *s, size_t n)
{
	char *p = cg_arena_alloc(a, n + 1);

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
