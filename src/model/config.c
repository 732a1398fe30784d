/*
 * .ciguard.yml: read with the YAML loader and validated against a fixed
 * schema. Every unknown key and every bad value is an error that names the
 * file, line, column and key, because a silently ignored setting is worse
 * than none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "core/banned.h"

void cg_config_init(struct cg_config *c)
{
	memset(c, 0, sizeof(*c));
}

void cg_strlist_add(struct cg_strlist *l, const char *s)
{
	CG_GROW(l->items, l->alloc, l->n + 1);
	l->items[l->n++] = cg_xstrdup(s);
}

void cg_strlist_release(struct cg_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

bool cg_strlist_has(const struct cg_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->items[i], s))
			return true;
	return false;
}

void cg_config_release(struct cg_config *c)
{
	free(c->path);
	for (size_t i = 0; i < c->nrules; i++)
		free(c->rules[i].id);
	free(c->rules);
	cg_strlist_release(&c->critical_commands);
	cg_strlist_release(&c->workers);
	for (size_t i = 0; i < c->nservices; i++) {
		free(c->services[i].kind);
		cg_strlist_release(&c->services[i].vars);
	}
	free(c->services);
	cg_strlist_release(&c->env_required);
	cg_strlist_release(&c->env_ignore);
	cg_strlist_release(&c->paths_ignore);
	cg_config_init(c);
}

static int bad(const char *path, const struct cg_node *n, const char *fmt,
	       const char *what)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, what);
	return cg_error_set(CG_EINVAL, "%s:%u:%u: %s", path, n->pos.line,
			    n->pos.col, msg);
}

static int want_kind(const char *path, const struct cg_node *n,
		     enum cg_node_kind kind, const char *key)
{
	static const char *const names[] = {"a string", "a list", "a mapping"};

	if (n->kind == kind)
		return 0;
	{
		char msg[256];

		snprintf(msg, sizeof(msg), "'%s' must be %s", key, names[kind]);
		return cg_error_set(CG_EINVAL, "%s:%u:%u: %s", path,
				    n->pos.line, n->pos.col, msg);
	}
}

static int string_list(const char *path, const struct cg_node *n,
		       const char *key, struct cg_strlist *out)
{
	int err;

	if ((err = want_kind(path, n, CG_NODE_SEQ, key)) < 0)
		return err;
	for (size_t i = 0; i < n->n; i++) {
		const struct cg_node *item = n->items[i];
		char what[128];

		snprintf(what, sizeof(what), "%s[]", key);
		if ((err = want_kind(path, item, CG_NODE_SCALAR, what)) < 0)
			return err;
		if (!item->len)
			return bad(path, item, "empty string in '%s'", key);
		cg_strlist_add(out, item->str);
	}
	return 0;
}

static int parse_severity(const char *s, enum cg_severity *out)
{
	static const struct {
		const char *name;
		enum cg_severity sev;
	} names[] = {{"off", CG_SEV_OFF},
		     {"note", CG_SEV_NOTE},
		     {"warning", CG_SEV_WARNING},
		     {"error", CG_SEV_ERROR}};

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (!strcmp(s, names[i].name)) {
			*out = names[i].sev;
			return 0;
		}
	return -1;
}

static int parse_rules(struct cg_config *c, const char *path,
		       const struct cg_node *n)
{
	int err;

	if ((err = want_kind(path, n, CG_NODE_MAP, "rules")) < 0)
		return err;
	c->rules = cg_xcalloc(n->n ? n->n : 1, sizeof(*c->rules));
	for (size_t i = 0; i < n->n; i++) {
		const struct cg_pair *p = &n->pairs[i];
		struct cg_config_rule *r;
		enum cg_severity sev;

		if ((err = want_kind(path, p->key, CG_NODE_SCALAR,
				     "rules key")) < 0)
			return err;
		/* YAML reads a bare `off` as a string here (1.2 core), but
		 * some users quote it; both are fine */
		if (!cg_node_is_scalar(p->value) ||
		    parse_severity(p->value->str, &sev) < 0)
			return bad(path, p->value,
				   "rule '%s' must be off, note, warning or "
				   "error",
				   p->key->str);
		r = &c->rules[c->nrules++];
		r->id = cg_xstrdup(p->key->str);
		r->severity = sev;
		r->pos = p->key->pos;
	}
	return 0;
}

static int parse_services(struct cg_config *c, const char *path,
			  const struct cg_node *n)
{
	int err;

	if ((err = want_kind(path, n, CG_NODE_MAP, "services")) < 0)
		return err;
	c->services = cg_xcalloc(n->n ? n->n : 1, sizeof(*c->services));
	for (size_t i = 0; i < n->n; i++) {
		const struct cg_pair *p = &n->pairs[i];
		struct cg_config_service *s;

		if ((err = want_kind(path, p->key, CG_NODE_SCALAR,
				     "services key")) < 0)
			return err;
		s = &c->services[c->nservices++];
		s->kind = cg_xstrdup(p->key->str);
		if ((err = string_list(path, p->value, p->key->str, &s->vars)) <
		    0)
			return err;
	}
	return 0;
}

static int parse_env(struct cg_config *c, const char *path,
		     const struct cg_node *n)
{
	int err;

	if ((err = want_kind(path, n, CG_NODE_MAP, "env")) < 0)
		return err;
	for (size_t i = 0; i < n->n; i++) {
		const struct cg_pair *p = &n->pairs[i];

		if (cg_scalar_eq(p->key, "required"))
			err = string_list(path, p->value, "env.required",
					  &c->env_required);
		else if (cg_scalar_eq(p->key, "ignore"))
			err = string_list(path, p->value, "env.ignore",
					  &c->env_ignore);
		else
			err =
			    bad(path, p->key,
				"unknown key '%s' in 'env' (expected "
				"required, ignore)",
				cg_node_is_scalar(p->key) ? p->key->str : "?");
		if (err < 0)
			return err;
	}
	return 0;
}

static int parse_paths(struct cg_config *c, const char *path,
		       const struct cg_node *n)
{
	int err;

	if ((err = want_kind(path, n, CG_NODE_MAP, "paths")) < 0)
		return err;
	for (size_t i = 0; i < n->n; i++) {
		const struct cg_pair *p = &n->pairs[i];

		if (cg_scalar_eq(p->key, "ignore"))
			err = string_list(path, p->value, "paths.ignore",
					  &c->paths_ignore);
		else
			err =
			    bad(path, p->key,
				"unknown key '%s' in 'paths' (expected "
				"ignore)",
				cg_node_is_scalar(p->key) ? p->key->str : "?");
		if (err < 0)
			return err;
	}
	return 0;
}

static int parse_root(struct cg_config *c, const char *path,
		      const struct cg_node *root)
{
	bool have_version = false;
	int err = 0;

	if (root->kind != CG_NODE_MAP)
		return bad(path, root, "%s",
			   "the configuration must be a "
			   "mapping (see 'ciguard help "
			   "config')");
	for (size_t i = 0; i < root->n && !err; i++) {
		const struct cg_pair *p = &root->pairs[i];
		const char *key = cg_node_is_scalar(p->key) ? p->key->str : "?";

		if (!strcmp(key, "version")) {
			have_version = true;
			if (!cg_scalar_eq(p->value, "1"))
				err = bad(path, p->value, "%s",
					  "unsupported 'version' (this "
					  "ciguard reads version: 1)");
		} else if (!strcmp(key, "rules")) {
			err = parse_rules(c, path, p->value);
		} else if (!strcmp(key, "critical_commands")) {
			err = string_list(path, p->value, key,
					  &c->critical_commands);
		} else if (!strcmp(key, "workers")) {
			err = string_list(path, p->value, key, &c->workers);
		} else if (!strcmp(key, "services")) {
			err = parse_services(c, path, p->value);
		} else if (!strcmp(key, "env")) {
			err = parse_env(c, path, p->value);
		} else if (!strcmp(key, "paths")) {
			err = parse_paths(c, path, p->value);
		} else {
			err = bad(path, p->key,
				  "unknown key '%s' (expected version, rules, "
				  "critical_commands, workers, services, env, "
				  "paths)",
				  key);
		}
	}
	if (!err && !have_version)
		err = bad(path, root, "%s",
			  "missing 'version: 1' at the top level");
	return err;
}

int cg_config_load(struct cg_config *c, const char *file, const char *display)
{
	struct cg_src src;
	struct cg_tree tree;
	struct cg_load_limits lim = CG_LOAD_LIMITS_DEFAULT;
	int err;

	memset(&tree, 0, sizeof(tree));
	/* cg_src_load joins root + "/" + path */
	if ((err = cg_src_load(&src, file[0] == '/' ? "" : ".", file,
			       1024 * 1024, CG_SRC_TEXT)) < 0)
		return err;
	free(src.path);
	src.path = cg_xstrdup(display);
	if ((err = cg_yaml_load(&tree, &src, &lim)) < 0)
		goto out;
	c->path = cg_xstrdup(display);
	if (tree.ndocs == 0 || !tree.docs[0])
		goto out; /* an empty file configures nothing */
	if (tree.ndocs > 1) {
		err = cg_error_set(CG_EINVAL, "%s: more than one YAML document",
				   display);
		goto out;
	}
	err = parse_root(c, display, tree.docs[0]);
out:
	cg_tree_release(&tree);
	cg_src_release(&src);
	return err;
}
