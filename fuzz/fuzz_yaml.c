/*
 * libFuzzer target for the YAML loader: any valid UTF-8 input must load or
 * fail cleanly, every node's offsets must agree with its position, and
 * cg_scalar_offsets must stay inside each scalar, never go back, and map
 * each value byte to a source byte it can have come from. And where the
 * fast scanner (yaml_fast.c) reads the input, libyaml must read it too,
 * into the same tree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "load/yaml_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Visited nodes: the tree is a DAG, each node is checked once. */
struct seen {
	const struct cg_node **slot;
	size_t size, n;
};

static bool seen_add(struct seen *s, const struct cg_node *node)
{
	size_t i;

	if ((s->n + 1) * 2 > s->size) {
		struct seen bigger = {NULL, s->size ? s->size * 2 : 64, 0};

		bigger.slot = cg_xcalloc(bigger.size, sizeof(*bigger.slot));
		for (size_t k = 0; k < s->size; k++)
			if (s->slot[k])
				seen_add(&bigger, s->slot[k]);
		free(s->slot);
		*s = bigger;
	}
	i = ((uintptr_t)node >> 4) & (s->size - 1);
	for (; s->slot[i]; i = (i + 1) & (s->size - 1))
		if (s->slot[i] == node)
			return false;
	s->slot[i] = node;
	s->n++;
	return true;
}

/*
 * Where a value byte may come from: the same byte; in double quotes an
 * escape's backslash; for a space or newline, a line break it replaced.
 */
static bool plausible(const struct cg_node *n, char c, char from)
{
	unsigned char f = (unsigned char)from;

	if (c == from)
		return true;
	if (n->style == CG_STYLE_DOUBLE && from == '\\')
		return true;
	return (c == ' ' || c == '\n') && (f == '\n' || f == '\r' || f == 0xc2);
}

static void check_scalar(const struct cg_src *src, const struct cg_node *n)
{
	uint32_t *offs;

	if (cg_scalar_offsets(src, n, &offs) != 0)
		abort();
	for (size_t i = 0; i <= n->len; i++) {
		if (offs[i] < n->start || offs[i] > n->end)
			abort();
		if (i && offs[i] < offs[i - 1])
			abort();
		if (i < n->len && !plausible(n, n->str[i], src->text[offs[i]]))
			abort();
	}
	free(offs);
}

static void check_node(const struct cg_src *src, const struct cg_node *n)
{
	struct cg_pos p = cg_src_pos(src, n->start, n->end);

	if (n->start > n->end || n->end > src->len ||
	    memcmp(&p, &n->pos, sizeof(p)))
		abort();
	if (n->kind == CG_NODE_SCALAR)
		check_scalar(src, n);
}

static void check_tree(const struct cg_src *src, const struct cg_tree *t)
{
	struct seen seen = {NULL, 0, 0};
	const struct cg_node **stack = NULL;
	size_t nstack = 0, alloc = 0;

	for (size_t d = 0; d < t->ndocs; d++) {
		CG_GROW(stack, alloc, nstack + 1);
		stack[nstack++] = t->docs[d];
	}
	while (nstack) {
		const struct cg_node *n = stack[--nstack];

		if (!seen_add(&seen, n))
			continue;
		check_node(src, n);
		if (n->kind == CG_NODE_SCALAR)
			continue;
		CG_GROW(stack, alloc, nstack + 2 * n->n);
		for (size_t i = 0; i < n->n; i++) {
			if (n->kind == CG_NODE_SEQ) {
				stack[nstack++] = n->items[i];
			} else {
				stack[nstack++] = n->pairs[i].key;
				stack[nstack++] = n->pairs[i].value;
			}
		}
	}
	free(stack);
	free(seen.slot);
}

static void same_as_libyaml(const struct cg_src *src)
{
	struct cg_load_limits lim = CG_LOAD_LIMITS_DEFAULT;
	struct cg_tree fast, lib;
	char why[512];

	/* aliases compare node by node: keep the expansion small */
	lim.max_expanded_nodes = 10000;
	if (!cg_yaml_load_how(&fast, src, &lim, NULL, CG_YAML_FAST_ONLY)) {
		if (cg_yaml_load_how(&lib, src, &lim, NULL, CG_YAML_LIBYAML) ||
		    !cg_yaml_same_tree(&lib, &fast, why, sizeof(why)))
			abort();
		cg_tree_release(&lib);
	}
	cg_tree_release(&fast);
	cg_error_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cg_src src;
	struct cg_tree tree;

	/* discovery skips files that are not UTF-8; so do we */
	if (!cg_utf8_valid((const char *)data, size))
		return 0;
	cg_src_init_mem(&src, "fuzz.yml", (const char *)data, size);
	/* on error the documents finished before it are there to check */
	cg_yaml_load(&tree, &src, NULL);
	check_tree(&src, &tree);
	cg_tree_release(&tree);
	same_as_libyaml(&src);
	cg_src_release(&src);
	return 0;
}
