/* Unit tests for src/load/json.c: the strict JSON reader with positions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "load/load.h"

static int load(struct cg_tree *t, struct cg_src *s, const char *text,
		size_t len, unsigned flags, const struct cg_load_limits *lim)
{
	cg_src_init_mem(s, "m.json", text, len);
	return cg_json_load(t, s, flags, lim);
}

static void assert_pos(const struct cg_node *n, uint32_t line, uint32_t col,
		       uint32_t end_line, uint32_t end_col)
{
	assert_non_null(n);
	assert_int_equal(n->pos.line, line);
	assert_int_equal(n->pos.col, col);
	assert_int_equal(n->pos.end_line, end_line);
	assert_int_equal(n->pos.end_col, end_col);
}

static void test_json__positions_of_keys_values_and_nesting(void **state)
{
	const char *text = "{\n"
			   "  \"request\": {\"method\": \"GET\", \"url\": "
			   "\"/\xc3\xa9\"},\n"
			   "  \"list\": [1, -2.5e3, true, null, \"x\"]\n"
			   "}\n";
	struct cg_src s;
	struct cg_tree t;
	const struct cg_node *root, *req, *list;
	const struct cg_pair *p;

	assert_int_equal(load(&t, &s, text, strlen(text), 0, NULL), 0);
	assert_int_equal(t.ndocs, 1);
	root = t.docs[0];
	assert_int_equal(root->kind, CG_NODE_MAP);
	assert_int_equal(root->n, 2);
	assert_int_equal(root->start, 0);
	assert_int_equal(root->end, strlen(text) - 1);
	assert_pos(root, 1, 1, 4, 2);

	p = cg_map_get_pair(root, "request");
	assert_pos(p->key, 2, 3, 2, 12);
	assert_int_equal(p->key->style, CG_STYLE_DOUBLE);
	assert_int_equal(p->key->start, strstr(text, "\"request\"") - text);
	req = p->value;
	assert_int_equal(req->kind, CG_NODE_MAP);
	/* the value ends after '}': "/é" is one column per code point */
	assert_pos(req, 2, 14, 2, 44);
	assert_string_equal(cg_map_get(req, "url")->str, "/\xc3\xa9");
	assert_pos(cg_map_get(req, "url"), 2, 39, 2, 43);
	assert_pos(cg_map_get_pair(req, "method")->key, 2, 15, 2, 23);
	assert_true(cg_scalar_eq(cg_map_get(req, "method"), "GET"));

	list = cg_map_get(root, "list");
	assert_int_equal(list->kind, CG_NODE_SEQ);
	assert_int_equal(list->n, 5);
	assert_pos(list, 3, 11, 3, 39);
	assert_pos(list->items[0], 3, 12, 3, 13);
	assert_pos(list->items[1], 3, 15, 3, 21);
	assert_string_equal(list->items[1]->str, "-2.5e3");
	assert_int_equal(list->items[1]->style, CG_STYLE_PLAIN);
	assert_int_equal(cg_scalar_bool(list->items[2]), 1);
	assert_int_equal(list->items[2]->style, CG_STYLE_PLAIN);
	assert_string_equal(list->items[3]->str, "null");
	assert_int_equal(list->items[4]->style, CG_STYLE_DOUBLE);
	assert_pos(list->items[4], 3, 35, 3, 38);
	assert_memory_equal(text + list->items[4]->start, "\"x\"", 3);
	cg_tree_release(&t);
	cg_src_release(&s);
}

static void test_json__scalars_and_empty_collections(void **state)
{
	static const struct {
		const char *text;
		enum cg_node_kind kind;
		const char *str;
	} cases[] = {
	    {"0", CG_NODE_SCALAR, "0"},
	    {"-0", CG_NODE_SCALAR, "-0"},
	    {" 12.50E+10 ", CG_NODE_SCALAR, "12.50E+10"},
	    {"1e-7", CG_NODE_SCALAR, "1e-7"},
	    {"false", CG_NODE_SCALAR, "false"},
	    {"\"\"", CG_NODE_SCALAR, ""},
	    {"[]", CG_NODE_SEQ, NULL},
	    {"{ }", CG_NODE_MAP, NULL},
	    {"\xef\xbb\xbf{}", CG_NODE_MAP, NULL},
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct cg_src s;
		struct cg_tree t;

		assert_int_equal(
		    load(&t, &s, cases[k].text, strlen(cases[k].text), 0, NULL),
		    0);
		assert_int_equal(t.docs[0]->kind, cases[k].kind);
		if (cases[k].str)
			assert_string_equal(t.docs[0]->str, cases[k].str);
		else
			assert_int_equal(t.docs[0]->n, 0);
		cg_tree_release(&t);
		cg_src_release(&s);
	}
}

static void test_json__duplicate_keys_are_kept(void **state)
{
	const char *text = "{\"a\": 1, \"a\": 2}";
	struct cg_src s;
	struct cg_tree t;

	assert_int_equal(load(&t, &s, text, strlen(text), 0, NULL), 0);
	assert_int_equal(t.docs[0]->n, 2);
	assert_string_equal(t.docs[0]->pairs[0].value->str, "1");
	assert_string_equal(cg_map_get(t.docs[0], "a")->str, "2");
	cg_tree_release(&t);
	cg_src_release(&s);
}

/* Every way strict JSON is broken, with where the message points. */
static void test_json__strict_errors_point_at_the_offender(void **state)
{
	static const struct {
		const char *text;
		unsigned flags;
		int code;
		const char *message;
	} cases[] = {
	    {"{\"a\": 1,}", 0, CG_EPARSE,
	     "m.json:1:8: trailing comma is not allowed in JSON (WireMock "
	     "rejects it)"},
	    {"[1, 2,\n]", 0, CG_EPARSE,
	     "m.json:1:6: trailing comma is not allowed in JSON (WireMock "
	     "rejects it)"},
	    /* still an error in WireMock's dialect */
	    {"{'a': [1,] }", CG_JSON_WIREMOCK, CG_EPARSE,
	     "m.json:1:9: trailing comma is not allowed in JSON (WireMock "
	     "rejects it)"},
	    {"{\n  url: \"/a\"\n}", CG_JSON_WIREMOCK, CG_EPARSE,
	     "m.json:2:3: unquoted key 'url' is not allowed in JSON "
	     "(WireMock rejects it); write it in double quotes"},
	    {"{\"a\": 1\n \"b\": 2}", 0, CG_EPARSE,
	     "m.json:2:2: expected ',' or '}' after object member, found "
	     "'\"'"},
	    {"[1 2]", 0, CG_EPARSE,
	     "m.json:1:4: expected ',' or ']' after array element, found "
	     "'2'"},
	    {"{\"a\" 1}", 0, CG_EPARSE,
	     "m.json:1:6: expected ':' after object key, found '1'"},
	    {"{,}", 0, CG_EPARSE,
	     "m.json:1:2: expected a string key or '}', found ','"},
	    {"[1,,2]", 0, CG_EPARSE,
	     "m.json:1:4: expected a value after ',', found ','"},
	    {"{\"a\":}", 0, CG_EPARSE,
	     "m.json:1:6: expected a value after ':', found '}'"},
	    {"[01]", 0, CG_EPARSE,
	     "m.json:1:2: leading zeros are not allowed in JSON numbers"},
	    {"[-007]", 0, CG_EPARSE,
	     "m.json:1:3: leading zeros are not allowed in JSON numbers"},
	    {"+1", 0, CG_EPARSE,
	     "m.json:1:1: JSON numbers cannot start with '+'"},
	    {"[.5]", 0, CG_EPARSE,
	     "m.json:1:2: JSON numbers must start with a digit, not '.'"},
	    {"[1.]", 0, CG_EPARSE,
	     "m.json:1:4: expected a digit after '.', found ']'"},
	    {"1e+", 0, CG_EPARSE,
	     "m.json:1:4: expected a digit in the exponent, found end of "
	     "input"},
	    {"0x1F", 0, CG_EPARSE,
	     "m.json:1:2: expected end of input after the JSON value, found "
	     "'x1F'"},
	    {"[NaN]", 0, CG_EPARSE,
	     "m.json:1:2: expected a value or ']', found 'NaN'"},
	    {"-Infinity", 0, CG_EPARSE,
	     "m.json:1:2: expected a digit after '-', found 'Infinity'"},
	    {"[True]", 0, CG_EPARSE,
	     "m.json:1:2: expected a value or ']', found 'True'"},
	    {"{'a': 1}", 0, CG_EPARSE,
	     "m.json:1:2: single-quoted strings are not allowed in strict "
	     "JSON; use double quotes"},
	    {"// note\n{}", 0, CG_EPARSE,
	     "m.json:1:1: comments are not allowed in strict JSON"},
	    {"{} /* x */", 0, CG_EPARSE,
	     "m.json:1:4: comments are not allowed in strict JSON"},
	    {"{} /* x", CG_JSON_COMMENTS, CG_EPARSE,
	     "m.json:1:4: unterminated comment: '/*' is never closed by "
	     "'*/'"},
	    {"[\"a\tb\"]", 0, CG_EPARSE,
	     "m.json:1:4: control character U+0009 in a string must be "
	     "escaped"},
	    {"[\"ab\ncd\"]", 0, CG_EPARSE,
	     "m.json:1:5: line break in a string: JSON strings cannot span "
	     "lines (write \\n)"},
	    {"[\"a\", \"b]", 0, CG_EPARSE,
	     "m.json:1:7: unterminated string: the closing quote is "
	     "missing"},
	    {"[\"\\ud800x\"]", 0, CG_EPARSE,
	     "m.json:1:3: high surrogate in '\\u' escape is not followed by "
	     "a low surrogate"},
	    {"[\"x\\udc00\"]", 0, CG_EPARSE,
	     "m.json:1:4: lone low surrogate in '\\u' escape"},
	    {"[\"\\u12\"]", 0, CG_EPARSE,
	     "m.json:1:3: expected four hex digits after '\\u'"},
	    {"[\"\\x41\"]", 0, CG_EPARSE,
	     "m.json:1:3: invalid escape: '\\' followed by 'x41'"},
	    {"[\"it\\'s\"]", 0, CG_EPARSE,
	     "m.json:1:5: invalid escape '\\'' in a JSON string"},
	    {"{} x", 0, CG_EPARSE,
	     "m.json:1:4: expected end of input after the JSON value, found "
	     "'x'"},
	    {"{}{}", 0, CG_EPARSE,
	     "m.json:1:3: expected end of input after the JSON value, found "
	     "'{'"},
	    {"", 0, CG_EPARSE,
	     "m.json:1:1: expected a JSON value, found end of input"},
	    {"  \n ", 0, CG_EPARSE,
	     "m.json:2:2: expected a JSON value, found end of input"},
	    {"[1,", 0, CG_EPARSE,
	     "m.json:1:4: expected a value after ',', found end of input"},
	    {"{\"\xc3\xa9\": 1 x}", 0, CG_EPARSE,
	     "m.json:1:9: expected ',' or '}' after object member, found "
	     "'x'"},
	    {"[\xc2\xa0]", 0, CG_EPARSE,
	     "m.json:1:2: expected a value or ']', found U+00A0"},
	    /* Jackson's byte decoder: a lead byte and its continuations */
	    {"[\"a\xff"
	     "b\"]",
	     CG_JSON_UTF8, CG_EPARSE,
	     "m.json:1:4: invalid UTF-8: byte 0xFF cannot start a character "
	     "(save the file as UTF-8)"},
	    {"{\"\xe2\x82\": 1}", CG_JSON_WIREMOCK, CG_EPARSE,
	     "m.json:1:3: invalid UTF-8: byte 0xE2 is not followed by its 2 "
	     "continuation bytes (save the file as UTF-8)"},
	    {"[[[1]]]", 0, CG_ELIMIT,
	     "m.json:1:3: nesting is deeper than the limit of 2 levels"},
	    {"[1, 2, 3]", 0, CG_ELIMIT,
	     "m.json:1:8: document has more than 3 values"},
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct cg_load_limits lim = {2, 3};
		struct cg_src s;
		struct cg_tree t;
		bool limited = cases[k].code == CG_ELIMIT;

		cg_error_clear();
		assert_int_equal(load(&t, &s, cases[k].text,
				      strlen(cases[k].text), cases[k].flags,
				      limited ? &lim : NULL),
				 cases[k].code);
		assert_string_equal(cg_error_last(), cases[k].message);
		assert_int_equal(t.ndocs, 0);
		assert_null(t.docs);
		cg_tree_release(&t);
		/* cg_json_load_at says where: the message's line and column */
		{
			size_t off = (size_t)-1;
			uint32_t line, col;
			char where[32];

			assert_int_equal(cg_json_load_at(&t, &s, cases[k].flags,
							 limited ? &lim : NULL,
							 &off),
					 cases[k].code);
			assert_true(off <= s.len);
			cg_src_linecol(&s, off, &line, &col);
			snprintf(where, sizeof(where),
				 "m.json:%u:%u: ", (unsigned)line,
				 (unsigned)col);
			assert_true(cg_starts_with(cases[k].message, where));
			cg_tree_release(&t);
		}
		cg_src_release(&s);
	}
}

static void
test_json__wiremock_dialect_takes_comments_and_single_quotes(void **state)
{
	const char *text = "// a note\n"
			   "{ /* the request */ 'request': {'url': 'it\\'s'},\n"
			   "  \"response\": {\"status\": 200} // ok\n"
			   "}";
	struct cg_src s;
	struct cg_tree t;
	const struct cg_pair *p;

	assert_int_equal(
	    load(&t, &s, text, strlen(text), CG_JSON_WIREMOCK, NULL), 0);
	p = cg_map_get_pair(t.docs[0], "request");
	assert_int_equal(p->key->style, CG_STYLE_SINGLE);
	assert_pos(p->key, 2, 21, 2, 30);
	assert_string_equal(cg_map_get(p->value, "url")->str, "it's");
	assert_int_equal(cg_map_get(p->value, "url")->style, CG_STYLE_SINGLE);
	assert_pos(t.docs[0], 2, 1, 4, 2);
	assert_string_equal(
	    cg_map_get(cg_map_get(t.docs[0], "response"), "status")->str,
	    "200");
	cg_tree_release(&t);
	cg_src_release(&s);

	/* each flag alone allows only its own feature */
	text = "['a'] // x";
	assert_int_equal(
	    load(&t, &s, text, strlen(text), CG_JSON_SINGLE_QUOTES, NULL),
	    CG_EPARSE);
	cg_src_release(&s);
	assert_int_equal(
	    load(&t, &s, text, strlen(text), CG_JSON_COMMENTS, NULL),
	    CG_EPARSE);
	cg_src_release(&s);
	/* a double quote inside single quotes is an ordinary character */
	text = "'say \"hi\"'";
	assert_int_equal(
	    load(&t, &s, text, strlen(text), CG_JSON_SINGLE_QUOTES, NULL), 0);
	assert_string_equal(t.docs[0]->str, "say \"hi\"");
	cg_tree_release(&t);
	cg_src_release(&s);
}

/* What Jackson does by default where RFC 8259 is stricter, each measured
 * against WireMock 3.13.2 (tests/oracle/wiremock_cases.txt). */
static void test_json__wiremock_dialect_reads_like_jackson(void **state)
{
	static const struct {
		const char *text;
		const char *first; /* the root's first item's text */
	} cases[] = {
	    /* the first value is read, what follows it is not */
	    {"[\"a\"] x", "a"},
	    {"[\"a\"]]", "a"},
	    {"[\"a\"]\n[\"b\"]", "a"},
	    {"[\"a\"] /* never closed", "a"},
	    {"[\"a\"],", "a"},
	    /* a lone surrogate escape is kept, as U+FFFD */
	    {"[\"\\ud800x\"]", "\xef\xbf\xbdx"},
	    {"[\"x\\udc00\"]", "x\xef\xbf\xbd"},
	    {"[\"\\ud800\"]", "\xef\xbf\xbd"},
	    /* UTF-8 by structure: overlong forms and surrogates pass */
	    {"[\"\xc0\x80\"]", "\xc0\x80"},
	    {"[\"\xed\xa0\x80\"]", "\xed\xa0\x80"},
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct cg_src s;
		struct cg_tree t;

		assert_int_equal(load(&t, &s, cases[k].text,
				      strlen(cases[k].text), CG_JSON_WIREMOCK,
				      NULL),
				 0);
		assert_int_equal(t.docs[0]->kind, CG_NODE_SEQ);
		assert_int_equal(t.docs[0]->n, 1);
		assert_string_equal(t.docs[0]->items[0]->str, cases[k].first);
		cg_tree_release(&t);
		cg_src_release(&s);
		/* strict JSON still refuses each of them */
		assert_int_equal(load(&t, &s, cases[k].text,
				      strlen(cases[k].text),
				      CG_JSON_COMMENTS | CG_JSON_SINGLE_QUOTES |
					  CG_JSON_UTF8,
				      NULL) == 0,
				 k >= 8);
		cg_tree_release(&t);
		cg_src_release(&s);
	}
}

static void test_json__escapes_decode_to_utf8(void **state)
{
	const char *text = "\"\\u00e9\\u20AC\\ud83d\\ude00\\u0041"
			   "\\n\\t\\/\\\\\\\"\\b\\f\\r\\u0000z\"";
	const char want[] = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
			    "A\n\t/\\\"\b\f\r\0z";
	struct cg_src s;
	struct cg_tree t;

	assert_int_equal(load(&t, &s, text, strlen(text), 0, NULL), 0);
	assert_int_equal(t.docs[0]->len, sizeof(want) - 1);
	assert_memory_equal(t.docs[0]->str, want, sizeof(want) - 1);
	assert_int_equal(t.docs[0]->str[t.docs[0]->len], '\0');
	assert_int_equal(t.docs[0]->end, strlen(text));
	cg_tree_release(&t);
	cg_src_release(&s);
}

static void test_json__deep_nesting_fails_fast_with_elimit(void **state)
{
	size_t n = 100000;
	char *text = malloc(n);
	struct cg_src s;
	struct cg_tree t;

	memset(text, '[', n);
	assert_int_equal(load(&t, &s, text, n, 0, NULL), CG_ELIMIT);
	assert_string_equal(cg_error_last(),
			    "m.json:1:257: nesting is deeper than the limit "
			    "of 256 levels");
	cg_tree_release(&t);
	cg_src_release(&s);

	/* exactly at the limit is fine */
	memset(text, '[', 256);
	memset(text + 256, ']', 256);
	assert_int_equal(load(&t, &s, text, 512, 0, NULL), 0);
	assert_int_equal(t.docs[0]->items[0]->pos.col, 2);
	cg_tree_release(&t);
	cg_src_release(&s);
	free(text);
}

static void test_json__five_megabyte_string(void **state)
{
	size_t body = 5 * 1024 * 1024;
	size_t len = body + strlen("{\"body\": \"\"}");
	char *text = malloc(len + 1);
	struct cg_src s;
	struct cg_tree t;
	const struct cg_node *v;

	memcpy(text, "{\"body\": \"", 10);
	memset(text + 10, 'a', body);
	memcpy(text + 10 + body, "\"}", 3);
	assert_int_equal(load(&t, &s, text, len, 0, NULL), 0);
	v = cg_map_get(t.docs[0], "body");
	assert_int_equal(v->len, body);
	assert_int_equal(v->start, 9);
	assert_int_equal(v->end, len - 1);
	assert_int_equal(v->pos.end_col, len);
	cg_tree_release(&t);
	cg_src_release(&s);
	free(text);
}

/* WireMock's mapping files are bytes that Jackson decodes: UTF-16 and
 * UTF-32 in either byte order, with or without a byte-order mark, come out
 * as the same UTF-8 text; byte orders it does not know and UTF-32 above
 * U+10FFFF are refused; plain UTF-8 is left alone. */
static void test_json__decode_bytes_like_jackson(void **state)
{
	static const struct {
		const char *bytes;
		size_t len;
		int ret;
		const char *text; /* ret 1 */
	} cases[] = {
	    {"{\"a\": 1}", 8, 0, NULL},
	    {"\xff\xfe{\0}\0", 6, 1, "{}"},		   /* UTF-16LE, BOM */
	    {"\xfe\xff\0{\0}", 6, 1, "{}"},		   /* UTF-16BE, BOM */
	    {"{\0}\0", 4, 1, "{}"},			   /* UTF-16LE */
	    {"\0{\0}", 4, 1, "{}"},			   /* UTF-16BE */
	    {"\"\0\xe9\0", 4, 1, "\"\xc3\xa9"},		   /* U+00E9 */
	    {"{\0=\xd8\0\xde", 6, 1, "{\xf0\x9f\x98\x80"}, /* a pair */
	    /* a high surrogate takes the unit after it into its U+FFFD */
	    {"{\0\0\xd8\"\0}\0", 8, 1, "{\xef\xbf\xbd}"},
	    {"{\0\0\xdc}\0", 6, 1, "{\xef\xbf\xbd}"},	 /* lone low one */
	    {"{\0}\0\n", 5, 1, "{}\xef\xbf\xbd"},	 /* odd byte */
	    {"{\0\0\0}\0\0\0", 8, 1, "{}"},		 /* UTF-32LE */
	    {"\0\0\0{\0\0\0}", 8, 1, "{}"},		 /* UTF-32BE */
	    {"\xff\xfe\0\0{\0\0\0", 8, 1, "{"},		 /* UTF-32LE, BOM */
	    {"{\0\0\0}\0", 6, 1, "{"},			 /* cut short */
	    {"{\0\0\0\0\0\x11\0", 8, CG_EPARSE, NULL},	 /* > U+10FFFF */
	    {"\0\0\xff\xfe{\0\0\0", 8, CG_EPARSE, NULL}, /* 2143 */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cg_buf out = CG_BUF_INIT;
		size_t off;
		int r = cg_json_decode_bytes(cases[i].bytes, cases[i].len, &out,
					     &off);

		if (r != cases[i].ret)
			fail_msg("case %zu: %d, not %d", i, r, cases[i].ret);
		if (r == 1) {
			if (out.len != strlen(cases[i].text))
				fail_msg("case %zu: %zu bytes", i, out.len);
			assert_memory_equal(out.buf, cases[i].text, out.len);
		} else {
			assert_int_equal(out.len, 0);
		}
		if (r < 0)
			assert_non_null(strstr(cg_error_last(), "UTF-32"));
		cg_buf_release(&out);
	}
}

/* In WireMock's dialect the bytes of comments are checked as UTF-8 too
 * (a Latin-1 letter there makes WireMock refuse the file), and a second
 * byte-order mark is a character, not skipped. */
static void test_json__wiremock_utf8_in_comments_and_boms(void **state)
{
	static const char *const bad[] = {
	    "{ // caf\xe9\n \"a\": 1}",
	    "{ /* caf\xe9 */ \"a\": 1}",
	    "\xef\xbb\xbf\xef\xbb\xbf{\"a\": 1}",
	};
	struct cg_src s;
	struct cg_tree t;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(load(&t, &s, bad[i], strlen(bad[i]),
				      CG_JSON_WIREMOCK, NULL),
				 CG_EPARSE);
		cg_tree_release(&t);
		cg_src_release(&s);
	}
	/* the file's own mark goes when it is read; after a value nothing
	 * is read */
	assert_int_equal(load(&t, &s, "\xef\xbb\xbf{} // caf\xe9", 12,
			      CG_JSON_WIREMOCK, NULL),
			 0);
	cg_tree_release(&t);
	cg_src_release(&s);
	assert_int_equal(
	    load(&t, &s, "{ // caf\xc3\xa9\n}", 13, CG_JSON_WIREMOCK, NULL), 0);
	cg_tree_release(&t);
	cg_src_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json__positions_of_keys_values_and_nesting),
	    cmocka_unit_test(test_json__scalars_and_empty_collections),
	    cmocka_unit_test(test_json__duplicate_keys_are_kept),
	    cmocka_unit_test(test_json__strict_errors_point_at_the_offender),
	    cmocka_unit_test(
		test_json__wiremock_dialect_takes_comments_and_single_quotes),
	    cmocka_unit_test(test_json__wiremock_dialect_reads_like_jackson),
	    cmocka_unit_test(test_json__escapes_decode_to_utf8),
	    cmocka_unit_test(test_json__deep_nesting_fails_fast_with_elimit),
	    cmocka_unit_test(test_json__five_megabyte_string),
	    cmocka_unit_test(test_json__decode_bytes_like_jackson),
	    cmocka_unit_test(test_json__wiremock_utf8_in_comments_and_boms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
