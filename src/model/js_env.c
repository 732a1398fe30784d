/*
 * JavaScript and TypeScript -> facts: the environment variables the code
 * reads, as USE rows of place CODE (the env checklist's code column).
 * The text is split by the lexer of load/js.c, so a read inside a
 * comment, a string, template text, a regex or JSX text is none, while
 * one inside a template field (`${process.env.X}`) or a JSX expression
 * is one. Reads:
 *
 *   - `process.env.X`, `process.env["X"]` / `['X']` / `` [`X`] ``
 *     (`?.` for any dot; `globalThis.process` too), and Vite's
 *     `import.meta.env.X` (not its built-ins MODE, BASE_URL, PROD, DEV,
 *     SSR, which Vite sets);
 *   - destructuring: `const { X, Y: y, Z = "d" } = process.env` (also
 *     with a type annotation, `const { X }: Env = process.env`, and in
 *     parameters, `function f({ X } = process.env)`); `...rest` and
 *     computed keys name nothing;
 *   - through an alias: `const env = process.env` and later `env.X`,
 *     `env["X"]` or `const { X } = env` in the same file.
 *
 * A read has a default when the code supplies a value for an unset
 * variable: `process.env.X || "d"`, `?? "d"`, `? a : b`, `||=` / `??=`,
 * or `Z = "d"` in a destructuring. An assignment (`process.env.X = v`),
 * `delete process.env.X` and a method call (`process.env.hasOwnProperty(
 * "X")`) are no reads. A name that is not a plain
 * identifier (`process.env["my-var"]`, an escape) is skipped.
 *
 * Which files: every .js .mjs .cjs .jsx .ts .tsx .mts .cts file, in the
 * full layer only, except what a tool generated or a package manager
 * brought in: anything under node_modules, dist, build and the like (see
 * skip_dirs), minified files (*.min.js, or lines of over 1000 bytes on
 * average) and declaration files (*.d.ts).
 */
#include <stdlib.h>
#include <string.h>

#include "model/model_int.h"
#include "model/loader.h"
#include "core/banned.h"

/* Folders of generated or third-party code, at any depth. */
static const char *const skip_dirs[] = {"node_modules",
					"bower_components",
					"jspm_packages",
					"vendor",
					"dist",
					"build",
					".next",
					".nuxt",
					".output",
					".svelte-kit",
					".turbo",
					".vercel",
					".yarn",
					".cache",
					"coverage",
					"storybook-static",
					NULL};

static bool skipped_dir(const char *p, size_t n)
{
	for (size_t k = 0; skip_dirs[k]; k++)
		if (strlen(skip_dirs[k]) == n && !memcmp(p, skip_dirs[k], n))
			return true;
	return false;
}

static bool claims(const char *path)
{
	const char *base = cg_path_base(path);

	for (const char *p = path; p < base;) {
		size_t n = strcspn(p, "/");

		if (skipped_dir(p, n))
			return false;
		p += n + 1;
	}
	/* minified files, declaration files */
	if (strstr(base, ".min.") || strstr(base, "-min.") ||
	    cg_ends_with(base, ".d.ts") || cg_ends_with(base, ".d.mts") ||
	    cg_ends_with(base, ".d.cts"))
		return false;
	return true;
}

static bool has_env_word(const char *s, size_t len)
{
	for (const char *p = s, *end = s + len;
	     (p = memchr(p, 'e', (size_t)(end - p))); p++)
		if (end - p >= 3 && p[1] == 'n' && p[2] == 'v')
			return true;
	return false;
}

/* A read needs the word `env`; a minified file has long lines. */
static bool sniff(const struct cg_model *m, const struct cg_src *src,
		  const char **why)
{
	size_t lines = 1;

	(void)m;
	(void)why;
	if (!has_env_word(src->text, src->len))
		return false;
	if (src->len < 4096)
		return true;
	for (const char *p = src->text, *end = src->text + src->len;
	     (p = memchr(p, '\n', (size_t)(end - p))); p++)
		lines++;
	return src->len / lines <= 1000;
}

/* ------------------------------------------------------------ reading */

#define MAX_ALIASES 16
#define MAX_NAME 256

struct reader {
	struct cg_model *m;
	struct cg_file *f;
	const char *s;
	const struct cg_js_token *tk;
	size_t n;	 /* tokens, END excluded */
	uint32_t *match; /* per `{` / `}` token, the other one, else n */
	/* names bound to process.env in this file */
	const char *alias[MAX_ALIASES];
	size_t alias_len[MAX_ALIASES];
	size_t naliases;
};

static size_t tok_len(const struct reader *r, size_t k)
{
	return r->tk[k].end - r->tk[k].start;
}

static bool is(const struct reader *r, size_t k, enum cg_js_tok_kind kind,
	       const char *text)
{
	size_t n = text ? strlen(text) : 0;

	return k < r->n && r->tk[k].kind == kind &&
	       (!text || (tok_len(r, k) == n &&
			  !memcmp(r->s + r->tk[k].start, text, n)));
}

static bool punct(const struct reader *r, size_t k, const char *text)
{
	return is(r, k, CG_JS_PUNCT, text);
}

static bool dot(const struct reader *r, size_t k)
{
	return punct(r, k, ".") || punct(r, k, "?.");
}

static bool name(const struct reader *r, size_t k, const char *text)
{
	return is(r, k, CG_JS_NAME, text);
}

/* Bytes [p, p + n) are an environment variable name: an identifier of
 * ASCII letters, digits and '_'. */
static bool env_name(const char *p, size_t n)
{
	if (!n || n > MAX_NAME || (p[0] >= '0' && p[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

static bool vite_builtin(const char *p, size_t n)
{
	static const char *const names[] = {"MODE", "BASE_URL", "PROD",
					    "DEV",  "SSR",	NULL};

	for (size_t k = 0; names[k]; k++)
		if (strlen(names[k]) == n && !memcmp(p, names[k], n))
			return true;
	return false;
}

static void add_read(struct reader *r, size_t start, size_t end,
		     bool has_default, bool vite)
{
	struct cg_env_fact e;
	char name_buf[MAX_NAME + 1];

	if (!env_name(r->s + start, end - start) ||
	    (vite && vite_builtin(r->s + start, end - start)))
		return;
	memcpy(name_buf, r->s + start, end - start);
	name_buf[end - start] = '\0';
	memset(&e, 0, sizeof(e));
	e.name = name_buf;
	e.role = CG_ENV_USE;
	e.place = CG_PLACE_CODE;
	e.scope = CG_NO_SCOPE;
	e.src = &r->f->src;
	e.pos = cg_src_pos(&r->f->src, start, end);
	e.has_default = has_default;
	cg_fact_env(r->m, &e);
}

/* Token k is a string literal (or a template with no field) whose text
 * has no escape: its text without the quotes in *start, *end. */
static bool plain_string(const struct reader *r, size_t k, size_t *start,
			 size_t *end)
{
	if (!is(r, k, CG_JS_STRING, NULL) && !is(r, k, CG_JS_TEMPLATE, NULL))
		return false;
	*start = r->tk[k].start + 1;
	*end = r->tk[k].end - 1;
	return *end >= *start && !memchr(r->s + *start, '\\', *end - *start);
}

/* Token k starts the env object: `process.env` (maybe `globalThis.`
 * before it), `import.meta.env`, or an alias. True with the index of its
 * last token in *last; *vite for import.meta. */
static bool env_object(const struct reader *r, size_t k, size_t *last,
		       bool *vite)
{
	bool member = k > 0 && dot(r, k - 1);

	*vite = false;
	if (member &&
	    !(k >= 2 && (name(r, k - 2, "globalThis") ||
			 name(r, k - 2, "global") || name(r, k - 2, "window"))))
		return false;
	if (name(r, k, "process") && dot(r, k + 1) && name(r, k + 2, "env")) {
		*last = k + 2;
		return true;
	}
	if (name(r, k, "import") && !member && punct(r, k + 1, ".") &&
	    name(r, k + 2, "meta") && dot(r, k + 3) && name(r, k + 4, "env")) {
		*vite = true;
		*last = k + 4;
		return true;
	}
	if (member)
		return false;
	for (size_t a = 0; a < r->naliases; a++)
		if (tok_len(r, k) == r->alias_len[a] &&
		    !memcmp(r->s + r->tk[k].start, r->alias[a],
			    r->alias_len[a])) {
			*last = k;
			return true;
		}
	return false;
}

/* The token after a read (k) supplies a value when it is unset. */
static bool defaulted(const struct reader *r, size_t k)
{
	return punct(r, k, "||") || punct(r, k, "?\?") || punct(r, k, "?") ||
	       punct(r, k, "||=") || punct(r, k, "?\?=");
}

/* The entries of the object pattern between braces a and b. */
static void pattern(struct reader *r, size_t a, size_t b, bool vite)
{
	size_t i = a + 1;

	while (i < b) {
		size_t end = i, key_start = 0, key_end = 0;
		int depth = 0;
		bool key = false, def = false;

		for (; end < b; end++) {
			if (punct(r, end, "{") || punct(r, end, "[") ||
			    punct(r, end, "("))
				depth++;
			else if (punct(r, end, "}") || punct(r, end, "]") ||
				 punct(r, end, ")"))
				depth--;
			else if (depth == 0 && punct(r, end, ","))
				break;
			else if (depth == 0 && end > i && punct(r, end, "="))
				def = true;
		}
		if (is(r, i, CG_JS_NAME, NULL) &&
		    (i + 1 == end || punct(r, i + 1, ":") ||
		     punct(r, i + 1, "="))) {
			key = true;
			key_start = r->tk[i].start;
			key_end = r->tk[i].end;
		} else if (plain_string(r, i, &key_start, &key_end) &&
			   punct(r, i + 1, ":")) {
			key = true;
		}
		if (key)
			add_read(r, key_start, key_end, def, vite);
		i = end + 1;
	}
}

/*
 * Token *j ends a type annotation (`{ X }: Record<string, string>`): move
 * *j to the `}` of the pattern before its `:`. A short one only.
 */
static bool annotated(const struct reader *r, size_t *j)
{
	size_t depth = 0;

	for (size_t k = *j, steps = 0; k > 0 && steps < 64; k--, steps++) {
		if (r->tk[k].kind != CG_JS_PUNCT)
			continue;
		if (punct(r, k, ">") || punct(r, k, ")") || punct(r, k, "]") ||
		    punct(r, k, "}")) {
			depth++;
		} else if (punct(r, k, ">>")) {
			depth += 2;
		} else if (punct(r, k, ">>>")) {
			depth += 3;
		} else if (punct(r, k, "<") || punct(r, k, "(") ||
			   punct(r, k, "[") || punct(r, k, "{")) {
			if (!depth)
				return false;
			depth--;
		} else if (depth == 0 && punct(r, k, ":")) {
			*j = k - 1;
			return punct(r, k - 1, "}");
		} else if (depth == 0 && !punct(r, k, "|") &&
			   !punct(r, k, "&") && !punct(r, k, ",") &&
			   !punct(r, k, ".") && !punct(r, k, "?") &&
			   !punct(r, k, "=>")) {
			return false;
		}
	}
	return false;
}

/*
 * The env object ending at token e was assigned (`=` before its first
 * token k): to an object pattern, read its entries; to `const NAME`,
 * remember the alias.
 */
static void assigned(struct reader *r, size_t k, bool vite)
{
	size_t j;

	if (k < 2 || !punct(r, k - 1, "="))
		return;
	j = k - 2;
	if (is(r, j, CG_JS_NAME, NULL) && j > 0 &&
	    (name(r, j - 1, "const") || name(r, j - 1, "let") ||
	     name(r, j - 1, "var"))) {
		if (!vite && r->naliases < MAX_ALIASES) {
			r->alias[r->naliases] = r->s + r->tk[j].start;
			r->alias_len[r->naliases++] = tok_len(r, j);
		}
		return;
	}
	if (!punct(r, j, "}") && !annotated(r, &j))
		return;
	if (r->match[j] < j)
		pattern(r, r->match[j], j, vite);
}

/* The env object ends at token e (its first token is k). */
static size_t env_use(struct reader *r, size_t k, size_t e, bool vite)
{
	size_t start, end, z;

	if (dot(r, e + 1) && is(r, e + 2, CG_JS_NAME, NULL)) {
		start = r->tk[e + 2].start;
		end = r->tk[e + 2].end;
		z = e + 2;
	} else if (punct(r, e + 1, "[") ||
		   (punct(r, e + 1, "?.") && punct(r, e + 2, "["))) {
		z = punct(r, e + 1, "[") ? e + 2 : e + 3;
		if (!plain_string(r, z, &start, &end) || !punct(r, z + 1, "]"))
			return e;
		z++;
	} else {
		if (!dot(r, e + 1))
			assigned(r, k, vite);
		return e;
	}
	/* writes are no reads, nor a method of the object
	 * (`process.env.hasOwnProperty("X")`) */
	if (punct(r, z + 1, "=") || punct(r, z + 1, "(") ||
	    (k > 0 && name(r, k - 1, "delete")))
		return z;
	add_read(r, start, end, defaulted(r, z + 1), vite);
	return z;
}

/* r->match: each brace's partner, by a stack of the open ones. */
static void match_braces(struct reader *r)
{
	uint32_t *open = cg_xcalloc(r->n + 1, sizeof(*open));
	size_t nopen = 0;

	r->match = cg_xcalloc(r->n + 1, sizeof(*r->match));
	for (size_t k = 0; k < r->n; k++) {
		r->match[k] = (uint32_t)r->n;
		if (punct(r, k, "{")) {
			open[nopen++] = (uint32_t)k;
		} else if (punct(r, k, "}") && nopen) {
			r->match[k] = open[--nopen];
			r->match[open[nopen]] = (uint32_t)k;
		}
	}
	free(open);
}

static bool no_jsx(const char *path)
{
	return cg_ends_with(path, ".ts") || cg_ends_with(path, ".mts") ||
	       cg_ends_with(path, ".cts");
}

static void build(struct cg_model *m, struct cg_file *f)
{
	struct cg_js_tokens toks;
	struct reader r;
	int err = cg_js_tokenize(&toks, f->src.text, f->src.len,
				 no_jsx(f->src.path) ? 0 : CG_JS_JSX_ON);

	if (err < 0)
		cg_model_note(m, "%s: %s", f->src.path, cg_error_last());
	else if (toks.stopped)
		cg_model_note(m, "%s: %s: the rest of the file is not read",
			      f->src.path, toks.message);
	memset(&r, 0, sizeof(r));
	r.m = m;
	r.f = f;
	r.s = f->src.text;
	r.tk = toks.toks;
	r.n = toks.n;
	if (r.n && toks.toks[r.n - 1].kind == CG_JS_END)
		r.n--;
	match_braces(&r);
	for (size_t k = 0; k < r.n; k++) {
		bool vite;
		size_t e;

		if (r.tk[k].kind == CG_JS_NAME && env_object(&r, k, &e, &vite))
			k = env_use(&r, k, e, vite);
	}
	free(r.match);
	cg_js_tokens_release(&toks);
}

static const char *const patterns[] = {"**/*.js",  "**/*.mjs", "**/*.cjs",
				       "**/*.jsx", "**/*.ts",  "**/*.tsx",
				       "**/*.mts", "**/*.cts", NULL};

const struct cg_loader cg_loader_javascript = {
    .id = "javascript",
    .patterns = patterns,
    .claims = claims,
    .sniff = sniff,
    .format = CG_FILE_RAW,
    .layer = CG_LAYER_FULL,
    .build = build,
};
