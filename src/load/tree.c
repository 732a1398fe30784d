/* The tree shared by the YAML and JSON loaders: lookups and release. */
#include <stdlib.h>
#include <string.h>

#include "load/load.h"
#include "core/banned.h"

void cg_tree_release(struct cg_tree *t)
{
	cg_arena_release(&t->arena);
	free(t->docs);
	t->docs = NULL;
	t->ndocs = 0;
}

bool cg_node_is_scalar(const struct cg_node *n)
{
	return n && n->kind == CG_NODE_SCALAR;
}

bool cg_scalar_eq(const struct cg_node *n, const char *s)
{
	return cg_node_is_scalar(n) && n->len == strlen(s) &&
	       !memcmp(n->str, s, n->len);
}

const struct cg_pair *cg_map_get_pair(const struct cg_node *map,
				      const char *key)
{
	const struct cg_pair *found = NULL;
	size_t len;

	if (!map || map->kind != CG_NODE_MAP)
		return NULL;
	len = strlen(key);
	/* the last duplicate wins, as in most YAML consumers */
	for (size_t i = 0; i < map->n; i++) {
		const struct cg_node *k = map->pairs[i].key;

		if (k && k->kind == CG_NODE_SCALAR && k->len == len &&
		    (!len || k->str[0] == key[0]) && !memcmp(k->str, key, len))
			found = &map->pairs[i];
	}
	return found;
}

const struct cg_node *cg_map_get(const struct cg_node *map, const char *key)
{
	const struct cg_pair *p = cg_map_get_pair(map, key);

	return p ? p->value : NULL;
}

int cg_scalar_bool(const struct cg_node *n)
{
	static const char *const yes[] = {"true", "True", "TRUE"};
	static const char *const no[] = {"false", "False", "FALSE"};

	if (!cg_node_is_scalar(n) || n->style != CG_STYLE_PLAIN)
		return -1;
	for (size_t i = 0; i < 3; i++) {
		if (cg_scalar_eq(n, yes[i]))
			return 1;
		if (cg_scalar_eq(n, no[i]))
			return 0;
	}
	return -1;
}
