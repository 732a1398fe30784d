/*
 * docker-compose files -> facts.
 *
 * Which files: compose takes any name with `-f`, so a YAML file is a
 * compose file when `compose` is one of the words of its name (words split
 * at '.', '-' and '_': `compose.yaml`, `docker-compose.test.yml`,
 * `compose.ci.yaml`, `portainer-compose.yml`, not `composer.yml`) and its
 * content is one compose accepts: a mapping whose keys are compose's
 * top-level elements (services, networks, volumes, configs, secrets,
 * include, models, version, name) or `x-` extensions, with `services:` a
 * mapping of mappings. Anything else is a note, never an error.
 *
 * What a file gives:
 *   - a FILE scope (place COMPOSE, environment LOCAL), and one
 *     COMPOSE_SERVICE scope per service under it, holding the service's
 *     `environment:` (map or list form) as DEF rows and importing its
 *     `env_file:`s in list order (a later file wins, as in compose;
 *     `environment:` wins over all of them, as own definitions do);
 *     `- KEY` and `KEY:` with no value pass the host's KEY through: a DEF
 *     with no value, CG_VALUE_VARIABLE, ref KEY;
 *   - every `${VAR}` / `$VAR` interpolation in any value of the file
 *     (`x-` fields and anchors included, each node once however many
 *     aliases reach it) as a USE row in the FILE scope, the position the
 *     name's; `$$` is a literal `$`;
 *   - a service row per service (kind from the image, APP for a `build:`
 *     of an image of no known kind), with its ports, host names and health
 *     check; a process row per service with a `command:`/`entrypoint:`;
 *   - file references: `env_file:` paths and relative bind-mount sources;
 *   - for a service with `build:`, the Dockerfile stage it is built from
 *     as the underlay of its scope (its ENV, which everything else in
 *     the service overrides), and, without `command:`/`entrypoint:`, a
 *     process row for what the stage runs (its CMD, at the Dockerfile).
 * Relative paths are taken from the compose file's own folder (compose
 * takes them from the first `-f` file's folder, which is the same for the
 * usual file and its overrides next to it).
 */
#include <stdlib.h>
#include <string.h>

#include "model/model_int.h"
#include "model/loader.h"
#include "core/banned.h"

struct compose {
	struct cg_model *m;
	const struct cg_src *src;
	char *dir;    /* the file's folder, "" at the root */
	size_t scope; /* the FILE scope */
	/* the project's `.env` beside the file, which compose
	 * interpolates from where the shell sets nothing; NULL: none */
	const struct cg_dotenv *dotenv;
};

/* ---------------------------------------------------------- names */

static bool is_compose_name(const char *path)
{
	const char *base = cg_path_base(path);
	size_t n = strlen(base), stem;

	if (cg_is_workflow_path(path))
		return false;
	if (cg_ends_with(base, ".yml"))
		stem = n - 4;
	else if (cg_ends_with(base, ".yaml"))
		stem = n - 5;
	else
		return false;
	for (size_t i = 0; i < stem;) {
		size_t j = i;

		while (j < stem && !strchr(".-_", base[j]))
			j++;
		if (j - i == 7 && !memcmp(base + i, "compose", 7))
			return true;
		i = j + 1;
	}
	return false;
}

static bool is_null(const struct cg_node *n)
{
	return !n ||
	       (n->kind == CG_NODE_SCALAR && n->style == CG_STYLE_PLAIN &&
		(!n->len || cg_scalar_eq(n, "~") || cg_scalar_eq(n, "null") ||
		 cg_scalar_eq(n, "Null") || cg_scalar_eq(n, "NULL")));
}

/* Is `root` a compose document? When not, *why says what is wrong. */
static bool is_compose_doc(const struct cg_node *root, char **why)
{
	static const char *const top[] = {
	    "services", "networks", "volumes", "configs", "secrets",
	    "include",	"models",   "version", "name",	  NULL};
	const struct cg_node *services;

	if (is_null(root)) {
		*why = cg_xstrdup("it is empty");
		return false;
	}
	if (root->kind != CG_NODE_MAP) {
		*why = cg_xstrdup("it is not a mapping");
		return false;
	}
	for (size_t i = 0; i < root->n; i++) {
		const struct cg_node *k = root->pairs[i].key;
		size_t t;

		if (!cg_node_is_scalar(k)) {
			*why = cg_xstrdup("it has a key that is not a string");
			return false;
		}
		if (cg_starts_with(k->str, "x-"))
			continue;
		for (t = 0; top[t] && strcmp(top[t], k->str); t++)
			;
		if (!top[t]) {
			*why =
			    cg_xasprintf("'%.40s' is not a compose top-level "
					 "key",
					 k->str);
			return false;
		}
	}
	services = cg_map_get(root, "services");
	if (is_null(services))
		return true;
	if (services->kind != CG_NODE_MAP) {
		*why = cg_xstrdup("its services: is not a mapping");
		return false;
	}
	for (size_t i = 0; i < services->n; i++) {
		const struct cg_node *v = services->pairs[i].value;

		if (!is_null(v) && v->kind != CG_NODE_MAP) {
			*why = cg_xstrdup("a service is not a mapping");
			return false;
		}
	}
	return true;
}

/*
 * `rel` (a compose path) from folder `dir`, relative to the repository
 * root and normalised; NULL for an absolute or home path, one with an
 * interpolation, or one that leaves the root or is the root itself.
 * Caller frees.
 */
static char *repo_path(const char *dir, const char *rel)
{
	if (rel[0] == '~' || strchr(rel, '$') || strchr(rel, '\\'))
		return NULL;
	return cg_model_path(dir, rel);
}

/* ------------------------------------------------- scalar positions */

/* Where the bytes of one scalar's value are in the file, mapped once. */
struct scalar_map {
	const struct cg_node *n;
	uint32_t *offs;
	bool tried;
};

/* The file position of bytes [a, b) of sm->n->str (the scalar's own
 * position when it cannot be mapped). */
static struct cg_pos span_pos(const struct compose *c, struct scalar_map *sm,
			      size_t a, size_t b)
{
	if (!sm->tried) {
		sm->tried = true;
		if (cg_scalar_offsets(c->src, sm->n, &sm->offs) < 0)
			sm->offs = NULL;
	}
	if (!sm->offs || a >= b || b > sm->n->len)
		return sm->n->pos;
	return cg_src_pos(c->src, sm->offs[a], sm->offs[b - 1] + 1);
}

/* ---------------------------------------------------- interpolation */

static bool name_start(char c)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

static void add_use(const struct compose *c, struct scalar_map *sm, size_t a,
		    size_t b, bool required, bool has_default)
{
	struct cg_env_fact e = {0};
	char *name = cg_xstrndup(sm->n->str + a, b - a);

	e.name = name;
	e.role = CG_ENV_USE;
	e.place = CG_PLACE_COMPOSE;
	e.scope = c->scope;
	e.src = c->src;
	e.pos = span_pos(c, sm, a, b);
	e.value_kind = CG_VALUE_NONE;
	e.required = required;
	e.has_default = has_default;
	cg_fact_env(c->m, &e);
	free(name);
}

/* The `}` that closes the `${` at s[i], found by counting `${` openers
 * as compose does; b when there is none before b */
static size_t brace_close(const char *s, size_t i, size_t b)
{
	int open = 0;

	for (; i < b; i++) {
		if (s[i] == '}' && --open == 0)
			return i;
		if (s[i] == '$' && i + 1 < b && s[i + 1] == '{') {
			open++;
			i++;
		}
	}
	return b;
}

/*
 * The interpolations in bytes [a, b) of a scalar, as compose reads them
 * (compose-go's template): `$$` is a `$`; `$NAME`; `${NAME}`;
 * `${NAME<op>word}` with op one of `-` `:-` (a default), `+` `:+` (a
 * replacement: nothing is missing when NAME is unset either), `?` `:?`
 * (an error when unset: required); `=` `:=` are read as defaults too, as
 * a shell would. The word may hold interpolations itself. The `}` that
 * closes is found by counting `${` openers, as compose does. Text that
 * is not one of these (compose rejects it) is passed over.
 */
static void scan(const struct compose *c, struct scalar_map *sm, size_t a,
		 size_t b, unsigned depth)
{
	const char *s = sm->n->str;
	size_t i = a;

	while (i < b) {
		size_t name, q, close;
		char op;

		if (s[i] != '$' || i + 1 >= b) {
			i++;
			continue;
		}
		if (s[i + 1] == '$') {
			i += 2;
			continue;
		}
		if (s[i + 1] != '{') {
			for (q = i + 1; q < b && name_char(s[q]); q++)
				;
			if (q > i + 1 && name_start(s[i + 1]))
				add_use(c, sm, i + 1, q, false, false);
			i = q > i + 1 ? q : i + 1;
			continue;
		}
		name = i + 2;
		for (q = name; q < b && name_char(s[q]); q++)
			;
		close = brace_close(s, i, b);
		if (close >= b || q == name || !name_start(s[name])) {
			i += 2; /* unclosed or no name: compose rejects it */
			continue;
		}
		op = s[q] == ':' ? s[q + 1] : s[q];
		if (q == close) {
			add_use(c, sm, name, q, false, false);
		} else if (strchr("-=+?", op) && op) {
			size_t word = q + (s[q] == ':') + 1;

			add_use(c, sm, name, q, op == '?', op != '?');
			if (depth < 8)
				scan(c, sm, word, close, depth + 1);
		}
		i = close + 1;
	}
}

/* A set of node pointers: each node of the DAG (aliases share nodes) is
 * scanned once. Open addressing, grown at half full. */
struct node_set {
	const struct cg_node **slots;
	size_t cap, n;
};

static size_t slot_of(const struct node_set *set, const struct cg_node *n)
{
	size_t h = (size_t)((uintptr_t)n >> 4) * 0x9e3779b97f4a7c15ULL;
	size_t i = h & (set->cap - 1);

	while (set->slots[i] && set->slots[i] != n)
		i = (i + 1) & (set->cap - 1);
	return i;
}

/* Add `n`; false when it was there already. */
static bool set_add(struct node_set *set, const struct cg_node *n)
{
	size_t i;

	if (2 * (set->n + 1) > set->cap) {
		struct node_set big = {0};

		big.cap = set->cap ? set->cap * 2 : 256;
		big.slots = cg_xcalloc(big.cap, sizeof(*big.slots));
		for (size_t k = 0; k < set->cap; k++)
			if (set->slots[k])
				big.slots[slot_of(&big, set->slots[k])] =
				    set->slots[k];
		big.n = set->n;
		free(set->slots);
		*set = big;
	}
	i = slot_of(set, n);
	if (set->slots[i])
		return false;
	set->slots[i] = n;
	set->n++;
	return true;
}

/* Every value scalar under `n` (keys are not interpolated). */
static void walk_uses(const struct compose *c, struct node_set *seen,
		      const struct cg_node *n, unsigned depth)
{
	if (!n || depth > 256 || !set_add(seen, n))
		return;
	if (n->kind == CG_NODE_SCALAR) {
		if (memchr(n->str, '$', n->len)) {
			struct scalar_map sm = {n, NULL, false};

			scan(c, &sm, 0, n->len, 0);
			free(sm.offs);
		}
	} else if (n->kind == CG_NODE_SEQ) {
		for (size_t i = 0; i < n->n; i++)
			walk_uses(c, seen, n->items[i], depth + 1);
	} else {
		for (size_t i = 0; i < n->n; i++)
			walk_uses(c, seen, n->pairs[i].value, depth + 1);
	}
}

/* ------------------------------------------------------ environment */

static void add_def(const struct compose *c, size_t scope, const char *name,
		    struct cg_pos pos, const char *value,
		    const struct cg_pos *value_pos)
{
	struct cg_env_fact e = {0};

	e.name = name;
	e.role = CG_ENV_DEF;
	e.place = CG_PLACE_COMPOSE;
	e.scope = scope;
	e.src = c->src;
	e.pos = pos;
	if (value) {
		e.value = value;
		e.value_pos = *value_pos;
		e.value_has_pos = true;
		e.value_kind = cg_value_classify(c->m, value, &e.ref);
	} else {
		/* `- KEY` / `KEY:`: the host's (or .env's) KEY, if set */
		e.value_kind = CG_VALUE_VARIABLE;
		e.ref = name;
	}
	cg_fact_env(c->m, &e);
}

static void environment(const struct compose *c, const struct cg_node *env,
			size_t scope)
{
	if (!env)
		return;
	if (env->kind == CG_NODE_MAP) {
		for (size_t i = 0; i < env->n; i++) {
			const struct cg_node *k = env->pairs[i].key;
			const struct cg_node *v = env->pairs[i].value;

			if (!cg_node_is_scalar(k) || !k->len)
				continue;
			if (is_null(v))
				add_def(c, scope, k->str, k->pos, NULL, NULL);
			else if (cg_node_is_scalar(v))
				add_def(c, scope, k->str, k->pos, v->str,
					&v->pos);
		}
		return;
	}
	if (env->kind != CG_NODE_SEQ)
		return;
	for (size_t i = 0; i < env->n; i++) {
		const struct cg_node *it = env->items[i];
		struct scalar_map sm = {it, NULL, false};
		const char *eq;
		char *name;

		if (!cg_node_is_scalar(it) || !it->len || it->str[0] == '=')
			continue;
		eq = memchr(it->str, '=', it->len);
		name =
		    cg_xstrndup(it->str, eq ? (size_t)(eq - it->str) : it->len);
		if (eq) {
			size_t v = (size_t)(eq - it->str) + 1;
			struct cg_pos vp;

			if (v < it->len) {
				vp = span_pos(c, &sm, v, it->len);
			} else {
				/* empty: just after the '=' */
				vp = span_pos(c, &sm, v - 1, v);
				vp.line = vp.end_line;
				vp.col = vp.end_col;
			}
			add_def(c, scope, name,
				span_pos(c, &sm, 0, (size_t)(eq - it->str)),
				eq + 1, &vp);
		} else {
			add_def(c, scope, name, span_pos(c, &sm, 0, it->len),
				NULL, NULL);
		}
		free(name);
		free(sm.offs);
	}
}

/* env_file: a path, a list of paths, or a list of {path, required}. */
static void one_env_file(const struct compose *c, const struct cg_node *it,
			 size_t scope)
{
	const struct cg_node *path = it;
	struct cg_file_ref ref = {0};
	struct cg_file *f;
	char *rel;

	ref.required = true;
	if (it->kind == CG_NODE_MAP) {
		path = cg_map_get(it, "path");
		if (cg_scalar_bool(cg_map_get(it, "required")) == 0)
			ref.required = false;
	}
	if (!cg_node_is_scalar(path) || !(rel = repo_path(c->dir, path->str)))
		return;
	ref.kind = CG_REF_ENV_FILE;
	ref.group = ref.item = CG_NO_GROUP;
	ref.path = rel;
	ref.src = c->src;
	ref.pos = path->pos;
	cg_fact_file_ref(c->m, &ref);
	f = cg_model_read_file(c->m, rel, &cg_loader_dotenv);
	if (f && f->format == CG_FILE_DOTENV && f->scope != CG_NO_SCOPE)
		cg_fact_scope_import(c->m, scope, f->scope);
	free(rel);
}

static void env_files(const struct compose *c, const struct cg_node *n,
		      size_t scope)
{
	if (!n || is_null(n))
		return;
	if (n->kind != CG_NODE_SEQ) {
		one_env_file(c, n, scope);
		return;
	}
	for (size_t i = 0; i < n->n; i++)
		one_env_file(c, n->items[i], scope);
}

/* --------------------------------------------------------- commands */

struct words {
	char **v;
	size_t n, alloc;
};

static void words_add(struct words *w, struct cg_buf *b)
{
	CG_GROW(w->v, w->alloc, w->n + 1);
	w->v[w->n++] = cg_buf_detach(b, NULL);
}

static void words_release(struct words *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
}

/*
 * A string command split as compose splits it (shell words, nothing
 * expanded): blanks separate words; '...' is literal; "..." keeps its
 * text with `\"`, `\\`, `\$` and `` \` `` unescaped; a backslash outside
 * quotes takes the next byte as it is.
 */
static void split_words(struct words *w, const char *s)
{
	struct cg_buf b = CG_BUF_INIT;
	bool in_word = false;

	while (*s) {
		char ch = *s;

		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
			if (in_word)
				words_add(w, &b);
			in_word = false;
			s++;
			continue;
		}
		in_word = true;
		if (ch == '\'') {
			const char *end = strchr(s + 1, '\'');

			if (!end)
				end = s + strlen(s);
			cg_buf_add(&b, s + 1, (size_t)(end - s - 1));
			s = *end ? end + 1 : end;
		} else if (ch == '"') {
			for (s++; *s && *s != '"'; s++) {
				if (*s == '\\' && s[1] &&
				    strchr("\"\\$`", s[1]))
					s++;
				cg_buf_addch(&b, *s);
			}
			if (*s)
				s++;
		} else if (ch == '\\' && s[1]) {
			cg_buf_addch(&b, s[1]);
			s += 2;
		} else {
			cg_buf_addch(&b, ch);
			s++;
		}
	}
	if (in_word)
		words_add(w, &b);
	cg_buf_release(&b);
}

/* `node` (a string or a list) appended to the argv and the one-line
 * command; list items holding blanks are shown single-quoted. */
static void add_command(struct words *w, struct cg_buf *line,
			const struct cg_node *node)
{
	if (!node)
		return;
	if (cg_node_is_scalar(node) && !is_null(node)) {
		size_t before = w->n;

		split_words(w, node->str);
		if (w->n == before)
			return;
		if (line->len)
			cg_buf_addch(line, ' ');
		for (size_t i = 0; i < node->len; i++) {
			char ch = node->str[i];

			cg_buf_addch(
			    line,
			    ch == '\n' || ch == '\r' || ch == '\t' ? ' ' : ch);
		}
		while (line->len && line->buf[line->len - 1] == ' ')
			line->buf[--line->len] = '\0';
		return;
	}
	if (node->kind != CG_NODE_SEQ)
		return;
	for (size_t i = 0; i < node->n; i++) {
		const struct cg_node *it = node->items[i];
		struct cg_buf b = CG_BUF_INIT;

		if (!cg_node_is_scalar(it))
			continue;
		cg_buf_add(&b, it->str, it->len);
		words_add(w, &b);
		if (line->len)
			cg_buf_addch(line, ' ');
		if (!it->len || strpbrk(it->str, " \t\n'\"$"))
			cg_buf_addf(line, "'%s'", it->str);
		else
			cg_buf_addstr(line, it->str);
	}
}

static void process(const struct compose *c, const struct cg_node *svc,
		    size_t scope)
{
	const struct cg_node *ep = cg_map_get(svc, "entrypoint");
	const struct cg_node *cmd = cg_map_get(svc, "command");
	struct cg_process_fact p = {0};
	struct words w = {0};
	struct cg_buf line = CG_BUF_INIT;

	add_command(&w, &line, ep);
	add_command(&w, &line, cmd);
	if (w.n) {
		p.origin = CG_PROCESS_COMPOSE;
		p.command = line.buf;
		p.argv = (const char **)w.v;
		p.argc = w.n;
		p.scope = scope;
		p.src = c->src;
		p.pos = (cmd && !is_null(cmd) ? cmd : ep)->pos;
		p.group = p.item = CG_NO_INDEX;
		cg_fact_process_started(c->m, &p);
	}
	words_release(&w);
	cg_buf_release(&line);
}

/* The project's `.env` in the compose file's folder (compose's project
 * folder is the first file's: one file is taken as its own project):
 * the committed one, else the example a developer copies to it. */
static const struct cg_dotenv *project_env(const struct compose *c)
{
	static const char *const names[] = {".env", ".env.example",
					    ".env.sample", ".env.template",
					    ".env.dist"};

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		char *rel = c->dir[0] ? cg_xasprintf("%s/%s", c->dir, names[i])
				      : cg_xstrdup(names[i]);
		struct cg_file *f = cg_model_read_file(
		    c->m, rel, i ? &cg_loader_env_example : &cg_loader_dotenv);

		free(rel);
		if (f && f->format == CG_FILE_DOTENV)
			return &f->dotenv;
	}
	return NULL;
}

static const char *dotenv_value(const struct cg_dotenv *d, const char *name,
				size_t n)
{
	const char *v = NULL;

	/* the last definition wins */
	for (size_t i = 0; d && i < d->n; i++)
		if (strlen(d->entries[i].key) == n &&
		    !memcmp(d->entries[i].key, name, n))
			v = d->entries[i].value;
	return v;
}

/*
 * `s` with its interpolations replaced as compose would with the shell
 * setting nothing: `${NAME}` / `$NAME` from the project's .env,
 * `${NAME:-word}` / `${NAME-word}` from it or else the word (`:-` also
 * when it is empty), `$$` a `$`. NULL when a value stays unknown (no
 * .env entry and no default, or another operator). Caller frees.
 */
static char *interpolate(const struct compose *c, const char *s, unsigned depth)
{
	struct cg_buf out = CG_BUF_INIT;

	for (size_t i = 0; s[i];) {
		size_t name, q, close;
		const char *v;

		if (s[i] != '$') {
			cg_buf_addch(&out, s[i++]);
			continue;
		}
		if (s[i + 1] == '$') {
			cg_buf_addch(&out, '$');
			i += 2;
			continue;
		}
		if (s[i + 1] != '{') {
			for (q = i + 1; name_char(s[q]); q++)
				;
			if (q == i + 1 || !name_start(s[i + 1]) ||
			    !(v = dotenv_value(c->dotenv, s + i + 1,
					       q - i - 1)))
				goto unknown;
			cg_buf_addstr(&out, v);
			i = q;
			continue;
		}
		name = i + 2;
		for (q = name; name_char(s[q]); q++)
			;
		close = brace_close(s, i, strlen(s));
		if (!s[close] || q == name || !name_start(s[name]))
			goto unknown;
		v = dotenv_value(c->dotenv, s + name, q - name);
		if (q < close) {
			bool colon = s[q] == ':';
			char *word, *w;

			if (s[q + colon] != '-' || depth >= 8)
				goto unknown;
			if (!v || (colon && !*v)) {
				word = cg_xstrndup(s + q + colon + 1,
						   close - (q + colon + 1));
				w = interpolate(c, word, depth + 1);
				free(word);
				if (!w)
					goto unknown;
				cg_buf_addstr(&out, w);
				free(w);
				i = close + 1;
				continue;
			}
		}
		if (!v)
			goto unknown;
		cg_buf_addstr(&out, v);
		i = close + 1;
	}
	return cg_buf_detach(&out, NULL);
unknown:
	cg_buf_release(&out);
	return NULL;
}

/* ------------------------------------------------------------ ports */

/* Short syntax (cg_ports_short), a string or a number. Interpolated
 * first, as compose does (`${REDIS_PORT:-6379}:6379`). */
static void short_port(const struct compose *c, struct cg_ports *ps,
		       const struct cg_node *n)
{
	char *text = strchr(n->str, '$') ? interpolate(c, n->str, 0) : NULL;

	cg_ports_short(ps, text ? text : n->str, &n->pos);
	free(text);
}

/* Long syntax: {target, published, host_ip, protocol, mode}. */
static void long_port(const struct compose *c, struct cg_ports *ps,
		      const struct cg_node *n)
{
	const struct cg_node *t = cg_map_get(n, "target");
	const struct cg_node *p = cg_map_get(n, "published");
	unsigned clo, chi, hlo = 0, hhi = 0;
	char *pub = NULL;

	if (!cg_node_is_scalar(t))
		return;
	if (!cg_port_range(t->str, t->len, &clo, &chi)) {
		cg_ports_add(ps, 0, 0, &n->pos);
		return;
	}
	if (cg_node_is_scalar(p) && strchr(p->str, '$'))
		pub = interpolate(c, p->str, 0);
	if (cg_node_is_scalar(p) &&
	    !(pub ? cg_port_range(pub, strlen(pub), &hlo, &hhi)
		  : cg_port_range(p->str, p->len, &hlo, &hhi)))
		hlo = hhi = 0;
	free(pub);
	cg_ports_map(ps, clo, chi, hlo, hhi, &n->pos);
}

/* ---------------------------------------------------------- volumes */

/* A bind-mount source compose reads as a path relative to the file: one
 * that starts with '.' (compose-go's isFilePath; `/` and `~` are outside
 * the repository, anything else names a volume). */
static bool relative_source(const char *s, size_t n)
{
	return n && s[0] == '.';
}

/* WireMock's image reads its stubs from /home/wiremock (mappings/ and
 * __files/ under it): a bind mount there is a mappings folder. */
static bool wiremock_target(const char *t, size_t n)
{
	static const char root[] = "/home/wiremock";
	size_t rl = sizeof(root) - 1;

	while (n > 1 && t[n - 1] == '/')
		n--;
	return n >= rl && !memcmp(t, root, rl) && (n == rl || t[rl] == '/');
}

static void volume_ref(const struct compose *c, const char *source, size_t n,
		       const char *target, size_t tn, bool read_only,
		       struct cg_pos pos)
{
	struct cg_file_ref ref = {0};
	char *s = cg_xstrndup(source, n);
	char *rel = repo_path(c->dir, s);

	if (rel) {
		ref.kind = wiremock_target(target, tn) ? CG_REF_MAPPINGS
						       : CG_REF_VOLUME;
		ref.path = rel;
		ref.required = true;
		ref.read_only = read_only;
		ref.group = ref.item = CG_NO_GROUP;
		ref.src = c->src;
		ref.pos = pos;
		ref.target =
		    tn ? cg_arena_strndup(&c->m->arena, target, tn) : NULL;
		cg_fact_file_ref(c->m, &ref);
	}
	free(rel);
	free(s);
}

/* `ro` among the comma-separated options of a short volume's MODE. */
static bool mode_read_only(const char *mode, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t k = i;

		while (k < n && mode[k] != ',')
			k++;
		if (k - i == 2 && !memcmp(mode + i, "ro", 2))
			return true;
		i = k + 1;
	}
	return false;
}

static void volumes(const struct compose *c, const struct cg_node *vols)
{
	if (!vols || vols->kind != CG_NODE_SEQ)
		return;
	for (size_t i = 0; i < vols->n; i++) {
		const struct cg_node *v = vols->items[i];

		if (cg_node_is_scalar(v)) {
			/* SOURCE:TARGET[:MODE]; no ':' is an anonymous
			 * volume */
			const char *colon = memchr(v->str, ':', v->len);
			struct scalar_map sm = {v, NULL, false};
			size_t n = colon ? (size_t)(colon - v->str) : 0;

			if (colon && relative_source(v->str, n)) {
				const char *t = colon + 1;
				size_t rest = v->len - n - 1;
				const char *mode = memchr(t, ':', rest);
				size_t tn = mode ? (size_t)(mode - t) : rest;

				volume_ref(c, v->str, n, t, tn,
					   mode && mode_read_only(
						       mode + 1, rest - tn - 1),
					   span_pos(c, &sm, 0, n));
			}
			free(sm.offs);
		} else if (v->kind == CG_NODE_MAP) {
			const struct cg_node *type = cg_map_get(v, "type");
			const struct cg_node *src = cg_map_get(v, "source");
			const struct cg_node *tgt = cg_map_get(v, "target");

			if ((!type || cg_scalar_eq(type, "bind")) &&
			    cg_node_is_scalar(src) &&
			    relative_source(src->str, src->len))
				volume_ref(
				    c, src->str, src->len,
				    cg_node_is_scalar(tgt) ? tgt->str : "",
				    cg_node_is_scalar(tgt) ? tgt->len : 0,
				    cg_scalar_bool(
					cg_map_get(v, "read_only")) == 1,
				    src->pos);
		}
	}
}

/* --------------------------------------------------------- services */

static void add_host(const char ***hosts, size_t *n, size_t *alloc,
		     const struct cg_node *h)
{
	if (!cg_node_is_scalar(h) || !h->len || strchr(h->str, '$'))
		return;
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*hosts)[i], h->str))
			return;
	CG_GROW(*hosts, *alloc, *n + 1);
	(*hosts)[(*n)++] = h->str;
}

/* A `healthcheck:` that compose runs: not `disable: true`, not
 * `test: ["NONE"]`. */
static bool has_healthcheck(const struct cg_node *hc)
{
	const struct cg_node *test;

	if (!hc || hc->kind != CG_NODE_MAP)
		return false;
	if (cg_scalar_bool(cg_map_get(hc, "disable")) == 1)
		return false;
	test = cg_map_get(hc, "test");
	if (test && test->kind == CG_NODE_SEQ && test->n &&
	    cg_scalar_eq(test->items[0], "NONE"))
		return false;
	return true;
}

static void depends_on(const struct compose *c, const struct cg_node *d,
		       struct cg_service_fact *f)
{
	struct cg_service_dep *deps;
	size_t n = 0;

	if (!d || (d->kind != CG_NODE_SEQ && d->kind != CG_NODE_MAP) || !d->n)
		return;
	deps = cg_arena_alloc(&c->m->arena, d->n * sizeof(*deps));
	for (size_t i = 0; i < d->n; i++) {
		const struct cg_node *name =
		    d->kind == CG_NODE_SEQ ? d->items[i] : d->pairs[i].key;

		if (!cg_node_is_scalar(name))
			continue;
		deps[n].name = cg_arena_strdup(&c->m->arena, name->str);
		deps[n].pos = name->pos;
		deps[n].healthy =
		    d->kind == CG_NODE_MAP &&
		    cg_scalar_eq(cg_map_get(d->pairs[i].value, "condition"),
				 "service_healthy");
		n++;
	}
	f->depends_on = deps;
	f->ndepends_on = n;
}

/*
 * `build:` (a context path, or {context, dockerfile, target}): the service
 * runs the image built from that Dockerfile, whose ENV it starts with
 * (its own environment: and env_file: win). The Dockerfile is read here
 * if no loader has yet; a context that is a URL, a variable, or outside
 * the repository names nothing ciguard can read.
 */
static size_t image_build(const struct compose *c, const struct cg_node *build,
			  size_t scope)
{
	const struct cg_node *ctx = build, *file = NULL, *target = NULL;
	struct cg_file *df;
	char *joined, *rel;
	size_t stage;

	if (build->kind == CG_NODE_MAP) {
		ctx = cg_map_get(build, "context");
		file = cg_map_get(build, "dockerfile");
		target = cg_map_get(build, "target");
		/* the Dockerfile is written here: no file is read (compose-go
		 * defaults `dockerfile` only without dockerfile_inline) */
		if (!file && cg_map_get(build, "dockerfile_inline"))
			return CG_NO_SCOPE;
	}
	if (ctx && (!cg_node_is_scalar(ctx) || strstr(ctx->str, "://") ||
		    cg_starts_with(ctx->str, "git@")))
		return CG_NO_SCOPE;
	if (cg_node_is_scalar(file) && file->str[0] == '/')
		return CG_NO_SCOPE; /* outside the repository */
	/* the dockerfile is relative to the context */
	joined =
	    cg_xasprintf("%s/%s", ctx ? ctx->str : ".",
			 cg_node_is_scalar(file) ? file->str : "Dockerfile");
	rel = repo_path(c->dir, joined);
	free(joined);
	stage = CG_NO_SCOPE;
	if (rel) {
		struct cg_file_ref ref = {0};

		ref.kind = CG_REF_DOCKERFILE;
		ref.required = true;
		ref.group = ref.item = CG_NO_GROUP;
		ref.path = rel;
		ref.src = c->src;
		ref.pos = (cg_node_is_scalar(file) ? file
			   : ctx		   ? ctx
						   : build)
			      ->pos;
		cg_fact_file_ref(c->m, &ref);
	}
	if (rel &&
	    (df = cg_model_read_file(c->m, rel, &cg_loader_dockerfile))) {
		stage = cg_image_stage_scope(
		    c->m, df, cg_node_is_scalar(target) ? target->str : NULL);
		c->m->facts.scopes[scope].underlay = stage;
	}
	free(rel);
	return stage;
}

/* A service built from a stage that runs a command (CMD, ENTRYPOINT),
 * with neither `command:` nor `entrypoint:` of its own, runs that
 * command: a process row at the Dockerfile's CMD, in the service's env. */
static void image_process(const struct compose *c, const struct cg_node *svc,
			  size_t scope, size_t stage)
{
	const struct cg_image_command *ic = cg_image_command(c->m, stage);
	struct cg_process_fact p = {0};
	const struct cg_node *ep = cg_map_get(svc, "entrypoint");
	const struct cg_node *cmd = cg_map_get(svc, "command");

	if (!ic || (ep && !is_null(ep)) || (cmd && !is_null(cmd)))
		return;
	p.origin = CG_PROCESS_COMPOSE;
	p.command = ic->command;
	p.argv = ic->argv;
	p.argc = ic->argc;
	p.scope = scope;
	p.src = ic->src;
	p.pos = ic->pos;
	p.group = p.item = CG_NO_INDEX;
	cg_fact_process_started(c->m, &p);
}

static void service(const struct compose *c, const struct cg_pair *pair)
{
	const struct cg_node *svc = pair->value;
	const struct cg_node *image = cg_map_get(svc, "image");
	const struct cg_node *build = cg_map_get(svc, "build");
	const struct cg_node *ports = cg_map_get(svc, "ports");
	const struct cg_node *nets = cg_map_get(svc, "networks");
	struct cg_service_fact f = {0};
	struct cg_ports ps = {0};
	const char **hosts = NULL;
	size_t nhosts = 0, hosts_alloc = 0;
	size_t scope;

	scope = cg_fact_scope(c->m, CG_SCOPE_COMPOSE_SERVICE, c->scope,
			      pair->key->str, c->src, &pair->key->pos);
	if (cg_node_is_scalar(image) && !is_null(image))
		cg_fact_scope_image(c->m, scope, image->str);
	environment(c, cg_map_get(svc, "environment"), scope);
	env_files(c, cg_map_get(svc, "env_file"), scope);
	if (build && !is_null(build))
		image_process(c, svc, scope, image_build(c, build, scope));
	process(c, svc, scope);
	volumes(c, cg_map_get(svc, "volumes"));

	f.name = pair->key->str;
	f.image = cg_node_is_scalar(image) && !is_null(image) && image->len
		      ? image->str
		      : NULL;
	f.kind = cg_service_kind_of_image(f.image);
	if (f.kind == CG_SERVICE_OTHER && build && !is_null(build))
		f.kind = CG_SERVICE_APP;
	add_host(&hosts, &nhosts, &hosts_alloc, pair->key);
	add_host(&hosts, &nhosts, &hosts_alloc,
		 cg_map_get(svc, "container_name"));
	add_host(&hosts, &nhosts, &hosts_alloc, cg_map_get(svc, "hostname"));
	if (nets && nets->kind == CG_NODE_MAP)
		for (size_t i = 0; i < nets->n; i++) {
			const struct cg_node *al =
			    cg_map_get(nets->pairs[i].value, "aliases");

			for (size_t k = 0;
			     al && al->kind == CG_NODE_SEQ && k < al->n; k++)
				add_host(&hosts, &nhosts, &hosts_alloc,
					 al->items[k]);
		}
	f.hosts = hosts;
	f.nhosts = nhosts;
	f.environment = CG_ENVIRONMENT_LOCAL;
	f.place = CG_PLACE_COMPOSE;
	f.scope = c->scope;
	f.own_scope = scope;
	f.src = c->src;
	f.pos = pair->key->pos;
	if (ports && ports->kind == CG_NODE_SEQ)
		for (size_t i = 0; i < ports->n; i++) {
			const struct cg_node *p = ports->items[i];

			if (cg_node_is_scalar(p))
				short_port(c, &ps, p);
			else if (p->kind == CG_NODE_MAP)
				long_port(c, &ps, p);
		}
	f.ports = ps.v;
	f.nports = ps.n;
	f.healthcheck = has_healthcheck(cg_map_get(svc, "healthcheck"));
	depends_on(c, cg_map_get(svc, "depends_on"), &f);
	cg_fact_service(c->m, &f);
	free(ps.v);
	free(hosts);
}

/* ------------------------------------------------------------ build */

#define MAX_EXTENDS_FILES 16

/* The scope of compose service `name` of the file whose scope is `file`
 * (made after it: the file's build makes its services' scopes) */
static size_t service_scope(const struct cg_model *m, size_t file,
			    const char *name)
{
	for (size_t i = file + 1; i < m->facts.nscopes; i++) {
		const struct cg_scope *sc = &m->facts.scopes[i];

		if (sc->kind == CG_SCOPE_COMPOSE_SERVICE &&
		    sc->parent == file && sc->name && !strcmp(sc->name, name))
			return i;
	}
	return CG_NO_SCOPE;
}

/*
 * `extends: base` or `extends: {service: base, file: other.yml}`: compose
 * merges the base service's environment (and env_file) under the
 * service's own, key by key (compose-go loader/extends.go), so the base's
 * scope is imported beneath the service's.
 */
static void extends(const struct compose *c, const struct cg_pair *pair)
{
	const struct cg_node *ext = cg_map_get(pair->value, "extends");
	const struct cg_node *name = ext, *file = NULL;
	size_t self, base, from = c->scope;

	if (!ext || !cg_node_is_scalar(pair->key))
		return;
	if (ext->kind == CG_NODE_MAP) {
		name = cg_map_get(ext, "service");
		file = cg_map_get(ext, "file");
	}
	if (!cg_node_is_scalar(name) || !*name->str)
		return;
	if (cg_node_is_scalar(file) && *file->str) {
		/* reading it builds it, which may read the file it extends:
		 * a chain of files is followed this deep (compose itself
		 * rejects a cycle) */
		static _Thread_local unsigned depth;
		char *rel = repo_path(c->dir, file->str);
		struct cg_file *f = NULL;

		if (rel && depth >= MAX_EXTENDS_FILES)
			cg_model_note(c->m,
				      "%s:%u:%u: extends.file '%s': more than "
				      "%d files extend one another; not read",
				      c->src->path, file->pos.line,
				      file->pos.col, file->str,
				      MAX_EXTENDS_FILES);
		else if (rel) {
			depth++;
			f = cg_model_read_file(c->m, rel, &cg_loader_compose);
			depth--;
		}
		free(rel);
		if (!f || f->scope == CG_NO_SCOPE)
			return;
		from = f->scope;
	}
	self = service_scope(c->m, c->scope, pair->key->str);
	base = service_scope(c->m, from, name->str);
	if (self != CG_NO_SCOPE && base != CG_NO_SCOPE && self != base)
		cg_fact_scope_import(c->m, self, base);
}

/* Top-level `secrets:` and `configs:` whose `file:` is in the repository:
 * compose mounts it into the services, read-only. */
static void file_sources(const struct compose *c, const struct cg_node *top)
{
	if (!top || top->kind != CG_NODE_MAP)
		return;
	for (size_t i = 0; i < top->n; i++) {
		const struct cg_node *file =
		    cg_map_get(top->pairs[i].value, "file");

		if (cg_node_is_scalar(file))
			volume_ref(c, file->str, file->len, "", 0, true,
				   file->pos);
	}
}

static void build(struct cg_model *m, struct cg_file *f)
{
	const struct cg_node *root = f->tree.ndocs ? f->tree.docs[0] : NULL;
	const struct cg_node *services;
	struct cg_pos top = {1, 1, 1, 1};
	struct compose c = {0};
	struct node_set seen = {0};
	const char *slash = strrchr(f->src.path, '/');
	char *why = NULL;

	if (!is_compose_doc(root, &why)) {
		cg_model_note(m, "%s: not read as a compose file: %s",
			      f->src.path, why);
		free(why);
		return;
	}
	c.m = m;
	c.src = &f->src;
	c.dir = slash ? cg_xstrndup(f->src.path, (size_t)(slash - f->src.path))
		      : cg_xstrdup("");
	c.scope = cg_fact_scope(m, CG_SCOPE_FILE, CG_NO_SCOPE, f->src.path,
				&f->src, &top);
	m->facts.scopes[c.scope].place = CG_PLACE_COMPOSE;
	m->facts.scopes[c.scope].environment = CG_ENVIRONMENT_LOCAL;
	f->scope = c.scope;
	c.dotenv = project_env(&c);
	walk_uses(&c, &seen, root, 0);
	services = cg_map_get(root, "services");
	if (services && services->kind == CG_NODE_MAP)
		for (size_t i = 0; i < services->n; i++) {
			const struct cg_pair *p = &services->pairs[i];

			if (p->value->kind == CG_NODE_MAP &&
			    cg_node_is_scalar(p->key) &&
			    !cg_starts_with(p->key->str, "x-"))
				service(&c, p);
		}
	if (services && services->kind == CG_NODE_MAP)
		for (size_t i = 0; i < services->n; i++)
			extends(&c, &services->pairs[i]);
	file_sources(&c, cg_map_get(root, "secrets"));
	file_sources(&c, cg_map_get(root, "configs"));
	free(seen.slots);
	free(c.dir);
}

static const char *const patterns[] = {"**/*compose*.yml", "**/*compose*.yaml",
				       NULL};

/* A service's folder and name as one key: "dir/" NUL name. */
static char *dir_name_key(const struct cg_service_fact *s, size_t *len)
{
	return cg_strmap_key2(
	    s->src->path, (size_t)(cg_path_base(s->src->path) - s->src->path),
	    s->name, strlen(s->name), len);
}

/* Compose merges the same-named services of the compose files of one
 * folder (docker-compose.yml and its override): a service of no known
 * kind that names no image takes the kind of the first of them whose
 * kind is known (dir_kind). */
static void finish(struct cg_model *m)
{
	struct cg_facts *f = &m->facts;
	char **keys = cg_xcalloc(f->nservices + 1, sizeof(*keys));
	size_t *lens = cg_xcalloc(f->nservices + 1, sizeof(*lens));
	struct cg_strmap known;

	cg_strmap_init(&known, false);
	for (size_t i = 0; i < f->nservices; i++) {
		const struct cg_service_fact *s = &f->services[i];

		if (s->place != CG_PLACE_COMPOSE)
			continue;
		keys[i] = dir_name_key(s, &lens[i]);
		if (s->kind != CG_SERVICE_OTHER)
			cg_strmap_put(&known, keys[i], lens[i], i);
	}
	for (size_t i = 0; i < f->nservices; i++) {
		struct cg_service_fact *s = &f->services[i];
		size_t k;

		if (s->place != CG_PLACE_COMPOSE ||
		    s->kind != CG_SERVICE_OTHER || s->image)
			continue;
		k = cg_strmap_get(&known, keys[i], lens[i]);
		if (k != CG_NO_INDEX)
			s->dir_kind = f->services[k].kind;
	}
	cg_strmap_release(&known);
	for (size_t i = 0; i < f->nservices; i++)
		free(keys[i]);
	free(keys);
	free(lens);
}

const struct cg_loader cg_loader_compose = {
    .id = "compose",
    .patterns = patterns,
    .claims = is_compose_name,
    .format = CG_FILE_YAML,
    .layer = CG_LAYER_QUICK,
    .build = build,
    .finish = finish,
};
