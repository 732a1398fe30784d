/*
 * Env files -> facts: example env files (`.env.example` and its kin, in any
 * folder) and a committed `.env`, read by the dotenv reader (load/dotenv.c).
 *
 * Two loaders share one build, which decides by the file's name what the
 * file is, so a file reads the same whichever loader reached it first (a
 * compose `env_file:` is read through cg_loader_dotenv, and may name an
 * example file):
 *   - an example file (see is_example_name) is place ENV_EXAMPLE: what a
 *     developer is told to set;
 *   - any other env file (`.env`, a compose env_file such as
 *     `docker-compose.env`) is place DOTENV. Compose reads a `.env` next to
 *     the compose file only for `${}` interpolation, and imports an
 *     env_file into its service (compose.c).
 * Each file is a FILE scope (environment LOCAL), each entry a DEF row:
 * its value as written, its kind (a single-quoted value is literal text,
 * never interpolated; an empty value in an example file is no value),
 * `commented` when a comment documents it, and `required` when a comment
 * marks it (see required_marker). A line the reader cannot read is a note.
 */
#include <stdlib.h>
#include <string.h>

#include "model/model_int.h"
#include "model/loader.h"
#include "core/banned.h"

/* The example names, as globs over the base name: .env.example,
 * .env.dev.example, app.env.example, example.env, env.example, and the
 * same with sample, template and dist. */
static const char *const example_names[] = {
    ".env.example",   ".env.sample",	 ".env.template",
    ".env.dist",      "*.env.example",	 "*.env.sample",
    "*.env.template", "*.env.dist",	 ".env.*.example",
    ".env.*.sample",  ".env.*.template", ".env.*.dist",
    "example.env",    "sample.env",	 "template.env",
    "dist.env",	      "env.example",	 "env.sample",
    "env.template",   "env.dist",	 NULL};

static bool is_example_name(const char *path)
{
	const char *base = cg_path_base(path);

	for (size_t i = 0; example_names[i]; i++)
		if (cg_glob_match(example_names[i], base))
			return true;
	return false;
}

static bool is_lower_letter(char c)
{
	return c >= 'a' && c <= 'z';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* s[0, n) is the word `required` in any case. */
static bool is_required_word(const char *s, size_t n)
{
	if (n != 8)
		return false;
	for (size_t i = 0; i < 8; i++)
		if (lower(s[i]) != "required"[i])
			return false;
	return true;
}

/*
 * A comment's text (after its `#`) marks its entry required when the word
 * `required`, in any case, is
 *   - its first word, maybe in brackets, followed by the end or a
 *     character that is not a letter, digit or '_': `# required`,
 *     `# Required. The secret key`, `# REQUIRED: ...`, `# (required) ...`;
 *   - or its last word in brackets, maybe with a full stop after:
 *     `# the database URL (required)`, `# token [required].`
 * and not otherwise: `# not required`, `# required_if_x`, `# only
 * required for tests`, `# This is required if ...`.
 */
static bool required_marker(const char *s, size_t n)
{
	size_t a = 0, b;

	while (a < n && (s[a] == '#' || s[a] == ' ' || s[a] == '\t'))
		a++;
	while (n > a && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (a < n && (s[a] == '(' || s[a] == '['))
		a++;
	for (b = a; b < n && is_lower_letter(lower(s[b])); b++)
		;
	if (is_required_word(s + a, b - a) &&
	    (b == n || !(is_lower_letter(lower(s[b])) || s[b] == '_' ||
			 (s[b] >= '0' && s[b] <= '9'))))
		return true;
	/* the last word, in brackets */
	while (n > a && (s[n - 1] == '.' || s[n - 1] == '!'))
		n--;
	if (n < 10 || (s[n - 1] != ')' && s[n - 1] != ']'))
		return false;
	return (s[n - 10] == '(' || s[n - 10] == '[') &&
	       is_required_word(s + n - 9, 8);
}

/* Is 1-based `line` of `src` a comment-only line? Its comment text in
 * *text, *len. */
static bool comment_line(const struct cg_src *src, uint32_t line,
			 const char **text, size_t *len)
{
	size_t n, i = 0;
	const char *s = cg_src_line(src, line, &n);

	if (!s)
		return false;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == n || s[i] != '#')
		return false;
	*text = s + i;
	*len = n - i;
	return true;
}

/* The comment after the entry's value on its line (from its '#'), in
 * *text, *len; false when there is none. */
static bool trailing_comment(const struct cg_src *src,
			     const struct cg_env_entry *e, const char **text,
			     size_t *len)
{
	size_t end =
	    cg_src_offset(src, e->value_pos.end_line, e->value_pos.end_col);
	size_t line_len, i;
	const char *line = cg_src_line(src, e->value_pos.end_line, &line_len);

	if (!line)
		return false;
	i = end - (size_t)(line - src->text);
	while (i < line_len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i >= line_len || line[i] != '#')
		return false;
	*text = line + i;
	*len = line_len - i;
	return true;
}

/* The entry has a comment: a trailing one, or a comment-only line
 * directly above it (even one with no text: `#`). */
static bool has_comment(const struct cg_src *src, const struct cg_env_entry *e)
{
	const char *text;
	size_t len;

	return e->comment || trailing_comment(src, e, &text, &len) ||
	       (e->key_pos.line > 1 &&
		comment_line(src, e->key_pos.line - 1, &text, &len));
}

/* The entry is marked required: by its trailing comment, or by a line of
 * the comment lines directly above it. */
static bool marked_required(const struct cg_src *src,
			    const struct cg_env_entry *e)
{
	const char *text;
	size_t len;

	if (trailing_comment(src, e, &text, &len) && required_marker(text, len))
		return true;
	for (uint32_t l = e->key_pos.line; l-- > 1;) {
		if (!comment_line(src, l, &text, &len))
			break;
		if (required_marker(text, len))
			return true;
	}
	return false;
}

/* Length of NAME when line [s, s + n) is an entry commented out:
 * `# NAME=value`, `#NAME=`, `# export NAME=value`; else 0. *at gets the
 * offset of NAME in the line. */
static size_t commented_entry(const char *s, size_t n, size_t *at)
{
	size_t i = 0, k;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i >= n || s[i] != '#')
		return 0;
	i++;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '#'))
		i++;
	if (n - i > 7 && !memcmp(s + i, "export ", 7))
		for (i += 7; i < n && s[i] == ' ';)
			i++;
	if (i >= n || !(s[i] == '_' || (s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= 'a' && s[i] <= 'z')))
		return 0;
	for (k = i; k < n && (s[k] == '_' || (s[k] >= 'A' && s[k] <= 'Z') ||
			      (s[k] >= 'a' && s[k] <= 'z') ||
			      (s[k] >= '0' && s[k] <= '9'));)
		k++;
	if (k >= n || s[k] != '=')
		return 0;
	*at = i;
	return k - i;
}

/* DOC rows for the entries an example file comments out. */
static void commented_entries(struct cg_model *m, const struct cg_src *src,
			      size_t scope)
{
	for (uint32_t l = 1;; l++) {
		size_t len, at, n;
		const char *line = cg_src_line(src, l, &len);
		struct cg_env_fact e = {0};
		char *name;

		if (!line)
			break;
		n = commented_entry(line, len, &at);
		if (!n)
			continue;
		name = cg_xstrndup(line + at, n);
		e.name = name;
		e.role = CG_ENV_DOC;
		e.place = CG_PLACE_ENV_EXAMPLE;
		e.scope = scope;
		e.src = src;
		e.pos = cg_src_pos(src, (size_t)(line - src->text) + at,
				   (size_t)(line - src->text) + at + n);
		cg_fact_env(m, &e);
		free(name);
	}
}

static void build(struct cg_model *m, struct cg_file *f)
{
	const struct cg_src *src = &f->src;
	bool example = is_example_name(src->path);
	enum cg_place place = example ? CG_PLACE_ENV_EXAMPLE : CG_PLACE_DOTENV;
	struct cg_pos top = {1, 1, 1, 1};
	size_t scope;

	scope =
	    cg_fact_scope(m, CG_SCOPE_FILE, CG_NO_SCOPE, src->path, src, &top);
	m->facts.scopes[scope].place = place;
	m->facts.scopes[scope].environment = CG_ENVIRONMENT_LOCAL;
	f->scope = scope;
	for (size_t i = 0; i < f->dotenv.n; i++) {
		const struct cg_env_entry *en = &f->dotenv.entries[i];
		struct cg_env_fact e = {0};
		size_t at =
		    cg_src_offset(src, en->value_pos.line, en->value_pos.col);

		e.name = en->key;
		e.role = CG_ENV_DEF;
		e.place = place;
		e.scope = scope;
		e.src = src;
		e.pos = en->key_pos;
		if (example && !*en->value) {
			e.value_kind = CG_VALUE_NONE;
		} else {
			e.value = en->value;
			e.value_pos = en->value_pos;
			e.value_has_pos = true;
			if (en->quoted && at < src->len &&
			    src->text[at] == '\'')
				e.value_kind = CG_VALUE_LITERAL;
			else
				e.value_kind =
				    cg_value_classify(m, en->value, &e.ref);
		}
		e.commented = has_comment(src, en);
		e.required = marked_required(src, en);
		cg_fact_env(m, &e);
	}
	if (example)
		commented_entries(m, src, scope);
	for (size_t i = 0; i < f->dotenv.nproblems; i++) {
		const struct cg_dotenv_problem *p = &f->dotenv.problems[i];

		cg_model_note(m, "%s:%u:%u: %s (line skipped)", src->path,
			      p->pos.line, p->pos.col, p->message);
	}
}

static const char *const example_patterns[] = {
    "**/.env.example",	 "**/.env.sample",     "**/.env.template",
    "**/.env.dist",	 "**/*.env.example",   "**/*.env.sample",
    "**/*.env.template", "**/*.env.dist",      "**/.env.*.example",
    "**/.env.*.sample",	 "**/.env.*.template", "**/.env.*.dist",
    "**/example.env",	 "**/sample.env",      "**/template.env",
    "**/dist.env",	 "**/env.example",     "**/env.sample",
    "**/env.template",	 "**/env.dist",	       NULL};

const struct cg_loader cg_loader_env_example = {
    .id = "env-example",
    .patterns = example_patterns,
    .format = CG_FILE_DOTENV,
    .layer = CG_LAYER_QUICK,
    .build = build,
};

static const char *const dotenv_patterns[] = {"**/.env", NULL};

const struct cg_loader cg_loader_dotenv = {
    .id = "dotenv",
    .patterns = dotenv_patterns,
    .format = CG_FILE_DOTENV,
    .layer = CG_LAYER_QUICK,
    .build = build,
};
