/*
 * A bump allocator. Parse trees are built into one arena and dropped at
 * once, so a tree never needs a recursive free. Blocks start small and
 * double up to 1 MiB: a run holds thousands of small arenas (one per
 * script), and fresh memory costs a page fault per page touched.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/banned.h"

struct cg_arena_block {
	struct cg_arena_block *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

#define BLOCK_FIRST 1024
#define BLOCK_MAX (1024 * 1024)

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
		size_t next = b ? b->size * 2 : BLOCK_FIRST;
		size_t size;

		if (next > BLOCK_MAX)
			next = BLOCK_MAX;
		size = n > next ? n : next;

		b = cg_xmalloc(sizeof(*b) + size);
		b->size = size;
		b->used = 0;
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
		free(b);
	}
	cg_arena_init(a);
}
