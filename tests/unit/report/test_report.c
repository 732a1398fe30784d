/*
 * Unit tests for src/report: the exact JSON contract, GitHub workflow-command
 * escaping, SARIF that parses back with every rule, and the text format's
 * caret, colours, truncation and summary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "core/core.h"
#include "core/diag_list.h"
#include "report/report.h"
#include "report/shared.h"

struct fixture {
	struct cg_diag_list diags;
	struct cg_src srcs[4];
	size_t nsrcs;
	struct cg_report_input in;
};

static const struct cg_report_rule rules[] = {
    {"env-no-comment", "a .env.example entry without a comment",
     "Say what a variable is for.", CG_SEV_NOTE},
    {"masked-failure", "a critical command whose failure is swallowed",
     "Bad: pytest || true\nGood: pytest", CG_SEV_ERROR},
    {"worker-missing-health", "a worker without a health endpoint",
     "Add a /health route.", CG_SEV_OFF},
};

static const struct cg_src *find_src(void *ctx, const char *path)
{
	struct fixture *f = ctx;

	for (size_t i = 0; i < f->nsrcs; i++)
		if (!strcmp(f->srcs[i].path, path))
			return &f->srcs[i];
	return NULL;
}

static void fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	cg_diag_list_init(&f->diags);
	f->in.diags = &f->diags;
	f->in.layer = "full";
	f->in.files = 1;
	f->in.rules = rules;
	f->in.nrules = sizeof(rules) / sizeof(rules[0]);
	f->in.find_src = find_src;
	f->in.find_src_ctx = f;
}

static void fixture_release(struct fixture *f)
{
	cg_diag_list_release(&f->diags);
	for (size_t i = 0; i < f->nsrcs; i++)
		cg_src_release(&f->srcs[i]);
}

static void add_src(struct fixture *f, const char *path, const char *text,
		    size_t len)
{
	cg_src_init_mem(&f->srcs[f->nsrcs++], path, text, len);
}

static struct cg_diag *add(struct fixture *f, const char *rule,
			   enum cg_severity sev, const char *path,
			   uint32_t line, uint32_t col, uint32_t end_line,
			   uint32_t end_col, const char *hint, const char *msg)
{
	struct cg_pos pos = {line, col, end_line, end_col};

	return cg_diag_list_add(&f->diags, rule, sev, path, &pos, msg, hint,
				msg);
}

/* Run a format into memory; returns the output (free it). */
static char *render(int (*fn)(FILE *, const struct cg_report_input *),
		    const struct cg_report_input *in)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	assert_non_null(out);
	assert_int_equal(fn(out, in), 0);
	assert_int_equal(fclose(out), 0);
	return buf;
}

/* The n-th line (0-based) of `s`, copied; NULL when there is none. */
static char *nth_line(const char *s, int n)
{
	while (n-- > 0) {
		s = strchr(s, '\n');
		if (!s)
			return NULL;
		s++;
	}
	return cg_xstrndup(s, strcspn(s, "\n"));
}

static void test_report__format_parse_names(void **state)
{
	assert_int_equal(cg_format_parse("text"), CG_FORMAT_TEXT);
	assert_int_equal(cg_format_parse("json"), CG_FORMAT_JSON);
	assert_int_equal(cg_format_parse("sarif"), CG_FORMAT_SARIF);
	assert_int_equal(cg_format_parse("github"), CG_FORMAT_GITHUB);
	assert_int_equal(cg_format_parse("codequality"), CG_FORMAT_CODEQUALITY);
	assert_int_equal(cg_format_parse("JSON"), -1);
	assert_int_equal(cg_format_parse("xml"), -1);
	assert_int_equal(cg_format_parse(NULL), -1);
}

static void test_report__json_is_the_documented_contract(void **state)
{
	struct fixture f;
	char *out, *expected;

	fixture_init(&f);
	f.in.files = 12;
	f.in.suppressed = 1;
	f.in.elapsed_ms = 4;
	add(&f, "masked-failure", CG_SEV_ERROR, ".github/workflows/ci.yml", 31,
	    25, 31, 32, NULL, "failure of `pytest` is swallowed by `|| \"x\"`");
	add(&f, "masked-failure", CG_SEV_ERROR, "z.yml", 1, 1, 1, 2, "h",
	    "suppressed one")
	    ->suppressed = 1;
	cg_diag_list_sort(&f.diags);
	cg_diag_list_fingerprint(&f.diags);
	assert_int_equal(strlen(f.diags.items[0].fingerprint), 16);

	expected = cg_xasprintf(
	    "{\n"
	    "  \"tool\": {\n"
	    "    \"name\": \"ciguard\",\n"
	    "    \"version\": \"" CIGUARD_VERSION "\"\n"
	    "  },\n"
	    "  \"layer\": \"full\",\n"
	    "  \"findings\": [\n"
	    "    {\n"
	    "      \"rule\": \"masked-failure\",\n"
	    "      \"severity\": \"error\",\n"
	    "      \"path\": \".github/workflows/ci.yml\",\n"
	    "      \"line\": 31,\n"
	    "      \"column\": 25,\n"
	    "      \"end_line\": 31,\n"
	    "      \"end_column\": 32,\n"
	    "      \"message\": \"failure of `pytest` is swallowed by "
	    "`|| \\\"x\\\"`\",\n"
	    "      \"hint\": null,\n"
	    "      \"fingerprint\": \"%s\"\n"
	    "    }\n"
	    "  ],\n"
	    "  \"summary\": {\n"
	    "    \"files\": 12,\n"
	    "    \"errors\": 1,\n"
	    "    \"warnings\": 0,\n"
	    "    \"notes\": 0,\n"
	    "    \"suppressed\": 1,\n"
	    "    \"elapsed_ms\": 4\n"
	    "  }\n"
	    "}\n",
	    f.diags.items[0].fingerprint);
	out = render(cg_report_json, &f.in);
	assert_string_equal(out, expected);
	free(out);
	free(expected);
	fixture_release(&f);
}

static void
test_report__json_counts_severities_and_keeps_bad_paths(void **state)
{
	struct fixture f;
	json_t *root, *findings, *summary;
	json_error_t jerr;
	char *out;

	fixture_init(&f);
	add(&f, "masked-failure", CG_SEV_ERROR, "a.yml", 1, 1, 1, 2,
	    "remove `|| true`", "m1");
	add(&f, "service-no-healthcheck", CG_SEV_WARNING, "a.yml", 2, 1, 2, 2,
	    NULL, "m2");
	add(&f, "env-no-comment", CG_SEV_NOTE, "b\xff.env", 3, 1, 3, 2, NULL,
	    "m3");
	add(&f, "env-no-comment", CG_SEV_NOTE, "c.env", 3, 1, 3, 2, NULL, "m4")
	    ->suppressed = 2;
	cg_diag_list_fingerprint(&f.diags);
	f.in.suppressed = 1;

	out = render(cg_report_json, &f.in);
	root = json_loads(out, 0, &jerr);
	assert_non_null(root);
	findings = json_object_get(root, "findings");
	assert_int_equal(json_array_size(findings), 3);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(findings, 0), "hint")),
			    "remove `|| true`");
	/* an invalid UTF-8 byte in a path becomes U+FFFD, not a failure */
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(findings, 2), "path")),
			    "b\xef\xbf\xbd.env");
	summary = json_object_get(root, "summary");
	assert_int_equal(json_integer_value(json_object_get(summary, "errors")),
			 1);
	assert_int_equal(
	    json_integer_value(json_object_get(summary, "warnings")), 1);
	assert_int_equal(json_integer_value(json_object_get(summary, "notes")),
			 1);
	assert_int_equal(
	    json_integer_value(json_object_get(summary, "suppressed")), 1);
	json_decref(root);
	free(out);
	fixture_release(&f);
}

/*
 * Strings in a JSON report are escaped exactly as jansson's dump escapes
 * cg_json_string(s): the document parses back to the same strings (invalid
 * UTF-8 as U+FFFD), and each string's bytes are the ones jansson writes, so
 * a report keeps its bytes. A long string crosses the writer's buffer.
 */
static void test_report__json_escapes_strings_like_jansson(void **state)
{
	struct {
		const char *in, *parsed; /* parsed NULL: same as in */
	} cases[] = {
	    {NULL, NULL}, /* every control byte, filled in below */
	    {"say \"hi\" to C:\\dir\\ and a/b </script> \x7f del", NULL},
	    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbd \xc2\x80"
	     "\xf4\x8f\xbf\xbf",
	     NULL},
	    /* a lone byte, a cut sequence, a surrogate, an overlong form,
	     * a byte that never starts one, a sequence cut by the end */
	    {"a\xff b\xc3 c\xed\xa0\x80 d\xc0\xaf e\xf5 f\xe2\x82",
	     "a\xef\xbf\xbd b\xef\xbf\xbd c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	     " d\xef\xbf\xbd\xef\xbf\xbd e\xef\xbf\xbd "
	     "f\xef\xbf\xbd\xef\xbf\xbd"},
	    {NULL, NULL}, /* long, filled in below */
	};
	enum { NCASES = sizeof(cases) / sizeof(cases[0]) };
	static const char tail[] = "\"\\/\x7f";
	char controls[32 + sizeof(tail)];
	struct cg_buf long_text = CG_BUF_INIT;
	struct fixture f;
	json_t *root, *findings;
	json_error_t jerr;
	char *out;

	for (int c = 1; c < 0x20; c++)
		controls[c - 1] = (char)c;
	memcpy(controls + 31, tail, sizeof(tail));
	cases[0].in = controls;
	/* a run longer than the writer's buffer, then escapes across its end */
	for (int i = 0; i < 10000; i++)
		cg_buf_addch(&long_text, 'x');
	for (int i = 0; i < 2000; i++)
		cg_buf_addstr(&long_text, "\n\"\\\x01/\xc3\xa9 ");
	cases[NCASES - 1].in = long_text.buf;

	fixture_init(&f);
	for (size_t i = 0; i < NCASES; i++)
		add(&f, "masked-failure", CG_SEV_ERROR, cases[i].in, 1, 1, 1, 2,
		    cases[i].in, cases[i].in);
	out = render(cg_report_json, &f.in);

	/* the control bytes, written out once by hand */
	assert_non_null(strstr(
	    out,
	    "\"message\": \"\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006"
	    "\\u0007\\b\\t\\n\\u000B\\f\\r\\u000E\\u000F\\u0010\\u0011"
	    "\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019"
	    "\\u001A\\u001B\\u001C\\u001D\\u001E\\u001F\\\"\\\\/\x7f\",\n"));

	root = json_loads(out, 0, &jerr);
	assert_non_null(root);
	findings = json_object_get(root, "findings");
	assert_int_equal(json_array_size(findings), NCASES);
	for (size_t i = 0; i < NCASES; i++) {
		json_t *finding = json_array_get(findings, i);
		const char *parsed =
		    cases[i].parsed ? cases[i].parsed : cases[i].in;
		/* what jansson itself writes for the string */
		json_t *want = cg_json_string(cases[i].in);
		char *want_text = json_dumps(want, JSON_ENCODE_ANY);
		char *want_line = cg_xasprintf("\"message\": %s,\n", want_text);

		assert_string_equal(
		    json_string_value(json_object_get(finding, "path")),
		    parsed);
		assert_string_equal(
		    json_string_value(json_object_get(finding, "message")),
		    parsed);
		assert_string_equal(
		    json_string_value(json_object_get(finding, "hint")),
		    parsed);
		assert_non_null(strstr(out, want_line));
		free(want_line);
		free(want_text);
		json_decref(want);
	}
	json_decref(root);
	free(out);
	cg_buf_release(&long_text);
	fixture_release(&f);
}

/* The writer skips plain text eight bytes at a time: an escape at each
 * offset of those eight, and text that ends inside them, come out as
 * jansson writes them. */
static void test_report__json_escapes_at_every_offset(void **state)
{
	static const char *const specials[] = {
	    "\x01",	"\"",		"\\",	"\x1f",
	    "\xc3\xa9", "\xe2\x82\xac", "\x7f", " "};
	enum { NSPECIALS = sizeof(specials) / sizeof(specials[0]) };
	enum { NOFFSETS = 18, NCASES = NSPECIALS * NOFFSETS };
	char *texts[NCASES];
	struct fixture f;
	char *out;
	size_t k = 0;

	(void)state;
	fixture_init(&f);
	for (size_t sp = 0; sp < NSPECIALS; sp++)
		for (int off = 0; off < NOFFSETS; off++) {
			struct cg_buf b = CG_BUF_INIT;

			for (int i = 0; i < off; i++)
				cg_buf_addch(&b, (char)('a' + i % 26));
			cg_buf_addstr(&b, specials[sp]);
			for (int i = 0; i < off % 11; i++)
				cg_buf_addch(&b, 'z');
			texts[k] = cg_buf_detach(&b, NULL);
			add(&f, "masked-failure", CG_SEV_ERROR, "a.yml", 1, 1,
			    1, 2, "hint", texts[k]);
			k++;
		}
	out = render(cg_report_json, &f.in);
	for (k = 0; k < NCASES; k++) {
		json_t *want = cg_json_string(texts[k]);
		char *want_text = json_dumps(want, JSON_ENCODE_ANY);
		char *want_line = cg_xasprintf("\"message\": %s,\n", want_text);

		if (!strstr(out, want_line))
			fail_msg("not written as jansson does: %s", want_line);
		free(want_line);
		free(want_text);
		json_decref(want);
		free(texts[k]);
	}
	free(out);
	fixture_release(&f);
}

static void test_report__github_escapes_properties_and_message(void **state)
{
	struct fixture f;
	char *out;

	fixture_init(&f);
	add(&f, "masked-failure", CG_SEV_ERROR, "a,b:c%d.yml", 3, 5, 3, 9,
	    "use: a, b\n100%", "50% done\r\nnext: a,b");
	add(&f, "service-no-healthcheck", CG_SEV_WARNING, "w.yml", 7, 1, 8, 2,
	    NULL, "w");
	add(&f, "env-no-comment", CG_SEV_NOTE, "n.env", 1, 1, 1, 4, NULL, "n");
	add(&f, "env-no-comment", CG_SEV_NOTE, "s.env", 1, 1, 1, 4, NULL, "s")
	    ->suppressed = 1;

	out = render(cg_report_github, &f.in);
	assert_string_equal(
	    out, "::error file=a%2Cb%3Ac%25d.yml,line=3,col=5,endLine=3,"
		 "endColumn=9,title=masked-failure::50%25 done%0D%0Anext: "
		 "a,b%0Ahint: use: a, b%0A100%25\n"
		 "::warning file=w.yml,line=7,col=1,endLine=8,endColumn=2,"
		 "title=service-no-healthcheck::w\n"
		 "::notice file=n.env,line=1,col=1,endLine=1,endColumn=4,"
		 "title=env-no-comment::n\n");
	free(out);
	fixture_release(&f);
}

static json_t *get_path(json_t *j, const char *const *keys)
{
	for (; *keys && j; keys++) {
		char *end;
		long idx = strtol(*keys, &end, 10);

		j = *end == '\0' ? json_array_get(j, (size_t)idx)
				 : json_object_get(j, *keys);
	}
	return j;
}

#define GET(j, ...) get_path((j), (const char *const[]){__VA_ARGS__, NULL})

/* GitLab's Code Quality issues; it keys them by fingerprint: two findings
 * of the same text in one file must stay two issues. */
static void test_report__codequality_unique_fingerprints(void **state)
{
	struct fixture f;
	json_error_t jerr;
	json_t *root;
	char *out;

	fixture_init(&f);
	add(&f, "masked-failure", CG_SEV_ERROR, "ci.yml", 3, 5, 3, 9, "h",
	    "pytest || true");
	add(&f, "masked-failure", CG_SEV_ERROR, "ci.yml", 9, 5, 9, 9, "h",
	    "pytest || true");
	add(&f, "service-no-healthcheck", CG_SEV_WARNING, "compose.yml", 0, 0,
	    0, 0, NULL, "w \"quoted\"");
	add(&f, "env-no-comment", CG_SEV_NOTE, "n.env", 1, 1, 1, 4, NULL, "n");
	add(&f, "env-no-comment", CG_SEV_NOTE, "s.env", 1, 1, 1, 4, NULL, "s")
	    ->suppressed = 1;
	cg_diag_list_sort(&f.diags);
	cg_diag_list_fingerprint(&f.diags);

	out = render(cg_report_codequality, &f.in);
	root = json_loads(out, 0, &jerr);
	assert_non_null(root);
	assert_int_equal(json_array_size(root), 4);
	assert_string_equal(json_string_value(GET(root, "0", "check_name")),
			    "masked-failure");
	assert_string_equal(json_string_value(GET(root, "0", "description")),
			    "pytest || true");
	assert_string_equal(json_string_value(GET(root, "0", "severity")),
			    "major");
	assert_string_equal(
	    json_string_value(GET(root, "0", "location", "path")), "ci.yml");
	assert_int_equal(
	    json_integer_value(GET(root, "1", "location", "lines", "begin")),
	    9);
	/* the same text twice in one file: two issues, two fingerprints */
	assert_string_equal(json_string_value(GET(root, "0", "fingerprint")),
			    f.diags.items[0].fingerprint);
	assert_string_equal(json_string_value(GET(root, "1", "fingerprint")),
			    f.diags.items[1].fingerprint);
	assert_string_not_equal(f.diags.items[0].fingerprint,
				f.diags.items[1].fingerprint);
	assert_int_equal(strlen(f.diags.items[1].fingerprint), 16);
	/* a finding about the whole file is on line 1 */
	assert_int_equal(
	    json_integer_value(GET(root, "2", "location", "lines", "begin")),
	    1);
	assert_string_equal(json_string_value(GET(root, "2", "severity")),
			    "minor");
	assert_string_equal(json_string_value(GET(root, "2", "description")),
			    "w \"quoted\"");
	assert_string_equal(json_string_value(GET(root, "3", "severity")),
			    "info");
	json_decref(root);
	free(out);
	fixture_release(&f);

	fixture_init(&f);
	out = render(cg_report_codequality, &f.in);
	assert_string_equal(out, "[]\n");
	free(out);
	fixture_release(&f);
}

static void test_report__sarif_has_every_rule_and_fingerprints(void **state)
{
	struct fixture f;
	json_t *root, *rules_j, *results, *r;
	json_error_t jerr;
	char *out;

	fixture_init(&f);
	add(&f, "masked-failure", CG_SEV_ERROR, "my dir/a:b.yml", 4, 0, 2, 0,
	    "remove it", "swallowed");
	add(&f, "not-in-table", CG_SEV_WARNING, "x.yml", 0, 0, 0, 0, NULL,
	    "whole file");
	add(&f, "env-no-comment", CG_SEV_NOTE, "s.env", 1, 1, 1, 4, NULL, "s")
	    ->suppressed = 1;
	cg_diag_list_fingerprint(&f.diags);

	out = render(cg_report_sarif, &f.in);
	root = json_loads(out, 0, &jerr);
	assert_non_null(root);
	assert_string_equal(json_string_value(GET(root, "$schema")),
			    "https://json.schemastore.org/sarif-2.1.0.json");
	assert_string_equal(json_string_value(GET(root, "version")), "2.1.0");
	assert_int_equal(json_array_size(GET(root, "runs")), 1);

	rules_j = GET(root, "runs", "0", "tool", "driver", "rules");
	assert_int_equal(json_array_size(rules_j), 3);
	for (size_t i = 0; i < 3; i++) {
		json_t *rule = json_array_get(rules_j, i);

		assert_string_equal(json_string_value(GET(rule, "id")),
				    rules[i].id);
		assert_string_equal(json_string_value(GET(rule, "name")),
				    rules[i].id);
		assert_string_equal(
		    json_string_value(GET(rule, "shortDescription", "text")),
		    rules[i].summary);
		assert_string_equal(
		    json_string_value(GET(rule, "help", "text")),
		    rules[i].help);
	}
	assert_string_equal(json_string_value(GET(
				rules_j, "2", "defaultConfiguration", "level")),
			    "none");
	assert_string_equal(json_string_value(GET(
				rules_j, "1", "defaultConfiguration", "level")),
			    "error");

	results = GET(root, "runs", "0", "results");
	assert_int_equal(json_array_size(results), 2);
	r = json_array_get(results, 0);
	assert_string_equal(json_string_value(GET(r, "ruleId")),
			    "masked-failure");
	assert_int_equal(json_integer_value(GET(r, "ruleIndex")), 1);
	assert_string_equal(json_string_value(GET(r, "level")), "error");
	assert_string_equal(json_string_value(GET(r, "message", "text")),
			    "swallowed\nremove it");
	assert_string_equal(
	    json_string_value(GET(r, "partialFingerprints", "ciguard/v1")),
	    f.diags.items[0].fingerprint);
	assert_string_equal(
	    json_string_value(GET(r, "locations", "0", "physicalLocation",
				  "artifactLocation", "uri")),
	    "my%20dir/a%3Ab.yml");
	assert_string_equal(
	    json_string_value(GET(r, "locations", "0", "physicalLocation",
				  "artifactLocation", "uriBaseId")),
	    "%SRCROOT%");
	/* column 0 and an end before the start are clamped for the schema */
	json_t *region = GET(r, "locations", "0", "physicalLocation", "region");
	assert_int_equal(json_integer_value(GET(region, "startLine")), 4);
	assert_int_equal(json_integer_value(GET(region, "startColumn")), 1);
	assert_int_equal(json_integer_value(GET(region, "endLine")), 4);
	assert_int_equal(json_integer_value(GET(region, "endColumn")), 1);

	r = json_array_get(results, 1);
	assert_null(GET(r, "ruleIndex"));
	assert_string_equal(json_string_value(GET(r, "level")), "warning");
	assert_null(GET(r, "locations", "0", "physicalLocation", "region"));
	json_decref(root);
	free(out);
	fixture_release(&f);
}

static void test_report__text_caret_under_multibyte_and_tabs(void **state)
{
	struct fixture f;
	const char *src = "jobs:\n\tx: caf\xc3\xa9 || true\na\tb\n";
	char *out;

	fixture_init(&f);
	add_src(&f, "ci.yml", src, strlen(src));
	add(&f, "masked-failure", CG_SEV_ERROR, "ci.yml", 2, 10, 2, 12,
	    "remove `|| true`", "failure is swallowed");
	/* a tab inside the underline is filled to the next tab stop */
	add(&f, "masked-failure", CG_SEV_ERROR, "ci.yml", 3, 1, 3, 4, NULL,
	    "spans a tab");

	out = render(cg_report_text, &f.in);
	assert_string_equal(out,
			    "ci.yml:2:10: error: failure is swallowed "
			    "[masked-failure]\n"
			    "\tx: caf\xc3\xa9 || true\n"
			    "\t        ^~\n"
			    "  hint: remove `|| true`\n"
			    "ci.yml:3:1: error: spans a tab [masked-failure]\n"
			    "a\tb\n"
			    "^~~~~~~~~\n"
			    "2 errors, 0 warnings, 0 notes (0 suppressed) in "
			    "1 file\n");
	free(out);
	fixture_release(&f);
}

/* A source line that is not UTF-8 (a WireMock mapping saved as Latin-1,
 * read as bytes) prints as UTF-8: '?' for a byte that starts no character,
 * nothing for a stray continuation byte, so the caret stays under the
 * column the finding names (columns count such bytes the same way). */
static void test_report__text_source_line_not_utf8(void **state)
{
	struct fixture f;
	const char *src = "{\"body\": \"caf\xe9 \xc0\xaf\x80!\"}\n";
	char *out;

	fixture_init(&f);
	add_src(&f, "m.json", src, strlen(src));
	add(&f, "wiremock-mapping-invalid", CG_SEV_ERROR, "m.json", 1, 17, 1,
	    18, NULL, "bad byte");
	out = render(cg_report_text, &f.in);
	assert_string_equal(out,
			    "m.json:1:17: error: bad byte "
			    "[wiremock-mapping-invalid]\n"
			    "{\"body\": \"caf? ?!\"}\n"
			    "                ^\n"
			    "1 error, 0 warnings, 0 notes (0 suppressed) in "
			    "1 file\n");
	free(out);
	fixture_release(&f);
}

static void test_report__text_underlines_to_line_end_and_clamps(void **state)
{
	struct fixture f;
	const char *src = "run: |\n  pytest\n";
	char *out;

	fixture_init(&f);
	add_src(&f, "ci.yml", src, strlen(src));
	/* spans two lines: underline to the end of the first */
	add(&f, "masked-failure", CG_SEV_WARNING, "ci.yml", 1, 3, 2, 3, NULL,
	    "multi");
	/* past the end of the line: one caret just after it */
	add(&f, "masked-failure", CG_SEV_NOTE, "ci.yml", 2, 40, 2, 41, NULL,
	    "past");

	out = render(cg_report_text, &f.in);
	assert_string_equal(out, "ci.yml:1:3: warning: multi [masked-failure]\n"
				 "run: |\n"
				 "  ^~~~\n"
				 "ci.yml:2:40: note: past [masked-failure]\n"
				 "  pytest\n"
				 "        ^\n"
				 "0 errors, 1 warning, 1 note (0 suppressed) "
				 "in 1 file\n");
	free(out);
	fixture_release(&f);
}

static void
test_report__text_without_source_prints_header_and_hint(void **state)
{
	struct fixture f;
	const char *src = "one line\n";
	char *out;

	fixture_init(&f);
	f.in.files = 3;
	f.in.suppressed = 2;
	add_src(&f, "short.yml", src, strlen(src));
	add(&f, "masked-failure", CG_SEV_ERROR, "unknown.yml", 1, 1, 1, 2,
	    "fix it", "no source");
	add(&f, "masked-failure", CG_SEV_ERROR, "short.yml", 9, 1, 9, 2, NULL,
	    "line out of range");
	add(&f, "masked-failure", CG_SEV_ERROR, "short.yml", 1, 1, 1, 2, NULL,
	    "hidden")
	    ->suppressed = 1;

	out = render(cg_report_text, &f.in);
	assert_string_equal(
	    out, "unknown.yml:1:1: error: no source [masked-failure]\n"
		 "  hint: fix it\n"
		 "short.yml:9:1: error: line out of range "
		 "[masked-failure]\n"
		 "2 errors, 0 warnings, 0 notes (2 suppressed) in "
		 "3 files\n");
	free(out);
	fixture_release(&f);
}

static void test_report__text_summary_without_findings(void **state)
{
	struct fixture f;
	char *out;

	fixture_init(&f);
	f.in.files = 4;
	out = render(cg_report_text, &f.in);
	assert_string_equal(out, "no findings in 4 files\n");
	free(out);
	f.in.suppressed = 1;
	out = render(cg_report_text, &f.in);
	assert_string_equal(out, "no findings in 4 files (1 suppressed)\n");
	free(out);
	fixture_release(&f);
}

static void test_report__text_colour_only_when_asked(void **state)
{
	struct fixture f;
	/* an escape sequence in the checked file must not reach the terminal */
	const char *src = "a: \033[31mred\n";
	char *out;

	fixture_init(&f);
	add_src(&f, "a.yml", src, strlen(src));
	add(&f, "masked-failure", CG_SEV_ERROR, "a.yml", 1, 1, 1, 2, "h",
	    "msg \033]0;title\007");
	add(&f, "service-no-healthcheck", CG_SEV_WARNING, "a.yml", 1, 1, 1, 2,
	    NULL, "w");
	add(&f, "env-no-comment", CG_SEV_NOTE, "a.yml", 1, 1, 1, 2, NULL, "n");

	out = render(cg_report_text, &f.in);
	assert_null(strchr(out, '\033'));
	assert_non_null(strstr(out, "a: ?[31mred\n"));
	assert_non_null(strstr(out, "msg ?]0;title? [masked-failure]"));
	free(out);

	f.in.color = true;
	out = render(cg_report_text, &f.in);
	assert_non_null(strstr(out, "\033[1ma.yml:1:1:\033[0m "
				    "\033[1;31merror:\033[0m msg"));
	assert_non_null(strstr(out, "\033[1;35mwarning:\033[0m"));
	assert_non_null(strstr(out, "\033[1;36mnote:\033[0m"));
	assert_non_null(strstr(out, "\n\033[1;32m^\033[0m\n"));
	/* still none from the file itself */
	assert_non_null(strstr(out, "a: ?[31mred\n"));
	free(out);
	fixture_release(&f);
}

static void test_report__text_huge_line_is_cut_around_the_caret(void **state)
{
	enum { LEN = 5 * 1024 * 1024, AT = 2500000 };
	struct fixture f;
	char *src = cg_xmalloc(LEN + 1), *out, *line, *caret;
	size_t x;

	memset(src, 'a', LEN);
	src[AT - 1] = 'X'; /* column AT */
	src[LEN] = '\n';
	fixture_init(&f);
	add_src(&f, "min.json", src, LEN + 1);
	free(src);
	add(&f, "wiremock-mapping-invalid", CG_SEV_ERROR, "min.json", 1, AT, 1,
	    AT + 1, NULL, "bad");

	out = render(cg_report_text, &f.in);
	assert_true(strlen(out) < 1000);
	line = nth_line(out, 1);
	caret = nth_line(out, 2);
	assert_true(cg_starts_with(line, "..."));
	assert_true(cg_ends_with(line, "..."));
	assert_true(strlen(line) <= 3 + 200 + 3);
	x = strcspn(caret, "^");
	assert_true(x < strlen(caret));
	assert_int_equal(line[x], 'X');
	assert_int_equal(strspn(caret, " "), x);
	free(line);
	free(caret);
	free(out);
	fixture_release(&f);
}

static void test_report__write_failure_is_eio(void **state)
{
	static int (*const writers[])(FILE *,
				      const struct cg_report_input *) = {
	    cg_report_text, cg_report_json, cg_report_sarif, cg_report_github};
	struct fixture f;

	fixture_init(&f);
	for (int i = 0; i < 50; i++)
		add(&f, "masked-failure", CG_SEV_ERROR, "a.yml", 1, 1, 1, 2,
		    "h", "a message long enough to fill a buffer");
	for (size_t i = 0; i < sizeof(writers) / sizeof(writers[0]); i++) {
		/* /dev/full accepts the open and fails every write */
		FILE *out = fopen("/dev/full", "w");

		if (!out)
			skip();
		assert_int_equal(writers[i](out, &f.in), CG_EIO);
		fclose(out);
	}
	assert_int_equal(cg_report_write(stdout, (enum cg_format)42, &f.in),
			 CG_EINVAL);
	fixture_release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_report__format_parse_names),
	    cmocka_unit_test(test_report__json_is_the_documented_contract),
	    cmocka_unit_test(
		test_report__json_counts_severities_and_keeps_bad_paths),
	    cmocka_unit_test(test_report__json_escapes_strings_like_jansson),
	    cmocka_unit_test(test_report__json_escapes_at_every_offset),
	    cmocka_unit_test(
		test_report__github_escapes_properties_and_message),
	    cmocka_unit_test(
		test_report__sarif_has_every_rule_and_fingerprints),
	    cmocka_unit_test(test_report__text_caret_under_multibyte_and_tabs),
	    cmocka_unit_test(test_report__text_source_line_not_utf8),
	    cmocka_unit_test(
		test_report__text_underlines_to_line_end_and_clamps),
	    cmocka_unit_test(
		test_report__text_without_source_prints_header_and_hint),
	    cmocka_unit_test(test_report__text_summary_without_findings),
	    cmocka_unit_test(test_report__text_colour_only_when_asked),
	    cmocka_unit_test(
		test_report__text_huge_line_is_cut_around_the_caret),
	    cmocka_unit_test(test_report__write_failure_is_eio),
	    cmocka_unit_test(test_report__codequality_unique_fingerprints),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
