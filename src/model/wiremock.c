/*
 * WireMock mapping files -> facts (facts.h, "WireMock"). Full layer only.
 *
 * Which files: WireMock reads every `.json` file under `mappings/` of its
 * root. Roots are the conventional folders (a `wiremock/` folder anywhere,
 * and `src/test/resources/`, the classpath root of WireMock's JUnit
 * support), claimed by path; and the folders compose bind-mounts into a
 * container's WireMock root: /home/wiremock (the CG_REF_MAPPINGS rows
 * compose.c makes), or the `--root-dir` of a WireMock service's command;
 * read in finish with cg_model_read_file. A `mappings/` folder elsewhere
 * is not taken for WireMock's: Elasticsearch and others use the name.
 *
 * Who loads the stubs of a GitHub service container (it starts before
 * the checkout, so it cannot mount them): a step of its job that POSTs to
 * /__admin/mappings or /__admin/mappings/import (curl with a body or -X
 * POST, wget --post-*, a `POST` word), or runs `docker cp`, itself or in
 * a shell script of the repository it runs (a Python, JavaScript, Ruby
 * script: one that names the API and POSTs); source rows.
 *
 * How a file is judged: by WireMock's own reader, not by RFC 8259. The
 * file is parsed here (format RAW) in the WireMock dialect of load/json.c,
 * so a file that does not parse is a problem row with the reader's
 * position, not a note. Then each stub is checked as WireMock 3's Jackson
 * model reads it (StubMapping, RequestPattern, ResponseDefinition):
 * an unknown property fails the file (FAIL_ON_UNKNOWN_PROPERTIES is on;
 * `$schema`, `meta` and a few ignored names are allowed); a property is
 * read as its Java type with Jackson's coercions (a String takes any
 * scalar but no object or list, an int takes a number or trimmed digits
 * but not true/false, a Boolean takes "true"/"false" but not "yes"); `id`
 * and `uuid` must be UUIDs and differ between the stubs of a file;
 * `request`/`response`/`mappings` must be of their shapes; and each
 * matcher (headers, queryParameters, cookies, bodyPatterns, ...) must
 * name an operator WireMock knows, with an operand of its type, and a
 * regex (`matches`, `urlPattern`) that Java compiles. What WireMock
 * accepts but serves wrongly (no request, no matcher, a bodyFileName that
 * is not under `__files/`) is a problem that is not fatal. Operands
 * WireMock parses when it loads a stub are judged too (equalToJson text as
 * JSON, equalToXml text by a small well-formedness check); what is only
 * read when a request comes (an XPath, a date) and the grammar of a
 * JSONPath filter are not.
 * Every rule here was measured against WireMock 3.13.2: the cases, with
 * the server's verdicts, are tests/oracle/wiremock_cases.txt.
 *
 * Bounds: a file is at most the model's size cap; trees are bounded by
 * the JSON reader's limits; a mount reads at most MAX_MOUNT_FILES files
 * and a script walk stops at MAX_DEPTH nested lists.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "model/model_int.h"
#include "model/loader.h"
#include "core/banned.h"

#define MAX_MOUNT_FILES 10000
#define MAX_DEPTH 64
#define DEFAULT_PRIORITY 5
#define JACKSON_MAX_DEPTH 1000
#define MAX_VIEW_KEYS 1000

extern const struct cg_loader cg_loader_wiremock;

/* ------------------------------------------------------ properties */

/* StubMapping: an item of `mappings`; the names after `metadata` are
 * ones Jackson ignores (@JsonIgnore) or getters only. */
#define STUB_PROPS                                                             \
	"id", "uuid", "name", "persistent", "request", "response", "priority", \
	    "scenarioName", "requiredScenarioState", "newScenarioState",       \
	    "postServeActions", "serveEventListeners",                         \
	    "serveEventListenerDefinitions", "metadata", "insertionIndex",     \
	    "dirty", "inScenario", "independentOfScenarioState"

static const char *const stub_props[] = {STUB_PROPS, "$schema", NULL};

/* StubMappingCollection, the type a mapping file is read as: a stub plus
 * `mappings` (`$schema` and `meta` ignored). */
static const char *const file_props[] = {
    STUB_PROPS, "mappings",	     "$schema", "meta",
    "multi",	"mappingOrMappings", NULL};

/* RequestPattern */
static const char *const request_props[] = {"scheme",
					    "host",
					    "port",
					    "url",
					    "clientIp",
					    "urlPattern",
					    "urlPath",
					    "urlPathPattern",
					    "urlPathTemplate",
					    "method",
					    "headers",
					    "pathParameters",
					    "queryParameters",
					    "formParameters",
					    "cookies",
					    "basicAuth",
					    "bodyPatterns",
					    "customMatcher",
					    "multipartPatterns",
					    "urlMatcher",
					    "matcher",
					    "basicAuthCredentials",
					    "name",
					    "expected",
					    NULL};

/* ResponseDefinition */
static const char *const response_props[] = {"status",
					     "statusMessage",
					     "body",
					     "jsonBody",
					     "base64Body",
					     "bodyFileName",
					     "headers",
					     "additionalProxyRequestHeaders",
					     "removeProxyRequestHeaders",
					     "fixedDelayMilliseconds",
					     "delayDistribution",
					     "chunkedDribbleDelay",
					     "proxyBaseUrl",
					     "proxyUrlPrefixToRemove",
					     "fault",
					     "transformers",
					     "transformerParameters",
					     "fromConfiguredStub",
					     "textBody",
					     "reponseBody",
					     "proxyUrl",
					     "proxyResponse",
					     "originalRequest",
					     NULL};

static const struct {
	const char *key;
	enum cg_wm_url_kind kind;
} url_keys[] = {
    {"url", CG_WM_URL},
    {"urlPath", CG_WM_URL_PATH},
    {"urlPattern", CG_WM_URL_PATTERN},
    {"urlPathPattern", CG_WM_URL_PATH_PATTERN},
    {"urlPathTemplate", CG_WM_URL_PATH_TEMPLATE},
};
#define NURL_KEYS (sizeof(url_keys) / sizeof(url_keys[0]))

static bool known(const char *const *props, const char *name)
{
	for (size_t i = 0; props[i]; i++)
		if (!strcmp(props[i], name))
			return true;
	return false;
}

/* Edit distance of a and b, or a number over `max` when it is larger. */
static size_t distance(const char *a, const char *b, size_t max)
{
	size_t la = strlen(a), lb = strlen(b), row[65];

	if (la > 64 || lb > 64 || (la > lb ? la - lb : lb - la) > max)
		return max + 1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* The known name closest to `name` (at most 2 edits, 1 for a name of
 * fewer than 6 characters), or NULL. */
static const char *closest(const char *const *props, const char *name)
{
	/* two edits turn any short name into another ("foo" -> "not") */
	size_t max = strlen(name) >= 6 ? 2 : 1;
	const char *best = NULL;
	size_t best_d = max + 1;

	for (size_t i = 0; props[i]; i++) {
		size_t d = distance(name, props[i], max);

		if (d < best_d) {
			best_d = d;
			best = props[i];
		}
	}
	return best;
}

/* ------------------------------------------------------------ rows */

struct file_ctx {
	struct cg_model *m;
	const struct cg_src *src;
	const char *mappings_dir; /* conventional, or NULL */
	bool fatal;		  /* a fatal problem was found */
	size_t first_mapping;	  /* this file's first row */
	size_t first_problem;	  /* this file's first problem */
};

static struct cg_pos point(const struct cg_src *src, size_t off)
{
	return cg_src_pos(src, off, off < src->len ? off + 1 : off);
}

static void problem(struct file_ctx *c, const struct cg_pos *pos,
		    const char *subject, bool fatal, const char *fmt, ...)
    CG_PRINTF(5, 6);

static void problem(struct file_ctx *c, const struct cg_pos *pos,
		    const char *subject, bool fatal, const char *fmt, ...)
{
	struct cg_wm_facts *w = &c->m->facts.wiremock;
	struct cg_wm_problem *p;
	struct cg_buf b = CG_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	cg_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	/* a value read twice (see first_view) is one problem */
	for (size_t i = c->first_problem; i < w->nproblems; i++)
		if (w->problems[i].src == c->src &&
		    w->problems[i].pos.line == pos->line &&
		    w->problems[i].pos.col == pos->col &&
		    !strcmp(w->problems[i].message, b.buf)) {
			cg_buf_release(&b);
			return;
		}
	CG_GROW(w->problems, w->problems_alloc, w->nproblems + 1);
	p = &w->problems[w->nproblems++];
	p->src = c->src;
	p->pos = *pos;
	p->message = cg_arena_strdup(&c->m->arena, b.buf);
	p->subject = cg_arena_strdup(&c->m->arena, subject ? subject : "");
	p->fatal = fatal;
	c->fatal |= fatal;
	cg_buf_release(&b);
}

/* The pair `key` of map `n` that is not JSON null, or NULL. */
static const struct cg_pair *get(const struct cg_node *n, const char *key)
{
	const struct cg_pair *p = cg_map_get_pair(n, key);

	if (!p || (p->value->kind == CG_NODE_SCALAR &&
		   p->value->style == CG_STYLE_PLAIN &&
		   !strcmp(p->value->str, "null")))
		return NULL;
	return p;
}

/* ----------------------------------------------------------- values */

enum int_read {
	INT_OK,	  /* *out holds it */
	INT_BAD,  /* Jackson refuses it for an int */
	INT_NONE, /* null, or blank text: the default stays */
};

/*
 * A JSON value as Jackson reads it into an int (coercion on, its
 * default), as measured against WireMock 3.13.2: a number (a fraction is
 * cut off: 200.5 is 200) within int's range, or text that is an integer
 * once trimmed ("200", " 200", "+200", "007"); blank text is null. Text
 * that is not an integer ("abc", "200.0", "1e2", "0x1"), true/false and
 * collections fail.
 */
static enum int_read read_int(const struct cg_node *n, long *out)
{
	const char *s, *e;
	char *end;
	double d;
	long v = 0;

	if (n->kind != CG_NODE_SCALAR)
		return INT_BAD;
	s = n->str;
	if (n->style == CG_STYLE_PLAIN) {
		if (!strcmp(s, "null"))
			return INT_NONE;
		if (!strcmp(s, "true") || !strcmp(s, "false"))
			return INT_BAD;
		d = strtod(s, &end);
		if (*end || d >= 2147483648.0 || d <= -2147483649.0)
			return INT_BAD;
		*out = (long)d;
		return INT_OK;
	}
	e = s + n->len;
	while (s < e && (unsigned char)*s <= ' ')
		s++;
	while (e > s && (unsigned char)e[-1] <= ' ')
		e--;
	if (s == e)
		return INT_NONE;
	if (*s == '-' || *s == '+')
		s++;
	if (s == e || e - s > 10)
		return INT_BAD;
	for (const char *q = s; q < e; q++) {
		if (*q < '0' || *q > '9')
			return INT_BAD;
		v = v * 10 + (*q - '0');
	}
	if (s > n->str && s[-1] == '-')
		v = -v;
	if (v > 2147483647L || v < -2147483648L)
		return INT_BAD;
	*out = v;
	return INT_OK;
}

/* Append `n` to b as canonical text: maps with their keys sorted, strings
 * by value whichever quotes they had. */
static void canon(struct cg_buf *b, const struct cg_node *n, unsigned depth);

static int cmp_pair_key(const void *a, const void *b)
{
	const struct cg_pair *x = *(const struct cg_pair *const *)a;
	const struct cg_pair *y = *(const struct cg_pair *const *)b;

	return strcmp(x->key->str, y->key->str);
}

static void canon_string(struct cg_buf *b, const char *s, size_t len)
{
	cg_buf_addch(b, '"');
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			cg_buf_addch(b, '\\');
		cg_buf_addch(b, s[i]);
	}
	cg_buf_addch(b, '"');
}

static void canon_map(struct cg_buf *b, const struct cg_node *n, unsigned depth,
		      const char *add_key, const char *add_val)
{
	const struct cg_pair **v = cg_xcalloc(n->n ? n->n : 1, sizeof(*v));
	bool first = true;
	bool added = !add_key;

	for (size_t i = 0; i < n->n; i++)
		v[i] = &n->pairs[i];
	qsort(v, n->n, sizeof(*v), cmp_pair_key);
	cg_buf_addch(b, '{');
	for (size_t i = 0; i <= n->n; i++) {
		/* the added member in its sorted place */
		if (!added &&
		    (i == n->n || strcmp(add_key, v[i]->key->str) < 0)) {
			if (!first)
				cg_buf_addch(b, ',');
			canon_string(b, add_key, strlen(add_key));
			cg_buf_addch(b, ':');
			canon_string(b, add_val, strlen(add_val));
			first = false;
			added = true;
		}
		if (i == n->n)
			break;
		if (!first)
			cg_buf_addch(b, ',');
		canon_string(b, v[i]->key->str, v[i]->key->len);
		cg_buf_addch(b, ':');
		canon(b, v[i]->value, depth + 1);
		first = false;
	}
	cg_buf_addch(b, '}');
	free(v);
}

static void canon(struct cg_buf *b, const struct cg_node *n, unsigned depth)
{
	if (depth > MAX_DEPTH * 8) {
		cg_buf_addstr(b, "...");
		return;
	}
	switch (n->kind) {
	case CG_NODE_SCALAR:
		if (n->style == CG_STYLE_PLAIN)
			cg_buf_add(b, n->str, n->len);
		else
			canon_string(b, n->str, n->len);
		break;
	case CG_NODE_SEQ:
		cg_buf_addch(b, '[');
		for (size_t i = 0; i < n->n; i++) {
			if (i)
				cg_buf_addch(b, ',');
			canon(b, n->items[i], depth + 1);
		}
		cg_buf_addch(b, ']');
		break;
	case CG_NODE_MAP:
		canon_map(b, n, depth, NULL, NULL);
		break;
	}
}

/* ------------------------------------------------------------- stubs */

static void unknown_props(struct file_ctx *c, const struct cg_node *n,
			  const char *const *props, const char *what)
{
	for (size_t i = 0; i < n->n; i++) {
		const struct cg_node *k = n->pairs[i].key;
		const char *near;

		if (known(props, k->str))
			continue;
		near = closest(props, k->str);
		if (near)
			problem(c, &k->pos, k->str, true,
				"unknown property `%s` in %s: WireMock refuses "
				"the file (did you mean `%s`?)",
				k->str, what, near);
		else
			problem(c, &k->pos, k->str, true,
				"unknown property `%s` in %s: WireMock refuses "
				"the file",
				k->str, what);
	}
}

/* An integer property `key` of `n` (priority, status); *out keeps its
 * default unless the value is read. */
static void int_prop(struct file_ctx *c, const struct cg_node *n,
		     const char *key, const char *what, long *out)
{
	const struct cg_pair *p = get(n, key);
	long v;

	if (!p)
		return;
	switch (read_int(p->value, &v)) {
	case INT_OK:
		*out = v;
		break;
	case INT_BAD:
		problem(
		    c, &p->value->pos,
		    p->value->kind == CG_NODE_SCALAR ? p->value->str : key,
		    true,
		    "%s `%s` is not an integer: WireMock refuses the file",
		    what,
		    p->value->kind == CG_NODE_SCALAR
			? p->value->str
			: (p->value->kind == CG_NODE_MAP ? "{...}" : "[...]"));
		break;
	case INT_NONE:
		break;
	}
}

/* -------------------------------------------------- typed properties */

static bool is_null(const struct cg_node *n)
{
	return n->kind == CG_NODE_SCALAR && n->style == CG_STYLE_PLAIN &&
	       !strcmp(n->str, "null");
}

static bool is_text(const struct cg_node *n)
{
	return n->kind == CG_NODE_SCALAR && n->style != CG_STYLE_PLAIN;
}

/* What `n` is, for messages: "an object", "a list", "true", "5", and
 * text in quotes; in the model's arena. */
static const char *shape(struct file_ctx *c, const struct cg_node *n)
{
	if (n->kind == CG_NODE_MAP)
		return "an object";
	if (n->kind == CG_NODE_SEQ)
		return "a list";
	if (n->style == CG_STYLE_PLAIN)
		return n->str;
	{
		struct cg_buf b = CG_BUF_INIT;
		const char *out;

		cg_buf_addf(&b, "\"%s\"", n->str);
		out = cg_arena_strdup(&c->m->arena, b.buf);
		cg_buf_release(&b);
		return out;
	}
}

/* A property Jackson reads as a double: a number, or text that is one
 * (checked loosely: text with no digit fails). */
static void number_prop(struct file_ctx *c, const struct cg_node *n,
			const char *key)
{
	const struct cg_pair *p = get(n, key);
	const struct cg_node *v = p ? p->value : NULL;

	if (!v || (v->kind == CG_NODE_SCALAR && v->style == CG_STYLE_PLAIN &&
		   strcmp(v->str, "true") && strcmp(v->str, "false")))
		return;
	if (is_text(v) && strpbrk(v->str, "0123456789"))
		return;
	problem(c, &v->pos, key, true,
		"`%s` must be a number, not %s: WireMock refuses the file", key,
		shape(c, v));
}

/* A property Jackson reads as a String: a number or true/false is taken
 * as its text; an object or a list fails the file. */
static void string_prop(struct file_ctx *c, const struct cg_node *n,
			const char *key, const char *what)
{
	const struct cg_pair *p = get(n, key);

	if (p && p->value->kind != CG_NODE_SCALAR)
		problem(c, &p->value->pos, key, true,
			"`%s` in %s must be text, not %s: WireMock refuses "
			"the file",
			key, what, shape(c, p->value));
}

/* A property Jackson reads as an object (a map), or null. */
static void object_prop(struct file_ctx *c, const struct cg_node *n,
			const char *key, const char *what)
{
	const struct cg_pair *p = get(n, key);

	if (p && p->value->kind != CG_NODE_MAP)
		problem(c, &p->value->pos, key, true,
			"`%s` in %s must be an object, not %s: WireMock "
			"refuses the file",
			key, what, shape(c, p->value));
}

/* Text Jackson takes for a Boolean: "true"/"false" in any case, or "". */
static bool bool_text(const char *s)
{
	static const char *const words[] = {"true", "false"};

	if (!*s)
		return true;
	for (size_t w = 0; w < 2; w++) {
		size_t i = 0;

		while (words[w][i] && (s[i] | 0x20) == words[w][i])
			i++;
		if (!words[w][i] && !s[i])
			return true;
	}
	return false;
}

/* A property Jackson reads as a Boolean: true/false, an integer, or the
 * text "true"/"false" (any case); other text ("yes", "1"), a fraction and
 * collections fail. */
static void bool_prop(struct file_ctx *c, const struct cg_node *n,
		      const char *key, const char *what)
{
	const struct cg_pair *p = get(n, key);
	const struct cg_node *v = p ? p->value : NULL;

	if (!v || (v->kind == CG_NODE_SCALAR &&
		   (v->style == CG_STYLE_PLAIN
			? !strcmp(v->str, "true") || !strcmp(v->str, "false") ||
			      !strpbrk(v->str, ".eE")
			: bool_text(v->str))))
		return;
	problem(c, &v->pos, key, true,
		"`%s` in %s must be true or false, not %s: WireMock "
		"refuses the file",
		key, what, shape(c, v));
}

/* `method`: text (any word; WireMock takes "get" and "FETCH" too) or
 * null; a number or true/false fails the file. */
static void method_prop(struct file_ctx *c, const struct cg_node *req)
{
	const struct cg_pair *p = get(req, "method");

	if (p && !is_text(p->value))
		problem(c, &p->value->pos, "method", true,
			"`method` must be text such as \"GET\", not %s: "
			"WireMock refuses the file",
			shape(c, p->value));
}

/* ---------------------------------------------------- Java regexes */

/*
 * Whether java.util.regex.Pattern refuses `re`: PCRE2 judges the syntax
 * both share, and a `{` that does not start a bounded repeat ({2},
 * {2,}, {2,5}) is refused here as Java does ("Illegal repetition"; PCRE2
 * takes it for a literal). Java-only syntax PCRE2 does not know (\p{Alpha},
 * \p{javaLowerCase}, the d/u/U flags) is not judged. `msg` gets why.
 */
static bool java_regex_refuses(const char *re, size_t len, char *msg,
			       size_t msglen)
{
	bool in_class = false;
	pcre2_code *code;
	int errcode;
	PCRE2_SIZE erroff;

	for (size_t i = 0; i < len; i++) {
		char ch = re[i];

		if (ch == '\\') {
			if (i + 1 < len &&
			    (re[i + 1] == 'p' || re[i + 1] == 'P'))
				return false;
			if (i + 1 < len && re[i + 1] == 'Q') {
				const char *e = strstr(re + i + 2, "\\E");

				if (!e)
					break;
				i = (size_t)(e - re) + 1;
				continue;
			}
			i++;
			continue;
		}
		if (ch == '(' && i + 2 < len && re[i + 1] == '?') {
			for (size_t k = i + 2;
			     k < len && re[k] != ')' && re[k] != ':'; k++)
				if (re[k] == 'd' || re[k] == 'u' ||
				    re[k] == 'U')
					return false;
		}
		if (in_class) {
			if (ch == ']')
				in_class = false;
			continue;
		}
		if (ch == '[') {
			in_class = true;
			if (i + 1 < len && re[i + 1] == '^')
				i++;
			if (i + 1 < len && re[i + 1] == ']')
				i++;
			continue;
		}
		if (ch == '{') {
			size_t k = i + 1;

			while (k < len && re[k] >= '0' && re[k] <= '9')
				k++;
			if (k > i + 1 && k < len && re[k] == ',') {
				k++;
				while (k < len && re[k] >= '0' && re[k] <= '9')
					k++;
			}
			if (k == i + 1 || k >= len || re[k] != '}') {
				snprintf(msg, msglen,
					 "illegal repetition at `{` (offset "
					 "%zu): Java reads `{` as a repeat "
					 "count; write \"\\\\{\" in JSON for a "
					 "brace",
					 i);
				return true;
			}
		}
	}
	code = pcre2_compile((PCRE2_SPTR)re, len, PCRE2_UTF, &errcode, &erroff,
			     NULL);
	if (code) {
		pcre2_code_free(code);
		return false;
	}
	{
		PCRE2_UCHAR buf[160];

		pcre2_get_error_message(errcode, buf, sizeof(buf));
		snprintf(msg, msglen, "%s (offset %zu)", (const char *)buf,
			 (size_t)erroff);
	}
	return true;
}

static void regex_value(struct file_ctx *c, const struct cg_node *v,
			const char *what)
{
	char why[256];

	if (is_text(v) && java_regex_refuses(v->str, v->len, why, sizeof(why)))
		problem(c, &v->pos, v->str, true,
			"%s `%s` is not a valid Java regular expression: %s; "
			"WireMock refuses the file",
			what, v->str, why);
}

/* ---------------------------------------------------------- base64 */

/* Text java.util.Base64's basic decoder takes: the base64 alphabet, at
 * most two '=' at the end, and no lone last character. */
static bool base64_text(const char *s, size_t len)
{
	size_t n = len, pad = 0;

	while (n && s[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '+' ||
		      s[i] == '/'))
			return false;
	if (n % 4 == 1)
		return false;
	return !pad || len % 4 == 0;
}

static void base64_prop(struct file_ctx *c, const struct cg_node *n,
			const char *key, const char *what)
{
	const struct cg_pair *p = get(n, key);

	if (p && (p->value->kind != CG_NODE_SCALAR ||
		  !base64_text(p->value->str, p->value->len)))
		problem(c, &p->value->pos, key, true,
			"`%s` in %s is not base64: WireMock refuses the file",
			key, what);
}

/* ------------------------------------------------------------- XML */

static bool xml_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static bool xml_name_char(char ch)
{
	return ch && !xml_space(ch) && !strchr("<>/=\"'!?&;", ch);
}

/* Past the construct at s that starts with `open` and ends with `close`
 * (a comment, a PI, CDATA), or NULL when it is not closed. */
static const char *xml_skip(const char *s, const char *open, const char *close)
{
	const char *e = strstr(s + strlen(open), close);

	return e ? e + strlen(close) : NULL;
}

/* Past the reference at s (its `&`): &amp; &lt; &gt; &quot; &apos;,
 * &#digits; or &#xhex;; NULL for a bare `&` or an entity no DOCTYPE
 * declares. */
static const char *xml_reference(const char *s)
{
	static const char *const named[] = {"amp;", "lt;", "gt;", "quot;",
					    "apos;"};
	const char *q = s + 1;
	const char *digits = "0123456789";

	for (size_t i = 0; i < 5; i++)
		if (!strncmp(q, named[i], strlen(named[i])))
			return q + strlen(named[i]);
	if (*q++ != '#')
		return NULL;
	if (*q == 'x') {
		q++;
		digits = "0123456789abcdefABCDEF";
	}
	if (!*q || !strchr(digits, *q))
		return NULL;
	while (*q && strchr(digits, *q))
		q++;
	return *q == ';' ? q + 1 : NULL;
}

/*
 * Why the text `x` is not a well-formed XML document, or NULL when it is
 * as far as this looks: one root element, tags that close in order, no
 * text outside the root, comments, PIs, CDATA and attributes closed.
 * Entities and a DOCTYPE's insides are not judged (a DOCTYPE: nothing
 * after it is). WireMock parses equalToXml text when it loads the stub.
 */
static const char *xml_problem(const char *x)
{
	const char *stack[MAX_DEPTH];
	size_t stack_len[MAX_DEPTH];
	size_t depth = 0;
	bool root_seen = false;
	char quote;

	while (*x) {
		if (!depth && xml_space(*x)) {
			x++;
			continue;
		}
		if (*x != '<') {
			if (!depth)
				return root_seen
					   ? "text after the root element"
					   : "text before the root element";
			if (*x == '&') {
				if (!(x = xml_reference(x)))
					return "`&` that starts no reference "
					       "(write &amp;)";
				continue;
			}
			x++;
			continue;
		}
		if (!strncmp(x, "<!--", 4)) {
			if (!(x = xml_skip(x, "<!--", "-->")))
				return "a comment is not closed";
		} else if (!strncmp(x, "<?", 2)) {
			if (!(x = xml_skip(x, "<?", "?>")))
				return "a processing instruction is not closed";
		} else if (!strncmp(x, "<![CDATA[", 9)) {
			if (!depth)
				return "CDATA outside the root element";
			if (!(x = xml_skip(x, "<![CDATA[", "]]>")))
				return "a CDATA section is not closed";
		} else if (!strncmp(x, "<!", 2)) {
			return NULL; /* a DOCTYPE: not judged */
		} else if (x[1] == '/') {
			const char *name = x + 2;
			size_t n = 0;

			while (xml_name_char(name[n]))
				n++;
			if (!depth)
				return "a closing tag without an opening one";
			depth--;
			if (n != stack_len[depth] ||
			    strncmp(name, stack[depth], n))
				return "a closing tag does not match the open "
				       "element";
			x = name + n;
			while (xml_space(*x))
				x++;
			if (*x++ != '>')
				return "a closing tag is not closed by `>`";
		} else {
			const char *name = x + 1;
			size_t n = 0;

			while (xml_name_char(name[n]))
				n++;
			if (!n)
				return "`<` that starts no tag";
			if (!depth && root_seen)
				return "a second root element";
			x = name + n;
			for (;;) {
				while (xml_space(*x))
					x++;
				if (*x == '>' || (x[0] == '/' && x[1] == '>'))
					break;
				if (!xml_name_char(*x))
					return "a tag is not closed by `>`";
				while (xml_name_char(*x))
					x++;
				while (xml_space(*x))
					x++;
				if (*x++ != '=')
					return "an attribute without `=`";
				while (xml_space(*x))
					x++;
				if (*x != '"' && *x != '\'')
					return "an attribute value not in "
					       "quotes";
				quote = *x++;
				while (*x && *x != quote) {
					if (*x == '<')
						return "`<` in an attribute "
						       "value (write &lt;)";
					if (*x != '&')
						x++;
					else if (!(x = xml_reference(x)))
						return "`&` that starts no "
						       "reference (write "
						       "&amp;)";
				}
				if (!*x++)
					return "an attribute value is not "
					       "closed";
			}
			root_seen = true;
			if (*x == '/') {
				x += 2;
				continue;
			}
			x++;
			if (depth == MAX_DEPTH)
				return NULL; /* too deep to look at */
			stack[depth] = name;
			stack_len[depth++] = n;
		}
	}
	if (depth)
		return "an element is not closed";
	return root_seen ? NULL : "no root element";
}

/* -------------------------------------------------------- JSONPath */

/* Past the bracket at s (its `[`), quotes and parentheses inside it
 * skipped, or NULL when it is not closed. */
static const char *jsonpath_bracket_end(const char *s)
{
	int parens = 0;

	for (s++; *s; s++) {
		if (*s == '\'' || *s == '"') {
			const char *e = strchr(s + 1, *s);

			if (!e)
				return NULL;
			s = e;
		} else if (*s == '(') {
			parens++;
		} else if (*s == ')') {
			parens--;
		} else if (*s == ']' && parens <= 0) {
			return s + 1;
		}
	}
	return NULL;
}

/*
 * Why Jayway JsonPath (WireMock's) refuses to compile the path `p`, or
 * NULL. Only what was measured, for a path from `$`: empty, ending with
 * `.`, `$` followed by other than `.` or `[`, a `[` that starts no index,
 * name, `*` or filter, or is not closed, a `(` not closed, a space in a
 * dotted name. A path without `$` ("a.b", "@.a") loads and is not judged.
 */
static const char *jsonpath_problem(const char *p)
{
	if (!*p)
		return "an empty path";
	if (p[strlen(p) - 1] == '.')
		return "a path that ends with `.`";
	if (*p != '$')
		return NULL;
	if (p[1] && p[1] != '.' && p[1] != '[')
		return "`$` must be followed by `.` or `[`";
	for (const char *s = p + 1; *s; s++) {
		if (*s == '[') {
			const char *end;

			if (!s[1])
				return NULL; /* "$.a[" loads: not judged */
			if (!strchr("?'\"0123456789*-: ", s[1]))
				return "a `[` that starts no index, 'name', "
				       "* or ?() filter";
			if (!(end = jsonpath_bracket_end(s)))
				return "a `[` that is not closed";
			s = end - 1;
		} else if (*s == '(') {
			if (!strchr(s, ')'))
				return "a `(` that is not closed";
		} else if (*s == ' ' && s[strspn(s, " ")]) {
			return "a name with a space (write ['my name'])";
		}
	}
	return NULL;
}

/* -------------------------------------------------------- matchers */

/*
 * A StringValuePattern as WireMock reads it: an object whose first
 * member named after an operator decides the operator (other members,
 * such as "caseInsensitive", are options or ignored), or null. What
 * fails the file, as measured: an object without an operator ("equalsTo",
 * {}), text or a number in its place, an operand of the wrong type
 * ({"equalTo": 1}), a regex Java refuses, `and`/`or` that are not a list
 * of two or more matchers, and a bad matcher inside `not`/`and`/`or`. A
 * JSONPath, an XPath, XML or a date in an operand is not judged.
 */
static const char *const pattern_ops[] = {"equalTo",
					  "equalToJson",
					  "matchesJsonPath",
					  "matchesJsonSchema",
					  "equalToXml",
					  "matchesXPath",
					  "contains",
					  "not",
					  "doesNotContain",
					  "matches",
					  "doesNotMatch",
					  "before",
					  "after",
					  "equalToDateTime",
					  "anything",
					  "absent",
					  "and",
					  "or",
					  "matchesPathTemplate",
					  NULL};

/* options that go with an operator, never alone */
static const char *const pattern_options[] = {"caseInsensitive",
					      "ignoreArrayOrder",
					      "ignoreExtraElements",
					      "expression",
					      "schemaVersion",
					      "xPathNamespaces",
					      "enablePlaceholders",
					      "actualFormat",
					      "truncateExpected",
					      "truncateActual",
					      "expectedOffset",
					      "expectedOffsetUnit",
					      NULL};

/* operators whose operand must be text */
static const char *const text_ops[] = {
    "equalTo",	    "contains",	       "doesNotContain",      "matches",
    "doesNotMatch", "anything",	       "matchesPathTemplate", "before",
    "after",	    "equalToDateTime", "equalToXml",	      NULL};

enum pattern_kind {
	PAT_STRING,  /* StringValuePattern */
	PAT_MULTI,   /* MultiValuePattern: hasExactly/includes too */
	PAT_CONTENT, /* ContentPattern (bodyPatterns): binaryEqualTo too */
};

static void pattern(struct file_ctx *c, const struct cg_node *n,
		    const char *where, enum pattern_kind kind, unsigned depth);

static void pattern_list(struct file_ctx *c, const struct cg_node *v,
			 const char *op, const char *where, size_t min,
			 unsigned depth)
{
	if (v->kind != CG_NODE_SEQ || v->n < min) {
		problem(c, &v->pos, op, true,
			"`%s` in %s must be a list of %smatchers: WireMock "
			"refuses the file",
			op, where, min > 1 ? "two or more " : "");
		return;
	}
	for (size_t i = 0; i < v->n; i++)
		pattern(c, v->items[i], where, PAT_STRING, depth + 1);
}

/* The text operand of equalToJson or matchesJsonSchema: WireMock parses
 * it when it loads the stub, with the reader it reads files with (an
 * object or a list is taken as it is). */
static void json_operand(struct file_ctx *c, const struct cg_node *v,
			 const char *op, const char *where)
{
	struct cg_src src;
	struct cg_tree tree;

	if (!is_text(v))
		return;
	cg_src_init_mem(&src, op, v->str, v->len);
	if (cg_json_load(&tree, &src, CG_JSON_WIREMOCK, NULL) < 0) {
		problem(c, &v->pos, op, true,
			"`%s` in %s is text that is not JSON (%s): WireMock "
			"refuses the file (write the JSON itself, not a "
			"string)",
			op, where, cg_error_last());
		cg_error_clear();
	}
	cg_tree_release(&tree);
	cg_src_release(&src);
}

static void pattern(struct file_ctx *c, const struct cg_node *n,
		    const char *where, enum pattern_kind kind, unsigned depth)
{
	const struct cg_pair *op = NULL;
	const struct cg_node *v;
	const char *name;

	if (depth > MAX_DEPTH || is_null(n))
		return;
	if (n->kind != CG_NODE_MAP) {
		problem(c, &n->pos, "", true,
			"%s must be a matcher such as {\"equalTo\": \"...\"}, "
			"not %s: WireMock refuses the file",
			where, shape(c, n));
		return;
	}
	if (kind == PAT_MULTI) {
		const struct cg_pair *m = cg_map_get_pair(n, "hasExactly");

		if (!m)
			m = cg_map_get_pair(n, "includes");
		if (m) {
			pattern_list(c, m->value, m->key->str, where, 0, depth);
			return;
		}
	}
	if (cg_map_get_pair(n, "absent"))
		return;
	for (size_t i = 0; i < n->n && !op; i++)
		if (known(pattern_ops, n->pairs[i].key->str) ||
		    (kind == PAT_CONTENT &&
		     !strcmp(n->pairs[i].key->str, "binaryEqualTo")))
			op = &n->pairs[i];
	if (!op) {
		const struct cg_node *k = n->n ? n->pairs[0].key : NULL;
		const char *near = k ? closest(pattern_ops, k->str) : NULL;

		if (!k)
			problem(c, &n->pos, "", true,
				"empty matcher in %s: WireMock refuses the "
				"file (write one such as {\"equalTo\": "
				"\"...\"})",
				where);
		else if (!strcmp(k->str, "binaryEqualTo") ||
			 !strcmp(k->str, "hasExactly") ||
			 !strcmp(k->str, "includes"))
			problem(c, &k->pos, k->str, true,
				"`%s` cannot match %s (it matches %s): "
				"WireMock refuses the file",
				k->str, where,
				k->str[0] == 'b' ? "a body, in `bodyPatterns`"
						 : "headers, queryParameters "
						   "and formParameters");
		else if (known(pattern_options, k->str))
			problem(c, &k->pos, k->str, true,
				"matcher in %s has the option `%s` but no "
				"operator such as \"equalTo\": WireMock "
				"refuses the file",
				where, k->str);
		else if (near)
			problem(c, &k->pos, k->str, true,
				"unknown matcher `%s` in %s: WireMock refuses "
				"the file (did you mean `%s`?)",
				k->str, where, near);
		else
			problem(c, &k->pos, k->str, true,
				"unknown matcher `%s` in %s: WireMock refuses "
				"the file (matchers: equalTo, contains, "
				"matches, equalToJson, absent, ...)",
				k->str, where);
		return;
	}
	name = op->key->str;
	v = op->value;
	if (known(text_ops, name) && !is_text(v)) {
		problem(c, &v->pos, name, true,
			"`%s` in %s takes text, not %s: WireMock refuses the "
			"file",
			name, where, shape(c, v));
	} else if (!strcmp(name, "equalToXml")) {
		const char *why = xml_problem(v->str);

		if (why)
			problem(c, &v->pos, name, true,
				"`equalToXml` in %s is not a well-formed XML "
				"document (%s): WireMock parses it when it "
				"loads the stub and refuses the file",
				where, why);
	} else if (!strcmp(name, "matchesJsonPath") && is_text(v) &&
		   jsonpath_problem(v->str)) {
		problem(c, &v->pos, name, true,
			"`matchesJsonPath` in %s is not a JSONPath WireMock "
			"compiles: %s; WireMock refuses the file",
			where, jsonpath_problem(v->str));
	} else if (!strcmp(name, "matches") || !strcmp(name, "doesNotMatch")) {
		regex_value(c, v, "the regex");
	} else if (!strcmp(name, "and") || !strcmp(name, "or")) {
		pattern_list(c, v, name, where, 2, depth);
	} else if (!strcmp(name, "not")) {
		pattern(c, v, where, PAT_STRING, depth + 1);
	} else if (!strcmp(name, "matchesJsonPath") ||
		   !strcmp(name, "matchesXPath")) {
		if (v->kind == CG_NODE_MAP &&
		    cg_map_get_pair(v, "expression") && v->n == 1)
			problem(c, &v->pos, name, true,
				"`%s` in %s has an `expression` but no "
				"matcher for its value (such as \"equalTo\"); "
				"write the expression as text to test that it "
				"matches: WireMock refuses the file",
				name, where);
		else if (v->kind == CG_NODE_MAP &&
			 cg_map_get_pair(v, "expression"))
			pattern(c, v, where, PAT_STRING, depth + 1);
		else if (!is_text(v))
			problem(c, &v->pos, name, true,
				"`%s` in %s takes an expression (text, or "
				"{\"expression\": ..., \"equalTo\": ...}): "
				"WireMock refuses the file",
				name, where);
	} else if (!strcmp(name, "equalToJson") ||
		   !strcmp(name, "matchesJsonSchema")) {
		json_operand(c, v, name, where);
	} else if (!strcmp(name, "binaryEqualTo")) {
		if (!is_text(v) || !base64_text(v->str, v->len))
			problem(c, &v->pos, name, true,
				"`binaryEqualTo` in %s is not base64: WireMock "
				"refuses the file",
				where);
	}
}

/* `key` of `req`: an object of name -> matcher (headers, cookies, ...). */
static void pattern_map(struct file_ctx *c, const struct cg_node *req,
			const char *key, enum pattern_kind kind)
{
	const struct cg_pair *p = get(req, key);
	struct cg_buf where = CG_BUF_INIT;

	if (!p)
		return;
	if (p->value->kind != CG_NODE_MAP) {
		problem(c, &p->value->pos, key, true,
			"`%s` must be an object of name: matcher, not %s: "
			"WireMock refuses the file",
			key, shape(c, p->value));
		return;
	}
	for (size_t i = 0; i < p->value->n; i++) {
		const struct cg_pair *e = &p->value->pairs[i];

		cg_buf_reset(&where);
		cg_buf_addf(&where, "`%s` `%s`", key, e->key->str);
		pattern(c, e->value, where.buf, kind, 0);
	}
	cg_buf_release(&where);
}

/* `bodyPatterns` of `req`: a list of matchers. */
static void content_list(struct file_ctx *c, const struct cg_node *req)
{
	const struct cg_pair *p = get(req, "bodyPatterns");

	if (!p)
		return;
	if (p->value->kind != CG_NODE_SEQ) {
		problem(c, &p->value->pos, "bodyPatterns", true,
			"`bodyPatterns` must be a list of matchers, not %s: "
			"WireMock refuses the file",
			shape(c, p->value));
		return;
	}
	for (size_t i = 0; i < p->value->n; i++)
		pattern(c, p->value->items[i], "`bodyPatterns`", PAT_CONTENT,
			0);
}

/* Response headers (`key` of `resp`, when an object: WireMock ignores
 * other values there): each is text or a non-empty list of texts. */
static void header_values(struct file_ctx *c, const struct cg_node *resp,
			  const char *key, const char *what)
{
	const struct cg_pair *p = get(resp, key);

	if (!p || p->value->kind != CG_NODE_MAP)
		return;
	for (size_t i = 0; i < p->value->n; i++) {
		const struct cg_pair *h = &p->value->pairs[i];
		const struct cg_node *v = h->value;
		bool ok = is_text(v) || (v->kind == CG_NODE_SEQ && v->n);

		for (size_t k = 0; v->kind == CG_NODE_SEQ && k < v->n; k++)
			ok = ok && is_text(v->items[k]);
		if (ok)
			continue;
		if (v->kind == CG_NODE_SEQ && !v->n)
			problem(c, &v->pos, h->key->str, true,
				"%s `%s` has an empty list of values: "
				"WireMock refuses the file",
				what, h->key->str);
		else
			problem(c, &v->pos, h->key->str, true,
				"%s `%s` must be text or a list of texts, "
				"not %s: WireMock refuses the file",
				what, h->key->str, shape(c, v));
	}
}

/* The pair `p` holds an object of the properties `props` only (a Jackson
 * bean with unknown properties failing); false when it is not an object
 * (a problem too). */
static bool closed_object(struct file_ctx *c, const struct cg_pair *p,
			  const char *const *props, const char *what)
{
	if (p->value->kind != CG_NODE_MAP) {
		problem(c, &p->value->pos, p->key->str, true,
			"%s must be an object, not %s: WireMock refuses the "
			"file",
			what, shape(c, p->value));
		return false;
	}
	unknown_props(c, p->value, props, what);
	return true;
}

static const char *const chunked_props[] = {"numberOfChunks", "totalDuration",
					    NULL};
static const char *const basic_auth_props[] = {"username", "password", NULL};
static const char *const custom_matcher_props[] = {"name", "parameters", NULL};
static const char *const multipart_props[] = {"name", "matchingType", "headers",
					      "bodyPatterns", NULL};

/* The matchers and typed properties of a request pattern. */
static void request_types(struct file_ctx *c, const struct cg_node *req)
{
	static const char *const text_props[] = {"url",
						 "urlPath",
						 "urlPattern",
						 "urlPathPattern",
						 "urlPathTemplate",
						 "scheme",
						 NULL};
	const struct cg_pair *p;
	long port;

	for (size_t i = 0; text_props[i]; i++)
		string_prop(c, req, text_props[i], "`request`");
	if ((p = get(req, "urlPattern")))
		regex_value(c, p->value, "`urlPattern`");
	if ((p = get(req, "urlPathPattern")))
		regex_value(c, p->value, "`urlPathPattern`");
	method_prop(c, req);
	int_prop(c, req, "port", "`port`", &port);
	pattern_map(c, req, "headers", PAT_MULTI);
	pattern_map(c, req, "queryParameters", PAT_MULTI);
	pattern_map(c, req, "formParameters", PAT_MULTI);
	pattern_map(c, req, "pathParameters", PAT_STRING);
	pattern_map(c, req, "cookies", PAT_STRING);
	if ((p = get(req, "host")))
		pattern(c, p->value, "`host`", PAT_STRING, 0);
	if ((p = get(req, "clientIp")))
		pattern(c, p->value, "`clientIp`", PAT_STRING, 0);
	content_list(c, req);
	if ((p = get(req, "basicAuthCredentials")))
		closed_object(c, p, basic_auth_props, "`basicAuthCredentials`");
	if ((p = get(req, "customMatcher")) &&
	    closed_object(c, p, custom_matcher_props, "`customMatcher`"))
		object_prop(c, p->value, "parameters", "`customMatcher`");
	if ((p = get(req, "multipartPatterns")) &&
	    p->value->kind != CG_NODE_SEQ)
		problem(c, &p->value->pos, "multipartPatterns", true,
			"`multipartPatterns` must be a list, not %s: WireMock "
			"refuses the file",
			shape(c, p->value));
	else if (p)
		for (size_t i = 0; i < p->value->n; i++) {
			const struct cg_node *part = p->value->items[i];
			const struct cg_pair *type;

			if (part->kind != CG_NODE_MAP)
				continue;
			unknown_props(c, part, multipart_props,
				      "a part of `multipartPatterns`");
			type = get(part, "matchingType");
			if (type && (!is_text(type->value) ||
				     (strcmp(type->value->str, "ALL") &&
				      strcmp(type->value->str, "ANY"))))
				problem(c, &type->value->pos, "matchingType",
					true,
					"`matchingType` must be \"ALL\" or "
					"\"ANY\", not %s: WireMock refuses "
					"the file",
					shape(c, type->value));
			pattern_map(c, part, "headers", PAT_MULTI);
			content_list(c, part);
		}
}

/* Fault names of com.github.tomakehurst.wiremock.http.Fault. */
static const char *const faults[] = {
    "EMPTY_RESPONSE", "MALFORMED_RESPONSE_CHUNK", "RANDOM_DATA_THEN_CLOSE",
    "CONNECTION_RESET_BY_PEER", NULL};

/* The typed properties of a response definition. */
static void response_types(struct file_ctx *c, const struct cg_node *resp)
{
	static const char *const text_props[] = {
	    "statusMessage",	      "body", "bodyFileName", "proxyBaseUrl",
	    "proxyUrlPrefixToRemove", NULL};
	const struct cg_pair *p;
	long delay;

	for (size_t i = 0; text_props[i]; i++)
		string_prop(c, resp, text_props[i], "`response`");
	int_prop(c, resp, "fixedDelayMilliseconds", "`fixedDelayMilliseconds`",
		 &delay);
	base64_prop(c, resp, "base64Body", "`response`");
	object_prop(c, resp, "transformerParameters", "`response`");
	if ((p = get(resp, "transformers")) && p->value->kind != CG_NODE_SEQ)
		problem(c, &p->value->pos, "transformers", true,
			"`transformers` must be a list of names, not %s: "
			"WireMock refuses the file",
			shape(c, p->value));
	if ((p = get(resp, "fault")) && is_text(p->value) &&
	    !known(faults, p->value->str))
		problem(c, &p->value->pos, p->value->str, true,
			"unknown fault `%s`: WireMock refuses the file "
			"(faults: EMPTY_RESPONSE, MALFORMED_RESPONSE_CHUNK, "
			"RANDOM_DATA_THEN_CLOSE, CONNECTION_RESET_BY_PEER)",
			p->value->str);
	if ((p = get(resp, "delayDistribution"))) {
		const struct cg_pair *t = p->value->kind == CG_NODE_MAP
					      ? get(p->value, "type")
					      : NULL;

		static const char *const uniform[] = {"type", "lower", "upper",
						      NULL};
		static const char *const lognormal[] = {
		    "type", "median", "sigma", "maxValue", NULL};
		static const char *const fixed[] = {"type", "milliseconds",
						    NULL};
		const char *const *props = NULL;

		if (t && is_text(t->value))
			props = !strcmp(t->value->str, "uniform") ? uniform
				: !strcmp(t->value->str, "lognormal")
				    ? lognormal
				: !strcmp(t->value->str, "fixed") ? fixed
								  : NULL;
		if (!props) {
			problem(c, &p->value->pos, "delayDistribution", true,
				"`delayDistribution` needs a `type` of "
				"\"uniform\", \"lognormal\" or \"fixed\": "
				"WireMock refuses the file");
		} else {
			unknown_props(c, p->value, props,
				      "`delayDistribution`");
			int_prop(c, p->value, "lower", "`lower`", &delay);
			int_prop(c, p->value, "upper", "`upper`", &delay);
			int_prop(c, p->value, "milliseconds", "`milliseconds`",
				 &delay);
			number_prop(c, p->value, "median");
			number_prop(c, p->value, "sigma");
			number_prop(c, p->value, "maxValue");
		}
	}
	header_values(c, resp, "headers", "response header");
	header_values(c, resp, "additionalProxyRequestHeaders",
		      "proxy request header");
	if ((p = get(resp, "removeProxyRequestHeaders")) &&
	    p->value->kind != CG_NODE_SEQ)
		problem(c, &p->value->pos, "removeProxyRequestHeaders", true,
			"`removeProxyRequestHeaders` must be a list of names, "
			"not %s: WireMock refuses the file",
			shape(c, p->value));
	bool_prop(c, resp, "fromConfiguredStub", "`response`");
	if ((p = get(resp, "chunkedDribbleDelay")) &&
	    closed_object(c, p, chunked_props, "`chunkedDribbleDelay`")) {
		int_prop(c, p->value, "numberOfChunks", "`numberOfChunks`",
			 &delay);
		int_prop(c, p->value, "totalDuration", "`totalDuration`",
			 &delay);
	}
}

/* An item of postServeActions or serveEventListeners. */
static const char *const listener_props[] = {"name", "parameters",
					     "requestPhases", NULL};

/* The typed properties of a stub. */
static void stub_types(struct file_ctx *c, const struct cg_node *n)
{
	static const char *const text_props[] = {"name", "scenarioName",
						 "requiredScenarioState",
						 "newScenarioState", NULL};
	long index;

	for (size_t i = 0; text_props[i]; i++)
		string_prop(c, n, text_props[i], "a stub mapping");
	bool_prop(c, n, "persistent", "a stub mapping");
	for (size_t k = 0; k < 2; k++) {
		static const char *const lists[] = {"postServeActions",
						    "serveEventListeners"};
		const struct cg_pair *p = get(n, lists[k]);

		for (size_t i = 0;
		     p && p->value->kind == CG_NODE_SEQ && i < p->value->n; i++)
			if (p->value->items[i]->kind == CG_NODE_MAP)
				unknown_props(c, p->value->items[i],
					      listener_props,
					      k ? "a serve event listener"
						: "a post-serve action");
			else
				problem(c, &p->value->items[i]->pos, lists[k],
					true,
					"an item of `%s` must be an object "
					"such as {\"name\": \"webhook\"}, not "
					"%s: WireMock refuses the file",
					lists[k], shape(c, p->value->items[i]));
	}
	object_prop(c, n, "metadata", "a stub mapping");
	int_prop(c, n, "insertionIndex", "`insertionIndex`", &index);
}

/* Text Jackson reads as a java.util.UUID: 36 characters, hex digits with
 * '-' at 8, 13, 18 and 23, or 24 characters of base64 (16 bytes). */
static bool uuid_text(const char *s, size_t len)
{
	if (len == 24) {
		for (size_t i = 0; i < len; i++)
			if (!((s[i] >= 'A' && s[i] <= 'Z') ||
			      (s[i] >= 'a' && s[i] <= 'z') ||
			      (s[i] >= '0' && s[i] <= '9') || s[i] == '+' ||
			      s[i] == '/' || s[i] == '=' || s[i] == '-' ||
			      s[i] == '_'))
				return false;
		return true;
	}
	if (len != 36)
		return false;
	for (size_t i = 0; i < len; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		bool hex = (s[i] >= '0' && s[i] <= '9') ||
			   (s[i] >= 'a' && s[i] <= 'f') ||
			   (s[i] >= 'A' && s[i] <= 'F');

		if (dash ? s[i] != '-' : !hex)
			return false;
	}
	return true;
}

/* `id` and `uuid` are UUIDs: other text, a number, true/false and
 * collections fail the file ("" is null). */
static void uuid_props(struct file_ctx *c, const struct cg_node *n)
{
	static const char *const keys[] = {"id", "uuid"};

	for (size_t k = 0; k < 2; k++) {
		const struct cg_pair *p = get(n, keys[k]);

		if (!p || (is_text(p->value) &&
			   (!p->value->len ||
			    uuid_text(p->value->str, p->value->len))))
			continue;
		if (!is_text(p->value)) {
			problem(c, &p->value->pos, keys[k], true,
				"`%s` must be a UUID in quotes, not %s: "
				"WireMock refuses the file",
				keys[k], shape(c, p->value));
			continue;
		}
		problem(c, &p->value->pos, p->value->str, true,
			"`%s` `%s` is not a UUID: WireMock refuses the file "
			"(leave it out, or write one such as "
			"8c5db8b0-2db4-4ad7-a99c-b1d4fcd8e5b9)",
			keys[k], p->value->str);
	}
}

static const char *scalar_or_null(const struct cg_node *n, const char *key)
{
	const struct cg_pair *p = get(n, key);

	return p && p->value->kind == CG_NODE_SCALAR ? p->value->str : NULL;
}

/*
 * Jackson reads every occurrence of a key given twice and keeps the last,
 * so a first value it refuses fails the file although the last is good
 * ({"status": "abc", "status": 200}). The checks read the last occurrence
 * (cg_map_get_pair); this view of `n`, with the first occurrence of each
 * key, lets them read the first too. NULL when no key is given twice, or
 * for a map of more than MAX_VIEW_KEYS keys (not looked at).
 */
static const struct cg_node *first_view(struct file_ctx *c,
					const struct cg_node *n)
{
	struct cg_node *v;
	struct cg_pair *pairs;
	uint32_t np = 0;

	if (n->kind != CG_NODE_MAP || n->n < 2 || n->n > MAX_VIEW_KEYS)
		return NULL;
	pairs = NULL;
	for (uint32_t i = 0; i < n->n; i++) {
		bool seen = false;

		for (uint32_t k = 0; k < i && !seen; k++)
			seen =
			    !strcmp(n->pairs[k].key->str, n->pairs[i].key->str);
		if (seen && !pairs) {
			pairs =
			    cg_arena_alloc(&c->m->arena, n->n * sizeof(*pairs));
			memcpy(pairs, n->pairs, i * sizeof(*pairs));
			np = i;
		} else if (!seen && pairs) {
			pairs[np++] = n->pairs[i];
		}
	}
	if (!pairs)
		return NULL;
	v = cg_arena_alloc(&c->m->arena, sizeof(*v));
	*v = *n;
	v->pairs = pairs;
	v->n = np;
	return v;
}

static void request_facts(struct file_ctx *c, struct cg_wm_mapping *row,
			  const struct cg_node *req)
{
	struct cg_buf key = CG_BUF_INIT;
	const struct cg_node *first;
	const char *method = NULL;

	unknown_props(c, req, request_props, "`request`");
	request_types(c, req);
	if ((first = first_view(c, req)))
		request_types(c, first);
	for (size_t i = 0; i < NURL_KEYS; i++) {
		const struct cg_pair *p = get(req, url_keys[i].key);

		if (p && p->value->kind == CG_NODE_SCALAR) {
			row->url_kind = url_keys[i].kind;
			row->url = p->value->str;
			break;
		}
	}
	method = scalar_or_null(req, "method");
	row->method = method ? method : "ANY";
	/* WireMock takes a missing method for ANY: so does the key */
	if (cg_map_get_pair(req, "method"))
		canon(&key, req, 0);
	else
		canon_map(&key, req, 0, "method", "ANY");
	row->request_key = cg_arena_strdup(&c->m->arena, key.buf);
	cg_buf_release(&key);
	if (!method && row->url_kind == CG_WM_URL_ANY && !c->fatal)
		problem(c, &row->request_pos, "request", false,
			"`request` has neither `method` nor a URL matcher "
			"(url, urlPath, urlPattern, urlPathPattern, "
			"urlPathTemplate): the stub answers every request");
}

static void response_facts(struct file_ctx *c, struct cg_wm_mapping *row,
			   const struct cg_node *resp)
{
	const struct cg_node *first;
	const struct cg_pair *body;
	long status = 200;

	unknown_props(c, resp, response_props, "`response`");
	response_types(c, resp);
	int_prop(c, resp, "status", "`status`", &status);
	if ((first = first_view(c, resp))) {
		long ignored;

		response_types(c, first);
		int_prop(c, first, "status", "`status`", &ignored);
	}
	body = get(resp, "bodyFileName");
	if (body && body->value->kind == CG_NODE_SCALAR) {
		row->body_file = body->value->str;
		row->body_file_pos = body->value->pos;
		row->body_file_templated =
		    strstr(body->value->str, "{{") != NULL;
	}
}

/* The UUID a stub item states (`id`, else `uuid`), or NULL. */
static const struct cg_node *stub_id(const struct cg_node *n)
{
	const struct cg_pair *p = get(n, "id");

	if (!p)
		p = get(n, "uuid");
	return p && is_text(p->value) && p->value->len == 36 ? p->value : NULL;
}

/* The checks of a stub on the first occurrences of its keys (first_view):
 * what the facts come from is the last occurrence, read by stub(). */
static void first_occurrences(struct file_ctx *c, const struct cg_node *n)
{
	const struct cg_pair *p;
	long ignored;

	uuid_props(c, n);
	stub_types(c, n);
	int_prop(c, n, "priority", "`priority`", &ignored);
	if ((p = get(n, "request")) && p->value->kind != CG_NODE_MAP)
		problem(c, &p->value->pos, "request", true,
			"`request` must be an object: WireMock refuses the "
			"file");
	else if (p)
		request_types(c, p->value);
	if ((p = get(n, "response")) && p->value->kind != CG_NODE_MAP)
		problem(c, &p->value->pos, "response", true,
			"`response` must be an object: WireMock refuses the "
			"file");
	else if (p) {
		response_types(c, p->value);
		int_prop(c, p->value, "status", "`status`", &ignored);
	}
}

/* One stub: the whole file's object, or an item of `mappings`. */
static void stub(struct file_ctx *c, const struct cg_node *n,
		 const char *const *props)
{
	struct cg_wm_facts *w = &c->m->facts.wiremock;
	struct cg_wm_mapping row = {0};
	const struct cg_node *first, *id;
	const struct cg_pair *req, *resp;

	row.src = c->src;
	row.mappings_dir = c->mappings_dir;
	/* the stub's first character, `{`: from the node, not from the
	 * source (finding a column rescans a minified file's one line) */
	row.pos = n->pos;
	row.pos.end_line = n->pos.line;
	row.pos.end_col = n->pos.col + 1;
	row.request_pos = row.pos;
	row.priority = DEFAULT_PRIORITY;
	row.method = "ANY";
	row.loads = true;
	unknown_props(c, n, props, "a stub mapping");
	uuid_props(c, n);
	stub_types(c, n);
	int_prop(c, n, "priority", "`priority`", &row.priority);
	if ((id = stub_id(n))) {
		char *lower = cg_arena_strdup(&c->m->arena, id->str);

		for (char *q = lower; *q; q++)
			if (*q >= 'A' && *q <= 'F')
				*q = (char)(*q - 'A' + 'a');
		row.id = lower;
		row.id_pos = id->pos;
	}
	row.scenario = scalar_or_null(n, "scenarioName");
	row.required_state = scalar_or_null(n, "requiredScenarioState");

	req = get(n, "request");
	if (req && req->value->kind != CG_NODE_MAP) {
		problem(c, &req->value->pos, "request", true,
			"`request` must be an object: WireMock refuses the "
			"file");
	} else if (req) {
		row.has_request = true;
		row.request_pos = req->key->pos;
		request_facts(c, &row, req->value);
	} else if (!c->fatal) {
		/* (after a typo such as "reqeust", that one says it) */
		problem(c, &row.pos, "request", false,
			"the stub has no `request`: WireMock makes it answer "
			"every request");
	}

	resp = get(n, "response");
	if (resp && resp->value->kind != CG_NODE_MAP)
		problem(c, &resp->value->pos, "response", true,
			"`response` must be an object: WireMock refuses the "
			"file");
	else if (resp)
		response_facts(c, &row, resp->value);
	else if (!c->fatal)
		problem(c, &row.pos, "response", false,
			"the stub has no `response`: WireMock answers 200 with "
			"an empty body");

	if ((first = first_view(c, n)))
		first_occurrences(c, first);

	CG_GROW(w->mappings, w->mappings_alloc, w->nmappings + 1);
	w->mappings[w->nmappings++] = row;
}

/* A stub's id, for sorting the ids of one file's list. */
struct list_id {
	const struct cg_node *id;
	size_t index; /* in the list */
};

/* Ids compare as UUIDs: hex digits in either case are the same. */
static int cmp_list_id(const void *a, const void *b)
{
	const struct list_id *x = a, *y = b;

	for (size_t j = 0; j < 36; j++) {
		int cx = x->id->str[j] | 0x20, cy = y->id->str[j] | 0x20;

		if (cx != cy)
			return cx < cy ? -1 : 1;
	}
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Items of the list `items` with the id of an earlier item: WireMock
 * loads the first and refuses the rest (422, "Duplicate stub mapping
 * ID"), which stops it at startup. Sorted, not compared pairwise: a file
 * may hold tens of thousands of stubs. */
static void duplicate_ids_in_list(struct file_ctx *c,
				  const struct cg_node *items)
{
	struct list_id *ids = cg_xcalloc(items->n ? items->n : 1, sizeof(*ids));
	size_t n = 0;

	for (size_t i = 0; i < items->n; i++) {
		const struct cg_node *it = items->items[i], *id;

		if (it->kind == CG_NODE_MAP && (id = stub_id(it)))
			ids[n++] = (struct list_id){id, i};
	}
	qsort(ids, n, sizeof(*ids), cmp_list_id);
	for (size_t i = 1, first = 0; i < n; i++) {
		const struct cg_node *id = ids[i].id, *oid = ids[first].id;
		bool same = true;

		for (size_t j = 0; same && j < 36; j++)
			same = (id->str[j] | 0x20) == (oid->str[j] | 0x20);
		if (!same) {
			first = i;
			continue;
		}
		problem(c, &id->pos, id->str, true,
			"stub id `%s` is already the id of the stub "
			"at line %u: WireMock refuses the second "
			"(Duplicate stub mapping ID) and does not "
			"start",
			id->str, (unsigned)oid->pos.line);
	}
	free(ids);
}

/* ------------------------------------------------------------- files */

/* The conventional mappings folder `path` is in: the first
 * `wiremock/mappings/` or `src/test/resources/mappings/` on it, at a
 * folder boundary. Its length, or 0. */
static size_t conventional_dir(const char *path)
{
	static const char *const roots[] = {"wiremock/mappings/",
					    "src/test/resources/mappings/"};

	for (const char *p = path; *p; p++) {
		if (p != path && p[-1] != '/')
			continue;
		for (size_t k = 0; k < 2; k++)
			if (cg_starts_with(p, roots[k]))
				return (size_t)(p - path) + strlen(roots[k]) -
				       1;
	}
	return 0;
}

/* The reader's message without its "path:line:col: " (the finding has
 * them). */
static const char *reader_message(const char *msg, const char *path)
{
	const char *s = msg;
	size_t pl = strlen(path);

	if (strncmp(s, path, pl) || s[pl] != ':')
		return msg;
	s += pl + 1;
	for (int k = 0; k < 2; k++) {
		while (*s >= '0' && *s <= '9')
			s++;
		if (*s++ != ':')
			return msg;
	}
	while (*s == ' ')
		s++;
	return *s ? s : msg;
}

static bool claims(const char *path)
{
	return conventional_dir(path) > 0;
}

static void build(struct cg_model *m, struct cg_file *f)
{
	struct cg_load_limits lim = CG_LOAD_LIMITS_DEFAULT;
	struct cg_buf text = CG_BUF_INIT;
	struct file_ctx c = {0};
	const struct cg_node *root, *first;
	const struct cg_pair *list, *early;
	size_t off = 0, dl = conventional_dir(f->src.path);
	int err;

	c.m = m;
	c.src = &f->src;
	c.mappings_dir =
	    dl ? cg_arena_strndup(&m->arena, f->src.path, dl) : NULL;
	c.first_mapping = m->facts.wiremock.nmappings;
	c.first_problem = m->facts.wiremock.nproblems;
	m->facts.wiremock.nmapping_files++;
	/* Jackson's StreamReadConstraints: 1000 levels load, 1001 do not */
	lim.max_depth = JACKSON_MAX_DEPTH;
	/* the file came as bytes (.bytes): UTF-16 and UTF-32 load as well */
	err = cg_json_decode_bytes(f->src.text, f->src.len, &text, &off);
	if (err > 0) {
		size_t len = text.len;

		cg_src_replace_text(&f->src, cg_buf_detach(&text, NULL), len);
		off = 0;
	}
	cg_buf_release(&text);
	if (err >= 0)
		err = cg_json_load_at(&f->tree, &f->src, CG_JSON_WIREMOCK, &lim,
				      &off);
	if (err < 0) {
		struct cg_pos pos = point(&f->src, off);

		problem(&c, &pos, "", true,
			"WireMock cannot read this file: %s",
			reader_message(cg_error_last(), f->src.path));
		cg_error_clear();
		return;
	}
	root = f->tree.docs[0];
	if (root->kind != CG_NODE_MAP) {
		struct cg_pos pos = point(&f->src, root->start);

		problem(&c, &pos, "", true,
			"a mapping file holds one stub (an object) or "
			"{\"mappings\": [...]}: WireMock cannot read this one");
		return;
	}
	list = get(root, "mappings");
	if (list && (first = first_view(&c, root)) &&
	    (early = get(first, "mappings")) &&
	    early->value->kind != CG_NODE_SEQ)
		problem(&c, &early->value->pos, "mappings", true,
			"`mappings` must be a list of stubs: WireMock refuses "
			"the file");
	if (!list) {
		stub(&c, root, file_props);
	} else if (list->value->kind != CG_NODE_SEQ) {
		problem(&c, &list->value->pos, "mappings", true,
			"`mappings` must be a list of stubs: WireMock refuses "
			"the file");
	} else {
		/* WireMock reads the stubs of the list; the rest of the
		 * object only for unknown names */
		unknown_props(&c, root, file_props, "a mapping file");
		for (size_t i = 0; i < list->value->n; i++) {
			const struct cg_node *it = list->value->items[i];

			if (it->kind == CG_NODE_MAP) {
				stub(&c, it, stub_props);
			} else if (is_null(it))
				problem(&c, &it->pos, "mappings", true,
					"an item of `mappings` is null: "
					"WireMock refuses the file");
			else
				problem(&c, &it->pos, "mappings", true,
					"an item of `mappings` must be a stub "
					"(an object): WireMock refuses the "
					"file");
		}
		duplicate_ids_in_list(&c, list->value);
	}
	if (c.fatal)
		for (size_t i = c.first_mapping;
		     i < m->facts.wiremock.nmappings; i++)
			m->facts.wiremock.mappings[i].loads = false;
}

/* ------------------------------------------------------------ finish */

/* The index of the first of m->paths not less than `key`. */
static size_t lower_bound(const struct cg_model *m, const char *key)
{
	size_t lo = 0, hi = m->npaths;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(m->paths[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool has_file(const struct cg_model *m, const char *path)
{
	size_t i = lower_bound(m, path);

	return i < m->npaths && !strcmp(m->paths[i], path);
}

/* What a mount target is to a WireMock server whose root is `root`. */
enum mount_role { MOUNT_OTHER, MOUNT_ROOT, MOUNT_MAPPINGS, MOUNT_FILES };

static enum mount_role mount_role(const char *t, const char *root)
{
	size_t n = t ? strlen(t) : 0, rl = strlen(root);
	const char *rest;

	while (n > 1 && t[n - 1] == '/')
		n--;
	if (n < rl || memcmp(t, root, rl) || (n > rl && t[rl] != '/'))
		return MOUNT_OTHER;
	if (n == rl)
		return MOUNT_ROOT;
	rest = t + rl + 1;
	n -= rl + 1;
	if (n >= 8 && !memcmp(rest, "mappings", 8) &&
	    (n == 8 || rest[8] == '/'))
		return MOUNT_MAPPINGS;
	if (n >= 7 && !memcmp(rest, "__files", 7) && (n == 7 || rest[7] == '/'))
		return MOUNT_FILES;
	return MOUNT_OTHER;
}

/* The root folder of the WireMock server compose service `service` runs:
 * its command's `--root-dir DIR` (or `--root-dir=DIR`), else the image's
 * /home/wiremock. In the model's arena. */
static const char *service_root(struct cg_model *m, size_t service)
{
	const struct cg_service_fact *svc = &m->facts.services[service];
	const char *dir = NULL;

	for (size_t i = 0; svc->kind == CG_SERVICE_WIREMOCK &&
			   i < m->facts.nprocesses && !dir;
	     i++) {
		const struct cg_process_fact *p = &m->facts.processes[i];

		if (p->origin != CG_PROCESS_COMPOSE ||
		    p->scope != svc->own_scope)
			continue;
		for (size_t k = 0; k < p->argc && !dir; k++) {
			if (!strcmp(p->argv[k], "--root-dir") &&
			    k + 1 < p->argc)
				dir = p->argv[k + 1];
			else if (cg_starts_with(p->argv[k], "--root-dir="))
				dir = p->argv[k] + strlen("--root-dir=");
		}
	}
	if (dir && dir[0] == '/' && dir[1]) {
		size_t n = strlen(dir);

		while (n > 1 && dir[n - 1] == '/')
			n--;
		return cg_arena_strndup(&m->arena, dir, n);
	}
	return "/home/wiremock";
}

/* The compose service whose `volumes:` holds `ref`: the last service of
 * its file whose key comes before it. CG_NO_INDEX when none. */
static size_t mount_service(const struct cg_model *m,
			    const struct cg_file_ref *ref)
{
	size_t best = CG_NO_INDEX;

	for (size_t i = 0; i < m->facts.nservices; i++) {
		const struct cg_service_fact *s = &m->facts.services[i];

		if (s->src != ref->src || s->place != CG_PLACE_COMPOSE)
			continue;
		if (s->pos.line < ref->pos.line ||
		    (s->pos.line == ref->pos.line && s->pos.col < ref->pos.col))
			best = i;
	}
	return best;
}

/* Read the mapping files under folder `dir` (or `dir` itself when it is
 * a .json file); their rows without a folder get `dir`. Returns how many
 * there are. */
static size_t read_mount(struct cg_model *m, const char *dir,
			 const char *files_dir)
{
	char *prefix = cg_xasprintf("%s/", dir);
	size_t n = 0, len = strlen(prefix);

	if (cg_ends_with(dir, ".json") && has_file(m, dir)) {
		cg_model_read_file(m, dir, &cg_loader_wiremock);
		n++;
	}
	for (size_t i = lower_bound(m, prefix);
	     i < m->npaths && n < MAX_MOUNT_FILES &&
	     !strncmp(m->paths[i], prefix, len);
	     i++) {
		if (!cg_ends_with(m->paths[i], ".json"))
			continue;
		n++;
		cg_model_read_file(m, m->paths[i], &cg_loader_wiremock);
	}
	/* rows read now, or before by the conventional patterns: those
	 * without a folder are this mount's */
	for (size_t i = 0; i < m->facts.wiremock.nmappings; i++) {
		struct cg_wm_mapping *r = &m->facts.wiremock.mappings[i];

		if (r->mappings_dir || (!cg_starts_with(r->src->path, prefix) &&
					strcmp(r->src->path, dir)))
			continue;
		r->mappings_dir = cg_arena_strdup(&m->arena, dir);
		r->files_dir =
		    files_dir ? cg_arena_strdup(&m->arena, files_dir) : NULL;
	}
	free(prefix);
	return n;
}

/* A file under `dir` (or `dir` itself a file), looking at no more than
 * *budget entries. */
static bool disk_has_file(const char *dir, unsigned depth, size_t *budget)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	bool found = false;

	if (stat(dir, &st) < 0)
		return false;
	if (!S_ISDIR(st.st_mode))
		return true;
	d = depth < 16 ? opendir(dir) : NULL;
	while (d && !found && *budget && (e = readdir(d))) {
		char *sub;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		(*budget)--;
		sub = cg_xasprintf("%s/%s", dir, e->d_name);
		found = disk_has_file(sub, depth + 1, budget);
		free(sub);
	}
	if (d)
		closedir(d);
	return found;
}

/* Is there something at `path` on disk: 0 nothing, 1 an empty folder,
 * 2 a file or a folder with a file. */
static int on_disk(const struct cg_model *m, const char *path)
{
	char *full;
	struct stat st;
	size_t budget = 4096;
	int what = 0;

	if (m->opt.nmem_files || m->opt.staged)
		return 0;
	full = cg_xasprintf("%s/%s", m->opt.root, path);
	if (stat(full, &st) == 0)
		what = disk_has_file(full, 0, &budget) ? 2 : 1;
	free(full);
	return what;
}

/* A compose bind mount (a MAPPINGS or VOLUME row) with the service
 * that has it, and what it is to that service's WireMock root. */
struct mount {
	const char *path;
	size_t service;
	enum mount_role role;
	const struct cg_src *src;
	struct cg_pos pos;
};

/* The compose bind mounts into a WireMock root (/home/wiremock, or the
 * service's --root-dir): sources, and the mapping files under them. */
static void mounts(struct cg_model *m)
{
	struct mount *v = NULL;
	size_t n = 0, alloc = 0;

	/* first what each mount is: reading files below adds no ref, but
	 * keeps no pointer into the tables either */
	for (size_t i = 0; i < m->facts.nfile_refs; i++) {
		const struct cg_file_ref *r = &m->facts.file_refs[i];
		size_t svc;
		enum mount_role role;

		if ((r->kind != CG_REF_MAPPINGS && r->kind != CG_REF_VOLUME) ||
		    !r->target || r->group != CG_NO_GROUP ||
		    (svc = mount_service(m, r)) == CG_NO_INDEX)
			continue;
		role = mount_role(r->target, service_root(m, svc));
		if (role == MOUNT_OTHER)
			continue;
		CG_GROW(v, alloc, n + 1);
		v[n].path = r->path;
		v[n].service = svc;
		v[n].role = role;
		v[n].src = r->src;
		v[n].pos = r->pos;
		n++;
	}
	for (size_t i = 0; i < n; i++) {
		struct cg_wm_source s = {0};
		struct cg_wm_facts *w;
		char *mdir, *fdir = NULL;

		if (v[i].role != MOUNT_ROOT && v[i].role != MOUNT_MAPPINGS)
			continue;
		s.kind = CG_WM_SOURCE_MOUNT;
		s.service = v[i].service;
		s.path = v[i].path;
		s.src = v[i].src;
		s.pos = v[i].pos;
		if (v[i].role == MOUNT_ROOT) {
			mdir = cg_xasprintf("%s/mappings", s.path);
			fdir = cg_xasprintf("%s/__files", s.path);
		} else {
			mdir = cg_xstrdup(s.path);
			/* a __files mount of the same service */
			for (size_t k = 0; k < n && !fdir; k++)
				if (v[k].role == MOUNT_FILES &&
				    v[k].service == s.service)
					fdir = cg_xstrdup(v[k].path);
		}
		if (cg_model_has_path(m, s.path)) {
			s.exists = true;
		} else {
			int disk = on_disk(m, s.path);

			s.exists = disk > 0;
			s.unlisted = disk == 2;
		}
		s.nmapping_files = read_mount(m, mdir, fdir);
		w = &m->facts.wiremock;
		CG_GROW(w->sources, w->sources_alloc, w->nsources + 1);
		w->sources[w->nsources++] = s;
		free(mdir);
		free(fdir);
	}
	free(v);
}

/* Each stub's bodyFileName against the files of its `__files/`. */
static void body_files(struct cg_model *m)
{
	struct cg_wm_facts *w = &m->facts.wiremock;
	size_t n = w->nmappings;

	for (size_t i = 0; i < n; i++) {
		struct cg_wm_mapping *r = &w->mappings[i];
		struct file_ctx c = {0};
		char *path;

		if (r->mappings_dir && !r->files_dir &&
		    conventional_dir(r->src->path)) {
			/* a conventional root: `__files` beside `mappings` */
			const char *slash = strrchr(r->mappings_dir, '/');
			struct cg_buf b = CG_BUF_INIT;

			if (slash)
				cg_buf_addf(&b, "%.*s/",
					    (int)(slash - r->mappings_dir),
					    r->mappings_dir);
			cg_buf_addstr(&b, "__files");
			r->files_dir = cg_arena_strdup(&m->arena, b.buf);
			cg_buf_release(&b);
		}
		if (!r->body_file || r->body_file_templated || !r->files_dir)
			continue;
		path = cg_model_path(r->files_dir, r->body_file);
		/* an absolute name, or one out of `__files/`: not judged */
		if (!path || !cg_starts_with(path, r->files_dir) ||
		    path[strlen(r->files_dir)] != '/') {
			free(path);
			continue;
		}
		r->body_file_found = has_file(m, path);
		free(path);
		if (r->body_file_found || !r->loads)
			continue;
		c.m = m;
		c.src = r->src;
		problem(
		    &c, &r->body_file_pos, r->body_file, false,
		    "bodyFileName `%s` is not in %s/: WireMock answers this "
		    "stub with an error",
		    r->body_file, r->files_dir);
	}
}

/* ------------------------------------------------- CI: loading steps */

static bool has_word(const struct cg_sh_cmd *cmd, const char *w)
{
	for (size_t i = 1; i < cmd->nwords; i++)
		if (!strcmp(cmd->words[i].text, w))
			return true;
	return false;
}

/* The word names the admin API that adds stubs: `/__admin/mappings` or
 * `/__admin/mappings/import`, maybe with a query. */
static bool admin_mappings_url(const char *w)
{
	const char *p = strstr(w, "/__admin/mappings");

	if (!p)
		return false;
	p += strlen("/__admin/mappings");
	if (cg_starts_with(p, "/import"))
		p += strlen("/import");
	while (*p == '/')
		p++;
	return !*p || *p == '?' || *p == '"' || *p == '\'';
}

/* The request is a POST: curl with a body or -X POST, wget with
 * --post-*, or a `POST` word (httpie, scripts). */
static bool posts(const struct cg_sh_cmd *cmd)
{
	for (size_t i = 1; i < cmd->nwords; i++) {
		const char *w = cmd->words[i].text;

		if (!strcmp(w, "-d") || cg_starts_with(w, "--data") ||
		    !strcmp(w, "-F") || cg_starts_with(w, "--form") ||
		    !strcmp(w, "--json") || cg_starts_with(w, "--post-") ||
		    !strcmp(w, "--method=POST") || !strcmp(w, "-XPOST") ||
		    !strcmp(w, "POST") || !strcmp(w, "post"))
			return true;
		/* -d@file, -dX: curl takes the data glued to the flag */
		if (w[0] == '-' && w[1] == 'd' && w[2])
			return true;
	}
	return false;
}

static enum cg_wm_source_kind loads_stubs(const struct cg_sh_cmd *cmd,
					  bool *yes)
{
	*yes = false;
	if (cmd->kind != CG_SH_SIMPLE || !cmd->nwords)
		return CG_WM_SOURCE_ADMIN_API;
	if (!strcmp(cmd->words[0].text, "docker") && has_word(cmd, "cp")) {
		*yes = true;
		return CG_WM_SOURCE_DOCKER_CP;
	}
	for (size_t i = 1; i < cmd->nwords; i++)
		if (admin_mappings_url(cmd->words[i].text)) {
			*yes = posts(cmd);
			break;
		}
	return CG_WM_SOURCE_ADMIN_API;
}

struct walk {
	struct cg_model *m;
	size_t group;
	const struct cg_script *s;
	/* walking a repository script the job runs (s is NULL): the
	 * reference to it, where its loading is shown */
	const struct cg_file_ref *via;
};

static void add_loading(struct walk *w, enum cg_wm_source_kind kind,
			const struct cg_sh_cmd *cmd)
{
	const struct cg_script_group *g = &w->m->facts.groups[w->group];
	struct cg_wm_facts *f = &w->m->facts.wiremock;

	for (size_t i = 0; i < g->nservices; i++) {
		struct cg_wm_source s = {0};

		if (w->m->facts.services[g->services[i]].kind !=
		    CG_SERVICE_WIREMOCK)
			continue;
		s.kind = kind;
		s.service = g->services[i];
		if (w->s) {
			s.src = cg_script_src(w->s, cmd->start);
			s.pos = cg_script_pos(w->s, cmd->start, cmd->end);
		} else {
			s.src = w->via->src;
			s.pos = w->via->pos;
		}
		CG_GROW(f->sources, f->sources_alloc, f->nsources + 1);
		f->sources[f->nsources++] = s;
	}
}

static void walk_script(struct walk *w, const struct cg_script *s,
			unsigned depth);

static void walk_list(struct walk *w, const struct cg_sh_list *l,
		      unsigned depth)
{
	if (!l || depth > MAX_DEPTH)
		return;
	for (size_t i = 0; i < l->n; i++) {
		const struct cg_sh_andor *ao = &l->items[i];

		for (size_t p = 0; p < ao->n; p++) {
			const struct cg_sh_pipeline *pl = &ao->pipes[p];

			for (size_t k = 0; k < pl->n; k++) {
				const struct cg_sh_cmd *cmd = &pl->cmds[k];
				const struct cg_nested_script *ns;
				enum cg_wm_source_kind kind;
				bool yes;

				for (size_t b = 0; b < 3; b++)
					walk_list(w, cmd->body[b], depth + 1);
				for (size_t a = 0; a < cmd->narms; a++)
					walk_list(w, cmd->arms[a], depth + 1);
				if (cmd->kind != CG_SH_SIMPLE)
					continue;
				kind = loads_stubs(cmd, &yes);
				if (yes)
					add_loading(w, kind, cmd);
				ns = w->s ? cg_script_nested_at(w->s, cmd)
					  : NULL;
				if (ns && ns->script)
					walk_script(w, ns->script, depth + 1);
			}
		}
	}
}

static void walk_script(struct walk *w, const struct cg_script *s,
			unsigned depth)
{
	const struct cg_script *outer = w->s;

	if (depth > MAX_DEPTH)
		return;
	w->s = s;
	walk_list(w, s->sh.top, depth);
	w->s = outer;
}

/* What the steps of each GitHub job with a WireMock service load into
 * it. (A GitHub service starts before the checkout: it cannot mount the
 * repository.) */
/* Scripts of the repository a CI job runs, read for what they load into
 * WireMock; not in the loaders table: nothing else is built of them. */
static const struct cg_loader script_text = {
    .id = "wiremock-ci-script",
    .format = CG_FILE_RAW,
    .layer = CG_LAYER_FULL,
};

/* A script that is not a shell's (Python, JavaScript...): it names the
 * admin API and POSTs. */
static bool other_script_loads(const struct cg_src *src)
{
	const char *p = src->text, *end = src->text + src->len;
	bool names = false, post = false;

	for (; p < end && !(names && post); p++) {
		size_t left = (size_t)(end - p);

		if (left >= 17 && !memcmp(p, "/__admin/mappings", 17))
			names = true;
		else if (left >= 4 && (p[0] == 'P' || p[0] == 'p') &&
			 (p[1] == 'O' || p[1] == 'o') &&
			 (p[2] == 'S' || p[2] == 's') &&
			 (p[3] == 'T' || p[3] == 't'))
			post = true;
	}
	return names && post;
}

/* The repository scripts group g runs (CG_REF_SCRIPT rows), walked as
 * its steps are. */
static void ci_script_files(struct cg_model *m, size_t g)
{
	for (size_t i = 0; i < m->facts.nfile_refs; i++) {
		const struct cg_file_ref r = m->facts.file_refs[i];
		struct walk w = {m, g, NULL, &r};
		struct cg_sh_script sh;
		struct cg_file *f;
		const char *ext;

		if (r.kind != CG_REF_SCRIPT || r.group != g ||
		    !(f = cg_model_read_file(m, r.path, &script_text)))
			continue;
		ext = strrchr(cg_path_base(r.path), '.');
		if (ext && (!strcmp(ext, ".py") || !strcmp(ext, ".js") ||
			    !strcmp(ext, ".ts") || !strcmp(ext, ".rb"))) {
			if (other_script_loads(&f->src)) {
				struct cg_sh_cmd none = {0};

				add_loading(&w, CG_WM_SOURCE_ADMIN_API, &none);
			}
			continue;
		}
		if (cg_sh_parse(&sh, f->src.text, f->src.len, 0) == 0)
			walk_list(&w, sh.top, 0);
		cg_sh_release(&sh);
	}
}

/* What the steps of each GitHub job with a WireMock service load into
 * it, themselves or through a script of the repository they run. (A
 * GitHub service starts before the checkout: it cannot mount the
 * repository.) */
static void ci_loading(struct cg_model *m)
{
	for (size_t g = 0; g < m->facts.ngroups; g++) {
		const struct cg_script_group *grp = &m->facts.groups[g];
		struct walk w = {m, g, NULL, NULL};
		bool any = false;

		for (size_t i = 0; i < grp->nservices; i++)
			any |= m->facts.services[grp->services[i]].kind ==
			       CG_SERVICE_WIREMOCK;
		if (!any || grp->kind != CG_GROUP_GITHUB_JOB)
			continue;
		for (size_t i = 0; i < grp->nitems; i++)
			if (grp->items[i].script)
				walk_script(&w, grp->items[i].script, 0);
		ci_script_files(m, g);
	}
}

/* Rows by mappings folder, then id, then path (rows with no id last). */
static int cmp_row_id(const void *a, const void *b)
{
	const struct cg_wm_mapping *x = *(const struct cg_wm_mapping *const *)a;
	const struct cg_wm_mapping *y = *(const struct cg_wm_mapping *const *)b;
	int d = strcmp(x->mappings_dir, y->mappings_dir);

	if (!d)
		d = strcmp(x->id, y->id);
	if (!d)
		d = strcmp(x->src->path, y->src->path);
	return d;
}

/*
 * One stub id in two files of one mappings folder: WireMock loads the
 * first it reads and refuses the other (422, "Duplicate stub mapping
 * ID"), so the server does not start. Which it reads first is the file
 * system's order: the problem is on the later path. Two stubs of one file
 * are duplicate_id's.
 */
static void duplicate_ids(struct cg_model *m)
{
	struct cg_wm_facts *w = &m->facts.wiremock;
	const struct cg_wm_mapping **v;
	size_t n = 0;

	v = cg_xcalloc(w->nmappings ? w->nmappings : 1, sizeof(*v));
	for (size_t i = 0; i < w->nmappings; i++)
		if (w->mappings[i].id && w->mappings[i].mappings_dir &&
		    w->mappings[i].loads)
			v[n++] = &w->mappings[i];
	qsort(v, n, sizeof(*v), cmp_row_id);
	for (size_t i = 1; i < n; i++) {
		const struct cg_wm_mapping *a = v[i - 1], *b = v[i];
		struct file_ctx c = {0};

		if (strcmp(a->mappings_dir, b->mappings_dir) ||
		    strcmp(a->id, b->id) || a->src == b->src)
			continue;
		c.m = m;
		c.src = b->src;
		problem(&c, &b->id_pos, b->id, true,
			"stub id `%s` is also the id of a stub in %s: "
			"WireMock refuses one of them (Duplicate stub mapping "
			"ID) and does not start",
			b->id, a->src->path);
	}
	free(v);
}

static void finish(struct cg_model *m)
{
	mounts(m);
	body_files(m);
	duplicate_ids(m);
	ci_loading(m);
}

static void release(struct cg_model *m)
{
	struct cg_wm_facts *w = &m->facts.wiremock;

	free(w->mappings);
	free(w->problems);
	free(w->sources);
	memset(w, 0, sizeof(*w));
}

static const char *const patterns[] = {
    "**/wiremock/mappings/**/*.json",
    "**/src/test/resources/mappings/**/*.json", NULL};

const struct cg_loader cg_loader_wiremock = {
    .id = "wiremock",
    .patterns = patterns,
    .claims = claims,
    .format = CG_FILE_RAW,
    .bytes = true,
    .layer = CG_LAYER_FULL,
    .build = build,
    .finish = finish,
    .release = release,
};
