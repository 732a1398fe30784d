/*
 * The list of findings: filled by the rules, filtered by config,
 * suppressions and baseline, then read by the reporters. A fingerprint hashes
 * rule + path + the offending text, never the line, so it survives edits
 * elsewhere in the file; equal subjects in one file get an ordinal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/diag_list.h"
#include "core/banned.h"

void cg_diag_list_init(struct cg_diag_list *l)
{
	memset(l, 0, sizeof(*l));
}

void cg_diag_list_take(struct cg_diag_list *to, struct cg_diag_list *from)
{
	if (!from->n) {
		cg_diag_list_release(from);
		return;
	}
	CG_GROW(to->items, to->alloc, to->n + from->n);
	memcpy(to->items + to->n, from->items, from->n * sizeof(*from->items));
	to->n += from->n;
	free(from->items);
	cg_diag_list_init(from);
}

struct cg_diag *cg_diag_list_add(struct cg_diag_list *l, const char *rule,
				 enum cg_severity sev, const char *path,
				 const struct cg_pos *pos, const char *subject,
				 const char *hint, const char *message)
{
	struct cg_diag *d;

	CG_GROW(l->items, l->alloc, l->n + 1);
	d = &l->items[l->n++];
	memset(d, 0, sizeof(*d));
	d->rule = rule;
	d->severity = sev;
	d->path = cg_xstrdup(path);
	d->pos = *pos;
	d->message = cg_xstrdup(message);
	d->hint = hint ? cg_xstrdup(hint) : NULL;
	d->subject = cg_xstrdup(subject ? subject : "");
	return d;
}

void cg_diag_list_release(struct cg_diag_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].path);
		free(l->items[i].message);
		free(l->items[i].hint);
		free(l->items[i].subject);
	}
	free(l->items);
	cg_diag_list_init(l);
}

static int cmp_diag(const void *a, const void *b)
{
	const struct cg_diag *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	if (c)
		return c;
	if (x->pos.line != y->pos.line)
		return x->pos.line < y->pos.line ? -1 : 1;
	if (x->pos.col != y->pos.col)
		return x->pos.col < y->pos.col ? -1 : 1;
	c = strcmp(x->rule, y->rule);
	if (c)
		return c;
	return strcmp(x->message, y->message);
}

void cg_diag_list_sort(struct cg_diag_list *l)
{
	if (l->n > 1)
		qsort(l->items, l->n, sizeof(*l->items), cmp_diag);
}

static uint64_t base_hash(const struct cg_diag *d)
{
	uint64_t h = CG_HASH_INIT;

	h = cg_hash64(h, d->rule, strlen(d->rule) + 1);
	h = cg_hash64(h, d->path, strlen(d->path) + 1);
	/* whitespace is normalised so re-indenting keeps the fingerprint:
	 * the runs between it are hashed one after the other */
	for (const char *s = d->subject; *s;) {
		size_t n = strcspn(s, " \t\n\r");

		h = cg_hash64(h, s, n);
		s += n;
		s += strspn(s, " \t\n\r");
	}
	return h;
}

struct hashed {
	uint64_t h;
	size_t i;
};

static int cmp_hashed(const void *a, const void *b)
{
	const struct hashed *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

void cg_diag_list_fingerprint(struct cg_diag_list *l)
{
	struct hashed *hs = cg_xcalloc(l->n, sizeof(*hs));

	/* needs sorted input: the n-th equal finding in a file gets ordinal n
	 */
	for (size_t i = 0; i < l->n; i++) {
		hs[i].h = base_hash(&l->items[i]);
		hs[i].i = i;
	}
	qsort(hs, l->n, sizeof(*hs), cmp_hashed);
	unsigned ordinal = 0;

	for (size_t k = 0; k < l->n; k++) {
		uint64_t h = hs[k].h;
		struct cg_diag *d = &l->items[hs[k].i];

		ordinal = k && hs[k - 1].h == h ? ordinal + 1 : 0;
		if (ordinal)
			h = cg_hash64(h, &ordinal, sizeof(ordinal));
		/* "%016llx", without a printf call per finding */
		for (int x = 15; x >= 0; x--, h >>= 4)
			d->fingerprint[x] = "0123456789abcdef"[h & 15];
		d->fingerprint[16] = '\0';
	}
	free(hs);
}

void cg_diag_list_dedupe(struct cg_diag_list *l)
{
	size_t out = 0;

	/* needs sorted input; a template used by many jobs is one finding */
	for (size_t i = 0; i < l->n; i++) {
		struct cg_diag *d = &l->items[i];

		if (out) {
			struct cg_diag *p = &l->items[out - 1];

			if (!strcmp(p->rule, d->rule) &&
			    !strcmp(p->path, d->path) &&
			    !memcmp(&p->pos, &d->pos, sizeof(p->pos)) &&
			    !strcmp(p->message, d->message)) {
				free(d->path);
				free(d->message);
				free(d->hint);
				free(d->subject);
				continue;
			}
		}
		l->items[out++] = *d;
	}
	l->n = out;
}
