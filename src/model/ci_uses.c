/*
 * The variables a CI file reads itself: `$NAME`, `${NAME}` (and `${NAME:-x}`
 * and kin) in any value of the file, and `env.NAME` / `env['NAME']` inside
 * GitHub `${{ }}` expressions. Each becomes a USE row of place CI (once
 * per file and name, at the first value that reads it). A variable the
 * pipeline reads itself (an image name, a toggle in `rules:`) is the
 * pipeline's own setting, not only something it hands to the app: the env
 * checklist tells the two apart by these rows.
 */
#include <stdlib.h>
#include <string.h>

#include "model/model_int.h"
#include "core/banned.h"

#define MAX_DEPTH 64

struct uses {
	struct cg_model *m;
	const struct cg_src *src;
	size_t scope;
	bool github; /* GitHub: `if:` values are expressions */
	/* names seen in this file, sorted: each is one row */
	char **seen;
	size_t nseen, seen_alloc;
};

static bool name_start(char c)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

/* strcmp's order of `a` against the name [p, p + len). */
static int cmp_span(const char *a, const char *p, size_t len)
{
	int r = strncmp(a, p, len);

	if (r)
		return r;
	return a[len] != '\0';
}

static void add(struct uses *u, const struct cg_node *n, const char *p,
		size_t len)
{
	size_t lo = 0, hi = u->nseen;
	struct cg_env_fact e = {0};
	char *name;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = cmp_span(u->seen[mid], p, len);

		if (!r)
			return;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	name = cg_arena_strndup(&u->m->arena, p, len);
	CG_GROW(u->seen, u->seen_alloc, u->nseen + 1);
	memmove(u->seen + lo + 1, u->seen + lo,
		(u->nseen - lo) * sizeof(*u->seen));
	u->seen[lo] = name;
	u->nseen++;
	e.name = name;
	e.role = CG_ENV_USE;
	e.place = CG_PLACE_CI;
	e.scope = u->scope;
	e.src = u->src;
	e.pos = n->pos;
	e.value_kind = CG_VALUE_NONE;
	cg_fact_env(u->m, &e);
}

/* `env.NAME` or `env['NAME']` / `env["NAME"]` at s[i] inside `${{ }}`. */
static size_t expression_env(struct uses *u, const struct cg_node *n,
			     const char *s, size_t i, size_t end)
{
	size_t q;

	if (i + 4 > end || strncmp(s + i, "env", 3) ||
	    (i && (name_char(s[i - 1]) || s[i - 1] == '.')))
		return i + 1;
	i += 3;
	if (s[i] == '.') {
		for (q = i + 1; q < end && name_char(s[q]); q++)
			;
		if (q > i + 1 && name_start(s[i + 1]))
			add(u, n, s + i + 1, q - i - 1);
		return q;
	}
	if (s[i] == '[' && i + 2 < end &&
	    (s[i + 1] == '\'' || s[i + 1] == '"')) {
		char quote = s[i + 1];

		for (q = i + 2; q < end && name_char(s[q]); q++)
			;
		if (q > i + 2 && q < end && s[q] == quote &&
		    name_start(s[i + 2]))
			add(u, n, s + i + 2, q - i - 2);
		return q;
	}
	return i;
}

static void scan(struct uses *u, const struct cg_node *n)
{
	const char *s = n->str;
	size_t len = n->len, i = 0;

	if (!s || !memchr(s, '$', len))
		return;
	while (i < len) {
		const char *d = memchr(s + i, '$', len - i);
		size_t q;

		if (!d)
			break;
		i = (size_t)(d - s);
		if (i + 1 >= len) {
			break;
		} else if (s[i + 1] == '$') {
			i += 2;
		} else if (s[i + 1] == '{' && i + 2 < len && s[i + 2] == '{') {
			/* a GitHub expression: env.X inside it */
			const char *close = strstr(s + i + 3, "}}");
			size_t end = close ? (size_t)(close - s) : len;

			for (q = i + 3; q < end;)
				q = expression_env(u, n, s, q, end);
			i = end + 2;
		} else if (s[i + 1] == '{') {
			for (q = i + 2; q < len && name_char(s[q]); q++)
				;
			if (q > i + 2 && name_start(s[i + 2]))
				add(u, n, s + i + 2, q - i - 2);
			i = q;
		} else {
			for (q = i + 1; q < len && name_char(s[q]); q++)
				;
			if (q > i + 1 && name_start(s[i + 1]))
				add(u, n, s + i + 1, q - i - 1);
			i = q > i + 1 ? q : i + 1;
		}
	}
}

/* [s, s + n) holds `docker` or `podman`. */
static bool names_container_tool(const char *s, size_t n)
{
	for (size_t i = 0; i + 6 <= n; i++)
		if ((s[i] == 'd' && !memcmp(s + i, "docker", 6)) ||
		    (s[i] == 'p' && !memcmp(s + i, "podman", 6)))
			return true;
	return false;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * `docker run -e NAME` (also `--env NAME`, `--env=NAME`, `-eNAME`, and
 * podman's): NAME alone, with no `=VALUE`, passes the step's NAME into
 * the container. Read on the lines of a value that name docker or podman.
 */
static void passed_on(struct uses *u, const struct cg_node *n)
{
	const char *s = n->str, *end = s + n->len;
	/* the line before ended with `\` and its command named docker */
	bool carried = false;

	while (s < end) {
		const char *eol = memchr(s, '\n', (size_t)(end - s));
		const char *line_end = eol ? eol : end;
		const char *p = s;
		bool container =
		    carried || names_container_tool(s, (size_t)(line_end - s));

		carried = container && line_end > s && line_end[-1] == '\\';
		while (container && p < line_end) {
			const char *w = p, *name = NULL, *q;

			while (w < line_end && is_space(*w))
				w++;
			for (p = w; p < line_end && !is_space(*p); p++)
				;
			if (p - w == 2 && !memcmp(w, "-e", 2)) {
				while (p < line_end && is_space(*p))
					p++;
				name = p;
			} else if (p - w == 5 && !memcmp(w, "--env", 5)) {
				while (p < line_end && is_space(*p))
					p++;
				name = p;
			} else if (p - w > 6 && !memcmp(w, "--env=", 6)) {
				name = w + 6;
			} else if (p - w > 2 && !memcmp(w, "-e", 2) &&
				   name_start(w[2])) {
				name = w + 2;
			}
			if (!name || name >= line_end || !name_start(*name))
				continue;
			for (q = name; q < line_end && name_char(*q); q++)
				;
			if (q == line_end || is_space(*q))
				add(u, n, name, (size_t)(q - name));
			if (p < q)
				p = q;
		}
		s = line_end + 1;
	}
}

static void walk(struct uses *u, const struct cg_node *n, unsigned depth)
{
	if (!n || depth > MAX_DEPTH)
		return;
	switch (n->kind) {
	case CG_NODE_SEQ:
		for (size_t i = 0; i < n->n; i++)
			walk(u, n->items[i], depth + 1);
		break;
	case CG_NODE_MAP:
		for (size_t i = 0; i < n->n; i++) {
			const struct cg_node *k = n->pairs[i].key;
			const struct cg_node *v = n->pairs[i].value;

			/* GitHub's `if:` is an expression, `${{ }}` or not */
			if (u->github && cg_node_is_scalar(k) &&
			    cg_node_is_scalar(v) && !strcmp(k->str, "if") &&
			    v->str)
				for (size_t q = 0; q < v->len;)
					q = expression_env(u, v, v->str, q,
							   v->len);
			walk(u, v, depth + 1);
		}
		break;
	default:
		scan(u, n);
		/* strstr: most values name neither, and it skips fast */
		if (n->str &&
		    (strstr(n->str, "docker") || strstr(n->str, "podman")))
			passed_on(u, n);
		break;
	}
}

void cg_ci_env_uses(struct cg_model *m, const struct cg_node *root,
		    const struct cg_src *src, size_t scope, bool github)
{
	struct uses u = {0};

	u.m = m;
	u.github = github;
	u.src = src;
	u.scope = scope;
	walk(&u, root, 0);
	free(u.seen);
}
