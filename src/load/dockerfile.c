/*
 * A Dockerfile read the way BuildKit's parser splits it, as far as the
 * model needs it: its stages (FROM ... AS name) and the variables each
 * sets for the containers run from it (ENV). The rest of the file is
 * passed over without being understood, but lines are never mistaken for
 * instructions:
 *   - a `# escape=` parser directive on the first lines changes the line
 *     continuation character (\ or `);
 *   - an instruction continues on the next line when its line ends with
 *     that character; comment lines and blank lines inside it are skipped
 *     (BuildKit drops them);
 *   - the bodies of heredocs (`RUN <<EOF`, `COPY <<-"EOF" /x`) are not
 *     instructions: they run to a line that is the delimiter alone (for
 *     `<<-`, after leading tabs).
 * ENV takes `NAME=VALUE` pairs (values in "..." or '...', the escape
 * character taking the next byte outside single quotes) or, in the old
 * form, `ENV NAME rest of the line`.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "load/load.h"
#include "core/banned.h"

struct reader {
	const struct cg_src *src;
	struct cg_dockerfile *out;
	char escape;
	size_t alloc_stages;
	size_t nenv; /* ENV pairs kept so far */
};

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* [start, end) of the line at `at`, and where the next one starts. */
static size_t line_end(const struct cg_src *s, size_t at, size_t *next)
{
	const char *nl = memchr(s->text + at, '\n', s->len - at);
	size_t end = nl ? (size_t)(nl - s->text) : s->len;

	*next = nl ? end + 1 : s->len;
	return end;
}

/* `# escape=X` among the directives at the top (before any other line). */
static char escape_directive(const struct cg_src *s)
{
	size_t at = 0, next;

	while (at < s->len) {
		size_t end = line_end(s, at, &next), i = at;

		while (i < end && blank(s->text[i]))
			i++;
		if (i >= end || s->text[i] != '#')
			break;
		i++;
		while (i < end && blank(s->text[i]))
			i++;
		if (end - i >= 7 && !strncasecmp(s->text + i, "escape", 6)) {
			size_t k = i + 6;

			while (k < end && blank(s->text[k]))
				k++;
			if (k < end && s->text[k] == '=') {
				k++;
				while (k < end && blank(s->text[k]))
					k++;
				if (k < end &&
				    (s->text[k] == '`' || s->text[k] == '\\'))
					return s->text[k];
			}
		}
		at = next;
	}
	return '\\';
}

struct heredoc {
	char word[64];
	bool strip_tabs;
};

/* A heredoc delimiter opened by `<<WORD`, `<<-WORD`, `<<"WORD"` in
 * [*a, b): true, with *a moved past it. */
static bool find_heredoc(const char *t, size_t *at, size_t b, struct heredoc *h)
{
	size_t a = *at;

	for (size_t i = a; i + 2 < b; i++) {
		size_t k, n = 0;
		char q = 0;

		/* a word that starts with << (BuildKit splits words first:
		 * `$((1<<2))` is none) */
		if (t[i] != '<' || t[i + 1] != '<' ||
		    (i > a && !blank(t[i - 1])))
			continue;
		k = i + 2;
		h->strip_tabs = k < b && t[k] == '-';
		if (h->strip_tabs)
			k++;
		if (k < b && (t[k] == '"' || t[k] == '\''))
			q = t[k++];
		while (k < b && n + 1 < sizeof(h->word) &&
		       (t[k] == '_' || (t[k] >= 'A' && t[k] <= 'Z') ||
			(t[k] >= 'a' && t[k] <= 'z') ||
			(t[k] >= '0' && t[k] <= '9')))
			h->word[n++] = t[k++];
		if (!n || (q && (k >= b || t[k] != q)))
			continue;
		h->word[n] = '\0';
		*at = k + (q ? 1 : 0);
		return true;
	}
	return false;
}

/* One instruction's arguments, its lines joined as BuildKit joins them
 * (the escape character and line break of a continuation removed,
 * comment and blank lines inside dropped), each byte with its offset in
 * the file. */
struct logical {
	struct cg_buf text;
	uint32_t *off;
	size_t alloc;
};

static void logical_add(struct logical *l, const char *t, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++) {
		CG_GROW(l->off, l->alloc, l->text.len + 1);
		l->off[l->text.len] = (uint32_t)i;
		cg_buf_addch(&l->text, t[i]);
	}
}

/* The source range of logical bytes [a, b). */
static void span(const struct logical *l, size_t a, size_t b, uint32_t *s,
		 uint32_t *e)
{
	if (!l->text.len) {
		*s = *e = 0;
		return;
	}
	if (a >= l->text.len)
		a = l->text.len - 1;
	*s = l->off[a];
	*e = b > a ? l->off[b - 1] + 1 : *s;
}

/* One word of ENV's NAME=VALUE form from t[*i..n): into `out` with quotes
 * and escapes removed. */
static void env_word(const struct reader *r, const char *t, size_t *i, size_t n,
		     struct cg_buf *out)
{
	char q = 0;

	cg_buf_addstr(out, ""); /* an empty value is "", not NULL */
	while (*i < n) {
		char c = t[*i];

		if (!q && blank(c))
			break;
		if (!q && (c == '"' || c == '\'')) {
			q = c;
			(*i)++;
			continue;
		}
		if (q && c == q) {
			q = 0;
			(*i)++;
			continue;
		}
		if (c == r->escape && q != '\'' && *i + 1 < n) {
			cg_buf_addch(out, t[*i + 1]);
			*i += 2;
			continue;
		}
		cg_buf_addch(out, c);
		(*i)++;
	}
}

static void add_env(struct reader *r, const struct logical *l, const char *name,
		    size_t ns, size_t ne, const char *value, size_t vs,
		    size_t ve)
{
	struct cg_df_stage *st;
	struct cg_df_env *e;

	if (!r->out->nstages || !*name)
		return; /* an ENV before FROM is an error for docker */
	if (r->nenv >= CG_DF_MAX_ENV) {
		r->out->truncated = true;
		return;
	}
	r->nenv++;
	st = &r->out->stages[r->out->nstages - 1];
	CG_GROW(st->env, st->env_alloc, st->nenv + 1);
	e = &st->env[st->nenv++];
	e->name = cg_arena_strdup(&r->out->arena, name);
	e->value = cg_arena_strdup(&r->out->arena, value);
	span(l, ns, ne, &e->name_start, &e->name_end);
	span(l, vs, ve, &e->value_start, &e->value_end);
}

static void env_args(struct reader *r, const struct logical *l)
{
	const char *t = l->text.buf ? l->text.buf : "";
	size_t n = l->text.len, i = 0, first_end;

	while (i < n && blank(t[i]))
		i++;
	first_end = i;
	while (first_end < n && !blank(t[first_end]) && t[first_end] != '=')
		first_end++;
	if (first_end >= n || t[first_end] != '=') {
		/* `ENV NAME value...`: the rest of the instruction */
		size_t vs = first_end, ve = n;
		char *name = cg_xstrndup(t + i, first_end - i);
		char *value;

		while (vs < n && blank(t[vs]))
			vs++;
		while (ve > vs && blank(t[ve - 1]))
			ve--;
		value = cg_xstrndup(t + vs, ve - vs);
		add_env(r, l, name, i, first_end, value, vs, ve);
		free(name);
		free(value);
		return;
	}
	while (i < n) {
		struct cg_buf value = CG_BUF_INIT;
		size_t ns = i, vs;

		while (i < n && t[i] != '=' && !blank(t[i]))
			i++;
		if (i < n && t[i] == '=') {
			char *name = cg_xstrndup(t + ns, i - ns);

			vs = ++i;
			env_word(r, t, &i, n, &value);
			add_env(r, l, name, ns, vs - 1, value.buf, vs, i);
			free(name);
		}
		cg_buf_release(&value);
		while (i < n && blank(t[i]))
			i++;
	}
}

/* FROM's arguments: [--platform=...] IMAGE [AS NAME]. */
static void from_args(struct reader *r, const struct logical *l)
{
	const char *t = l->text.buf ? l->text.buf : "";
	size_t words[4][2], nw = 0, i = 0, n = l->text.len;
	struct cg_df_stage *st;

	while (i < n && nw < 4) {
		while (i < n && blank(t[i]))
			i++;
		if (i >= n)
			break;
		words[nw][0] = i;
		while (i < n && !blank(t[i]))
			i++;
		words[nw][1] = i;
		if (t[words[nw][0]] != '-')
			nw++; /* a flag (--platform=...) is not a word */
	}
	if (r->out->nstages >= CG_DF_MAX_STAGES) {
		r->out->truncated = true; /* the reading stops here */
		return;
	}
	CG_GROW(r->out->stages, r->alloc_stages, r->out->nstages + 1);
	st = &r->out->stages[r->out->nstages++];
	memset(st, 0, sizeof(*st));
	if (nw >= 1) {
		st->from = cg_arena_strndup(&r->out->arena, t + words[0][0],
					    words[0][1] - words[0][0]);
		span(l, words[0][0], words[0][1], &st->from_start,
		     &st->from_end);
	}
	if (nw >= 3 && words[1][1] - words[1][0] == 2 &&
	    !strncasecmp(t + words[1][0], "as", 2)) {
		char *name = cg_arena_strndup(&r->out->arena, t + words[2][0],
					      words[2][1] - words[2][0]);

		/* stage names are case-insensitive: BuildKit lowercases */
		for (char *p = name; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		st->name = name;
	}
}

/* The JSON string at t[*i] (a '"') into `out`; false when it is not one. */
static bool json_string(const char *t, size_t *i, size_t n, struct cg_buf *out)
{
	size_t k = *i + 1;

	cg_buf_addstr(out, "");
	while (k < n && t[k] != '"') {
		if ((unsigned char)t[k] < 0x20)
			return false;
		if (t[k] == '\\') {
			static const char from[] = "\"\\/bfnrt",
					  to[] = "\"\\/\b\f\n\r\t";
			const char *e =
			    k + 1 < n ? strchr(from, t[k + 1]) : NULL;

			if (k + 1 < n && t[k + 1] == 'u' && k + 5 < n) {
				cg_buf_add(out, t + k, 6); /* kept as written */
				k += 6;
				continue;
			}
			if (!e || !*e)
				return false;
			cg_buf_addch(out, to[e - from]);
			k += 2;
			continue;
		}
		cg_buf_addch(out, t[k++]);
	}
	if (k >= n)
		return false;
	*i = k + 1;
	return true;
}

/* CMD/ENTRYPOINT's arguments: a JSON array of strings (the exec form), or
 * else the shell form, as docker decides. */
static void command_args(struct reader *r, const struct logical *l,
			 struct cg_df_command *c)
{
	const char *t = l->text.buf ? l->text.buf : "";
	size_t n = l->text.len, i = 0, a, b;
	const char **argv = NULL;
	size_t argc = 0, alloc = 0;
	bool exec_form = false;

	while (i < n && blank(t[i]))
		i++;
	a = i;
	b = n;
	while (b > a && blank(t[b - 1]))
		b--;
	memset(c, 0, sizeof(*c));
	if (a < b && t[a] == '[') {
		i = a + 1;
		for (;;) {
			struct cg_buf s = CG_BUF_INIT;

			while (i < b && blank(t[i]))
				i++;
			if (i < b && t[i] == ']' && !argc) {
				exec_form = i + 1 == b;
				break;
			}
			if (i >= b || t[i] != '"' ||
			    !json_string(t, &i, b, &s)) {
				cg_buf_release(&s);
				break;
			}
			CG_GROW(argv, alloc, argc + 1);
			argv[argc++] = cg_arena_strdup(&r->out->arena, s.buf);
			cg_buf_release(&s);
			while (i < b && blank(t[i]))
				i++;
			if (i < b && t[i] == ',') {
				i++;
				continue;
			}
			exec_form = i < b && t[i] == ']' && i + 1 == b;
			break;
		}
	}
	if (!exec_form) {
		/* the shell form: its words, quotes removed */
		argc = 0;
		for (i = a; i < b;) {
			struct cg_buf s = CG_BUF_INIT;
			char q = 0;

			while (i < b && blank(t[i]))
				i++;
			if (i >= b)
				break;
			cg_buf_addstr(&s, "");
			while (i < b && (q || !blank(t[i]))) {
				if (!q && (t[i] == '"' || t[i] == '\'')) {
					q = t[i++];
					continue;
				}
				if (q && t[i] == q) {
					q = 0;
					i++;
					continue;
				}
				cg_buf_addch(&s, t[i++]);
			}
			CG_GROW(argv, alloc, argc + 1);
			argv[argc++] = cg_arena_strdup(&r->out->arena, s.buf);
			cg_buf_release(&s);
		}
		c->shell_form = true;
	}
	if (argc) {
		c->argv = cg_arena_alloc(&r->out->arena, argc * sizeof(*argv));
		memcpy(c->argv, argv, argc * sizeof(*argv));
	}
	c->argc = argc;
	free(argv);
	c->text = cg_arena_strndup(&r->out->arena, t + a, b - a);
	span(l, a, b, &c->start, &c->end);
}

/* Does [a, b) end with the escape character (blanks after it allowed)? If
 * so, *cut is where it stands. */
static bool continues(const struct reader *r, size_t a, size_t b, size_t *cut)
{
	const char *t = r->src->text;

	while (b > a && blank(t[b - 1]))
		b--;
	if (b > a && t[b - 1] == r->escape) {
		*cut = b - 1;
		return true;
	}
	*cut = b;
	return false;
}

int cg_dockerfile_load(struct cg_dockerfile *out, const struct cg_src *src)
{
	struct reader r = {src, out, '\\', 0, 0};
	const char *t = src->text;
	size_t at = 0;

	memset(out, 0, sizeof(*out));
	cg_arena_init(&out->arena);
	r.escape = escape_directive(src);
	while (at < src->len) {
		size_t next, end = line_end(src, at, &next), i = at, kw, kwe,
			     cut;
		struct logical l = {CG_BUF_INIT, NULL, 0};
		struct heredoc h;
		bool more, heredocs;

		while (i < end && blank(t[i]))
			i++;
		if (i >= end || t[i] == '#') {
			at = next;
			continue;
		}
		kw = i;
		while (i < end && !blank(t[i]))
			i++;
		kwe = i;
		more = continues(&r, i, end, &cut);
		logical_add(&l, t, i, cut);
		while (more && next < src->len) {
			size_t n2, e2 = line_end(src, next, &n2), j = next;

			while (j < e2 && blank(t[j]))
				j++;
			if (j < e2 && t[j] != '#') {
				more = continues(&r, next, e2, &cut);
				logical_add(&l, t, next, cut);
			}
			next = n2;
		}
		if (kwe - kw == 4 && !strncasecmp(t + kw, "FROM", 4))
			from_args(&r, &l);
		else if (kwe - kw == 3 && !strncasecmp(t + kw, "ENV", 3))
			env_args(&r, &l);
		else if (r.out->nstages && kwe - kw == 3 &&
			 !strncasecmp(t + kw, "CMD", 3)) {
			struct cg_df_stage *st =
			    &r.out->stages[r.out->nstages - 1];

			command_args(&r, &l, &st->cmd);
		} else if (r.out->nstages && kwe - kw == 10 &&
			   !strncasecmp(t + kw, "ENTRYPOINT", 10)) {
			struct cg_df_stage *st =
			    &r.out->stages[r.out->nstages - 1];

			command_args(&r, &l, &st->entrypoint);
		}
		/* heredoc bodies (RUN, COPY, ADD) follow the instruction's
		 * last line */
		heredocs =
		    (kwe - kw == 3 && (!strncasecmp(t + kw, "RUN", 3) ||
				       !strncasecmp(t + kw, "ADD", 3))) ||
		    (kwe - kw == 4 && !strncasecmp(t + kw, "COPY", 4));
		for (size_t p = 0;
		     heredocs && l.text.len &&
		     find_heredoc(l.text.buf, &p, l.text.len, &h);) {
			size_t wl = strlen(h.word);

			while (next < src->len) {
				size_t n2, e2 = line_end(src, next, &n2),
					   j = next;

				while (h.strip_tabs && j < e2 && t[j] == '\t')
					j++;
				if (e2 > j && t[e2 - 1] == '\r')
					e2--;
				next = n2;
				if (e2 - j == wl && !memcmp(t + j, h.word, wl))
					break;
			}
		}
		cg_buf_release(&l.text);
		free(l.off);
		at = next;
		if (out->truncated)
			break;
	}
	return 0;
}

void cg_dockerfile_release(struct cg_dockerfile *d)
{
	for (size_t i = 0; i < d->nstages; i++)
		free(d->stages[i].env);
	free(d->stages);
	cg_arena_release(&d->arena);
	memset(d, 0, sizeof(*d));
}
