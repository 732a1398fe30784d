/* Unit tests for src/load/yaml.c: positions, documents, aliases, merge
 * keys, limits, errors, and mapping scalar values back to the file. */
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

struct loaded {
	struct cg_src src;
	struct cg_tree tree;
	int rc;
};

static void load_lim(struct loaded *l, const char *text, size_t len,
		     const struct cg_load_limits *lim)
{
	cg_src_init_mem(&l->src, "f.yml", text, len);
	cg_error_clear();
	l->rc = cg_yaml_load(&l->tree, &l->src, lim);
}

static void load(struct loaded *l, const char *text)
{
	load_lim(l, text, strlen(text), NULL);
}

static void unload(struct loaded *l)
{
	cg_tree_release(&l->tree);
	cg_src_release(&l->src);
}

static const struct cg_node *root(const struct loaded *l)
{
	assert_int_equal(l->rc, 0);
	assert_int_equal(l->tree.ndocs, 1);
	return l->tree.docs[0];
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

/* start/end agree with pos */
static void assert_offsets_match_pos(const struct loaded *l,
				     const struct cg_node *n)
{
	struct cg_pos p = cg_src_pos(&l->src, n->start, n->end);

	assert_int_equal(p.line, n->pos.line);
	assert_int_equal(p.col, n->pos.col);
	assert_int_equal(p.end_line, n->pos.end_line);
	assert_int_equal(p.end_col, n->pos.end_col);
}

static void test_yaml__block_mapping_positions(void **state)
{
	struct loaded l;
	const struct cg_node *r, *on, *push, *br, *test;

	load(&l, "name: ci\n"
		 "on:\n"
		 "  push:\n"
		 "    branches: [main, \"dev\"]\n"
		 "jobs:\n"
		 "  test:\n"
		 "    runs-on: ubuntu-latest\n");
	r = root(&l);
	assert_int_equal(r->kind, CG_NODE_MAP);
	assert_int_equal(r->n, 3);
	assert_pos(r, 1, 1, 7, 27);
	assert_int_equal(r->start, 0);
	assert_pos(r->pairs[0].key, 1, 1, 1, 5);
	assert_pos(r->pairs[0].value, 1, 7, 1, 9);
	assert_int_equal(r->pairs[0].value->start, 6);
	assert_int_equal(r->pairs[0].value->end, 8);
	on = cg_map_get(r, "on");
	assert_pos(r->pairs[1].key, 2, 1, 2, 3);
	assert_pos(on, 3, 3, 4, 28);
	push = cg_map_get(on, "push");
	assert_pos(push, 4, 5, 4, 28);
	br = cg_map_get(push, "branches");
	assert_int_equal(br->kind, CG_NODE_SEQ);
	assert_pos(br, 4, 15, 4, 28);
	assert_int_equal(br->n, 2);
	assert_pos(br->items[0], 4, 16, 4, 20);
	assert_pos(br->items[1], 4, 22, 4, 27);
	assert_int_equal(br->items[1]->style, CG_STYLE_DOUBLE);
	assert_string_equal(br->items[1]->str, "dev");
	test = cg_map_get(cg_map_get(r, "jobs"), "test");
	assert_pos(test, 7, 5, 7, 27);
	assert_pos(cg_map_get(test, "runs-on"), 7, 14, 7, 27);
	assert_offsets_match_pos(&l, r);
	assert_offsets_match_pos(&l, br);
	assert_offsets_match_pos(&l, test);
	unload(&l);
}

static void test_yaml__flow_positions(void **state)
{
	struct loaded l;
	const struct cg_node *r, *b, *c;

	load(&l, "{a: 1, b: [x, \"y\"], c: {d: e}}\n");
	r = root(&l);
	assert_pos(r, 1, 1, 1, 31);
	assert_pos(r->pairs[0].key, 1, 2, 1, 3);
	assert_pos(r->pairs[0].value, 1, 5, 1, 6);
	b = cg_map_get(r, "b");
	assert_pos(b, 1, 11, 1, 19);
	assert_pos(b->items[1], 1, 15, 1, 18);
	c = cg_map_get(r, "c");
	assert_pos(c, 1, 24, 1, 30);
	assert_pos(cg_map_get(c, "d"), 1, 28, 1, 29);
	assert_offsets_match_pos(&l, c);
	unload(&l);
}

static void test_yaml__sequence_positions(void **state)
{
	struct loaded l;
	const struct cg_node *steps;

	load(&l, "steps:\n"
		 "  - name: build\n"
		 "    run: make\n"
		 "  - uses: actions/checkout@v4\n"
		 "  -\n"
		 "  - [a, b]\n");
	steps = cg_map_get(root(&l), "steps");
	assert_int_equal(steps->kind, CG_NODE_SEQ);
	assert_int_equal(steps->n, 4);
	assert_pos(steps, 2, 3, 6, 11);
	assert_pos(steps->items[0], 2, 5, 3, 14);
	assert_pos(cg_map_get(steps->items[0], "run"), 3, 10, 3, 14);
	assert_pos(steps->items[1], 4, 5, 4, 30);
	/* an empty item is an empty plain scalar just after its dash */
	assert_true(cg_scalar_eq(steps->items[2], ""));
	assert_pos(steps->items[2], 5, 4, 5, 4);
	assert_pos(steps->items[3], 6, 5, 6, 11);
	assert_offsets_match_pos(&l, steps);
	unload(&l);
}

static void test_yaml__empty_values_and_collections(void **state)
{
	struct loaded l;
	const struct cg_node *r, *seq;

	load(&l, "a: []\n"
		 "b: {}\n"
		 "c:\n"
		 "d:\n"
		 "- x\n"
		 "- y\n");
	r = root(&l);
	assert_int_equal(cg_map_get(r, "a")->kind, CG_NODE_SEQ);
	assert_int_equal(cg_map_get(r, "a")->n, 0);
	assert_pos(cg_map_get(r, "a"), 1, 4, 1, 6);
	assert_int_equal(cg_map_get(r, "b")->kind, CG_NODE_MAP);
	assert_int_equal(cg_map_get(r, "b")->n, 0);
	assert_pos(cg_map_get(r, "b"), 2, 4, 2, 6);
	/* a missing value is an empty scalar right after the colon */
	assert_true(cg_scalar_eq(cg_map_get(r, "c"), ""));
	assert_pos(cg_map_get(r, "c"), 3, 3, 3, 3);
	/* a sequence at the indentation of its key */
	seq = cg_map_get(r, "d");
	assert_int_equal(seq->n, 2);
	assert_pos(seq, 5, 1, 6, 4);
	unload(&l);
}

static void test_yaml__multi_document_stream(void **state)
{
	static const struct {
		const char *text;
		size_t ndocs;
	} cases[] = {
	    {"", 0},
	    {"# only a comment\n", 0},
	    {"a: 1\n", 1},
	    {"---\n", 1},
	    {"a: 1\n---\nb: 2\n...\n---\n- x\n", 3},
	    {"---\napiVersion: v1\n---\n# c\nkind: Pod\n", 2},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct loaded l;

		load(&l, cases[i].text);
		assert_int_equal(l.rc, 0);
		assert_int_equal(l.tree.ndocs, cases[i].ndocs);
		unload(&l);
	}
}

static void test_yaml__multi_document_positions(void **state)
{
	struct loaded l;

	load(&l, "a: 1\n---\nb: 2\n...\n---\n- x\n");
	assert_int_equal(l.rc, 0);
	assert_int_equal(l.tree.ndocs, 3);
	assert_true(cg_scalar_eq(cg_map_get(l.tree.docs[0], "a"), "1"));
	assert_pos(cg_map_get(l.tree.docs[1], "b"), 3, 4, 3, 5);
	assert_int_equal(l.tree.docs[2]->kind, CG_NODE_SEQ);
	assert_pos(l.tree.docs[2], 6, 1, 6, 4);
	unload(&l);
}

static void test_yaml__alias_shares_node(void **state)
{
	struct loaded l;
	const struct cg_node *r, *defaults, *job;

	load(&l, "defaults: &d\n"
		 "  image: python\n"
		 "  env: &e {A: 1}\n"
		 "job:\n"
		 "  env: *e\n"
		 "  base: *d\n"
		 "  name: &n x\n"
		 "  again: *n\n");
	r = root(&l);
	defaults = cg_map_get(r, "defaults");
	job = cg_map_get(r, "job");
	assert_ptr_equal(cg_map_get(job, "env"), cg_map_get(defaults, "env"));
	assert_ptr_equal(cg_map_get(job, "base"), defaults);
	assert_ptr_equal(cg_map_get(job, "again"), cg_map_get(job, "name"));
	/* the shared node keeps the position of its definition */
	assert_pos(cg_map_get(job, "env"), 3, 8, 3, 17);
	unload(&l);
}

/* "k=v,k=v" for a map of scalars ({} / [] for collections) */
static void format_map(char *out, size_t size, const struct cg_node *m)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < m->n && used < size; i++) {
		const struct cg_node *v = m->pairs[i].value;
		const char *vs = v->kind == CG_NODE_SCALAR ? v->str
				 : v->kind == CG_NODE_MAP  ? "{}"
							   : "[]";

		used +=
		    (size_t)snprintf(out + used, size - used, "%s%s=%s",
				     i ? "," : "", m->pairs[i].key->str, vs);
	}
}

static void test_yaml__merge_keys(void **state)
{
	static const struct {
		const char *m;
		const char *want;
	} cases[] = {
	    /* one map: own keys win */
	    {"{<<: *b, y: 9}", "x=1,y=9"},
	    /* a list: earlier maps win over later ones */
	    {"{<<: [*b, *o], w: 0}", "x=1,y=2,z=4,w=0"},
	    {"{<<: [*o, *b]}", "y=3,z=4,x=1"},
	    /* merged pairs go where the << pair was */
	    {"{a: 0, <<: *b, c: 5}", "a=0,x=1,y=2,c=5"},
	    /* not a map or a list of maps: an ordinary pair */
	    {"{<<: 5, a: 1}", "<<=5,a=1"},
	    {"{<<: [*b, 3]}", "<<=[]"},
	    /* quoted: not a merge key */
	    {"{\"<<\": *b}", "<<={}"},
	    {"{!!merge <<: *b}", "x=1,y=2"},
	    /* literal duplicates stay, merging adds none */
	    {"{a: 1, a: 2, <<: *b}", "a=1,a=2,x=1,y=2"},
	    {"{<<: [*b, *b], x: 0}", "y=2,x=0"},
	    /* in a source map the last duplicate counts */
	    {"{<<: *s}", "k=2"},
	    {"\n  <<: *b\n  y: 7", "x=1,y=7"},
	    {"{<<: {p: 1, x: 5}, q: 2}", "p=1,x=5,q=2"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512], got[256];
		struct loaded l;
		const struct cg_node *m;

		snprintf(text, sizeof(text),
			 "base: &b {x: 1, y: 2}\n"
			 "over: &o {y: 3, z: 4}\n"
			 "dup: &s {k: 1, k: 2}\n"
			 "m: %s\n",
			 cases[i].m);
		load(&l, text);
		m = cg_map_get(root(&l), "m");
		assert_non_null(m);
		format_map(got, sizeof(got), m);
		if (strcmp(got, cases[i].want))
			fail_msg("case %zu: %s -> %s, want %s", i, cases[i].m,
				 got, cases[i].want);
		unload(&l);
	}
}

static void test_yaml__merged_pairs_are_shared(void **state)
{
	struct loaded l;
	const struct cg_node *r, *base, *job;

	load(&l, ".base: &base\n"
		 "  image: python:3.12\n"
		 "  script: make\n"
		 "job:\n"
		 "  <<: *base\n"
		 "  script: pytest\n");
	r = root(&l);
	base = cg_map_get(r, ".base");
	job = cg_map_get(r, "job");
	assert_int_equal(job->n, 2);
	assert_ptr_equal(job->pairs[0].value, cg_map_get(base, "image"));
	/* the user sees where the merged value is written */
	assert_pos(job->pairs[0].value, 2, 10, 2, 21);
	assert_true(cg_scalar_eq(cg_map_get(job, "script"), "pytest"));
	assert_null(cg_map_get(job, "<<"));
	unload(&l);
}

static void test_yaml__errors_have_positions(void **state)
{
	static const struct {
		const char *text;
		int rc;
		const char *msg; /* prefix of cg_error_last() */
	} cases[] = {
	    {"a: 1\nb: *nope\n", CG_EPARSE, "f.yml:2:4: unknown alias 'nope'"},
	    {"a: &x [1, *x]\n", CG_EPARSE,
	     "f.yml:1:11: alias 'x' refers to a node containing it"},
	    /* anchors do not cross documents */
	    {"a: &x 1\n---\nb: *x\n", CG_EPARSE,
	     "f.yml:3:4: unknown alias 'x'"},
	    {"a: b: c\n", CG_EPARSE,
	     "f.yml:1:5: mapping values are not allowed in this context"},
	    {"a: \"abc\n", CG_EPARSE,
	     "f.yml:2:1: found unexpected end of stream"},
	    {"a: 1\n- b\n", CG_EPARSE, "f.yml:2:1: did not find expected key"},
	    {"key: value\n  bad: x\n", CG_EPARSE, "f.yml:2:6: mapping values"},
	    {"a: [1,\n", CG_EPARSE, "f.yml:2:1: did not find expected node"},
	    {"a:\n\tb: 1\n", CG_EPARSE, "f.yml:2:1: found character that"},
	    {"a: 1\nb: \x01\n", CG_EPARSE,
	     "f.yml:2:4: control characters are not allowed"},
	    {"x: \xc3\xa9\xc3\xa9: y\n", CG_EPARSE, "f.yml:1:6: mapping"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct loaded l;
		const char *msg;

		load(&l, cases[i].text);
		msg = cg_error_last();
		if (l.rc != cases[i].rc ||
		    strncmp(msg, cases[i].msg, strlen(cases[i].msg)))
			fail_msg("case %zu: rc %d '%s', want %d '%s'", i, l.rc,
				 msg, cases[i].rc, cases[i].msg);
		unload(&l);
	}
}

static void test_yaml__billion_laughs_is_refused_fast(void **state)
{
	struct cg_buf b = CG_BUF_INIT;
	struct loaded l;

	cg_buf_addstr(&b, "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\","
			  "\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
	for (char c = 'b'; c <= 'i'; c++) {
		cg_buf_addf(&b, "%c: &%c [", c, c);
		for (int k = 0; k < 10; k++)
			cg_buf_addf(&b, "%s*%c", k ? "," : "", c - 1);
		cg_buf_addstr(&b, "]\n");
	}
	load(&l, b.buf);
	assert_int_equal(l.rc, CG_ELIMIT);
	/* refused at the first alias that crosses the budget (level f adds
	 * 111,111 nodes per alias: its eighth), so nothing was expanded;
	 * how fast that is lives in `make bench` */
	assert_string_equal(
	    cg_error_last(),
	    "f.yml:6:29: alias expansion exceeds 1000000 nodes");
	unload(&l);
	cg_buf_release(&b);
}

static void test_yaml__expansion_limit_is_exact(void **state)
{
	/* map, key a, seq, 3 items, key b, seq = 8 nodes; each *a adds 4 */
	const char *text = "a: &a [1, 2, 3]\nb: [*a, *a]\n";
	struct cg_load_limits ok = {256, 16}, over = {256, 15};
	struct loaded l;

	load_lim(&l, text, strlen(text), &ok);
	assert_int_equal(l.rc, 0);
	unload(&l);
	load_lim(&l, text, strlen(text), &over);
	assert_int_equal(l.rc, CG_ELIMIT);
	assert_string_equal(cg_error_last(),
			    "f.yml:2:9: alias expansion exceeds 15 nodes");
	unload(&l);
}

static void test_yaml__deep_nesting_is_refused(void **state)
{
	enum { DEPTH = 100000 };
	char *text = malloc(2 * DEPTH + 2);
	struct cg_load_limits three = {3, 1000};
	struct loaded l;

	memset(text, '[', DEPTH);
	memset(text + DEPTH, ']', DEPTH);
	text[2 * DEPTH] = '\n';
	load_lim(&l, text, 2 * DEPTH + 1, NULL);
	assert_int_equal(l.rc, CG_ELIMIT);
	assert_string_equal(cg_error_last(),
			    "f.yml:1:257: nesting deeper than 256 levels");
	unload(&l);
	free(text);

	load_lim(&l, "[[[1]]]", 7, &three);
	assert_int_equal(l.rc, 0);
	unload(&l);
	load_lim(&l, "a:\n  b:\n    c: [1]\n", 19, &three);
	assert_int_equal(l.rc, CG_ELIMIT);
	assert_string_equal(cg_error_last(),
			    "f.yml:3:8: nesting deeper than 3 levels");
	unload(&l);
}

static void test_yaml__huge_single_line_scalar(void **state)
{
	enum { N = 5 * 1024 * 1024 };
	char *text = malloc(N + 9);
	const struct cg_node *v;
	struct loaded l;
	uint32_t *offs;

	memcpy(text, "k: ", 3);
	memset(text + 3, 'x', N);
	memcpy(text + 3 + N, "\nz: 1\n", 6);
	load_lim(&l, text, N + 9, NULL);
	v = cg_map_get(root(&l), "k");
	assert_int_equal(v->len, N);
	assert_pos(v, 1, 4, 1, N + 4);
	assert_pos(cg_map_get(root(&l), "z"), 2, 4, 2, 5);
	assert_int_equal(cg_scalar_offsets(&l.src, v, &offs), 0);
	assert_int_equal(offs[0], 3);
	assert_int_equal(offs[N - 1], N + 2);
	assert_int_equal(offs[N], N + 3);
	free(offs);
	unload(&l);
	free(text);
}

static void test_yaml__crlf_lines(void **state)
{
	struct loaded l;
	const struct cg_node *r, *run;
	uint32_t *offs;
	uint32_t line, col;

	load(&l, "a: 1\r\nrun: |\r\n  one\r\n  two\r\nb: [x,\r\n  y]\r\n");
	r = root(&l);
	assert_pos(cg_map_get(r, "a"), 1, 4, 1, 5);
	run = cg_map_get(r, "run");
	assert_string_equal(run->str, "one\ntwo\n");
	assert_pos(run, 2, 6, 5, 1);
	assert_pos(cg_map_get(r, "b"), 5, 4, 6, 5);
	assert_int_equal(cg_scalar_offsets(&l.src, run, &offs), 0);
	cg_src_linecol(&l.src, offs[4], &line, &col); /* 't' of two */
	assert_int_equal(line, 4);
	assert_int_equal(col, 3);
	assert_int_equal(l.src.text[offs[3]], '\r'); /* the \n came from it */
	assert_int_equal(offs[8], l.src.line_start[4]);
	free(offs);
	unload(&l);
}

static void test_yaml__columns_count_code_points(void **state)
{
	struct loaded l;
	const struct cg_node *r;

	/* e-acute is two bytes, one column */
	load(&l, "{\xc3\xa9: 1, k: v}\n");
	r = root(&l);
	assert_pos(r->pairs[0].key, 1, 2, 1, 3);
	assert_pos(r->pairs[1].key, 1, 8, 1, 9);
	assert_int_equal(r->pairs[1].key->start, 8);
	assert_pos(cg_map_get(r, "k"), 1, 11, 1, 12);
	unload(&l);

	/* a byte order mark is dropped when the source is read: the first
	 * key is at column 1, as an editor shows it */
	load(&l, "\xef\xbb\xbf"
		 "a: 1\n");
	r = root(&l);
	assert_pos(r->pairs[0].key, 1, 1, 1, 2);
	assert_int_equal(r->pairs[0].key->start, 0);
	unload(&l);
}

static void test_yaml__scalar_styles_and_tags(void **state)
{
	static const struct {
		const char *value;
		enum cg_scalar_style style;
		const char *str;
		const char *tag;
	} cases[] = {
	    {"plain words", CG_STYLE_PLAIN, "plain words", NULL},
	    {"'single'", CG_STYLE_SINGLE, "single", NULL},
	    {"\"dou\\tble\"", CG_STYLE_DOUBLE, "dou\tble", NULL},
	    {"|\n  lit\n", CG_STYLE_LITERAL, "lit\n", NULL},
	    {">\n  fol\n  ded\n", CG_STYLE_FOLDED, "fol ded\n", NULL},
	    {"!!str 5", CG_STYLE_PLAIN, "5", "tag:yaml.org,2002:str"},
	    {"!custom x", CG_STYLE_PLAIN, "x", "!custom"},
	    {"&anchor x", CG_STYLE_PLAIN, "x", NULL},
	    {"", CG_STYLE_PLAIN, "", NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[128];
		struct loaded l;
		const struct cg_node *v;

		snprintf(text, sizeof(text), "v: %s\n", cases[i].value);
		load(&l, text);
		v = cg_map_get(root(&l), "v");
		assert_non_null(v);
		assert_int_equal(v->kind, CG_NODE_SCALAR);
		assert_int_equal(v->style, cases[i].style);
		assert_string_equal(v->str, cases[i].str);
		assert_int_equal(v->len, strlen(cases[i].str));
		if (cases[i].tag)
			assert_string_equal(v->tag, cases[i].tag);
		else
			assert_null(v->tag);
		unload(&l);
	}
}

/* ---- cg_scalar_offsets ---- */

static const struct cg_node *find_scalar(const struct cg_node *n,
					 const char *word, int depth)
{
	const struct cg_node *found = NULL;

	if (!n || depth > 16)
		return NULL;
	if (n->kind == CG_NODE_SCALAR)
		return strstr(n->str, word) ? n : NULL;
	for (size_t i = 0; i < n->n && !found; i++)
		found = n->kind == CG_NODE_SEQ
			    ? find_scalar(n->items[i], word, depth + 1)
			    : find_scalar(n->pairs[i].value, word, depth + 1);
	return found;
}

/*
 * Offsets are inside the node and never go back, and every byte that is
 * not whitespace or an escape's product is the same byte in the file.
 */
static void check_offsets(const struct loaded *l, const struct cg_node *n,
			  const uint32_t *offs)
{
	for (size_t i = 0; i <= n->len; i++) {
		assert_true(offs[i] >= n->start && offs[i] <= n->end);
		if (i)
			assert_true(offs[i] >= offs[i - 1]);
		if (i == n->len || strchr(" \t\n", n->str[i]) ||
		    l->src.text[offs[i]] == '\\')
			continue;
		if (l->src.text[offs[i]] != n->str[i])
			fail_msg("byte %zu '%c' maps to '%c'", i, n->str[i],
				 l->src.text[offs[i]]);
	}
}

static void test_yaml__scalar_offsets(void **state)
{
	static const struct {
		const char *yaml;
		const char *word;   /* first occurrence in the value */
		uint32_t line, col; /* where its first byte is in the file */
	} cases[] = {
	    /* a run block: the physical line of each command */
	    {"jobs:\n"
	     "  test:\n"
	     "    steps:\n"
	     "      - run: |\n"
	     "          echo start\n"
	     "          pip install -r requirements.txt\n"
	     "          pytest -x || true\n",
	     "|| true", 7, 21},
	    {"steps:\n"
	     "  - run: |\n"
	     "      echo start\n"
	     "      pip install -r requirements.txt\n"
	     "      pytest -x || true\n",
	     "pip", 4, 7},
	    /* strip chomping and a comment on the header */
	    {"script: |-   # the build\n"
	     "  make all\n"
	     "  make  check\n",
	     "check", 3, 9},
	    /* folded: a folded space maps to the line break it replaced */
	    {"cmd: >\n"
	     "  docker run\n"
	     "  --rm image\n"
	     "\n"
	     "  second para\n",
	     "--rm", 3, 3},
	    {"cmd: >\n"
	     "  docker run\n"
	     "  --rm image\n",
	     " --rm", 2, 13},
	    {"cmd: >\n"
	     "  docker run\n"
	     "  --rm image\n"
	     "\n"
	     "  second para\n",
	     "second", 5, 3},
	    /* plain over several lines */
	    {"k: first line\n"
	     "   second   part\n"
	     "   third\n",
	     "part", 2, 13},
	    {"k: first line\n"
	     "   second   part\n"
	     "   third\n",
	     "third", 3, 4},
	    {"k: first line\n"
	     "   second   part\n",
	     " second", 1, 14},
	    /* single quotes: '' is one quote */
	    {"s: 'don''t\n"
	     "  stop'\n",
	     "stop", 2, 3},
	    {"s: 'don''t\n"
	     "  stop'\n",
	     "'t", 1, 8},
	    {"s: 'don''t\n"
	     "  stop'\n",
	     "t stop", 1, 10},
	    /* double quotes: an escape maps to its backslash */
	    {"d: \"echo \\\"hi\\\"\\nnext \\x41BC\"\n", "hi", 1, 12},
	    {"d: \"echo \\\"hi\\\"\\nnext \\x41BC\"\n", "\"hi", 1, 10},
	    {"d: \"echo \\\"hi\\\"\\nnext \\x41BC\"\n", "\nnext", 1, 16},
	    {"d: \"echo \\\"hi\\\"\\nnext \\x41BC\"\n", "next", 1, 18},
	    {"d: \"echo \\\"hi\\\"\\nnext \\x41BC\"\n", "ABC", 1, 23},
	    {"d: \"echo \\\"hi\\\"\\nnext \\x41BC\"\n", "BC", 1, 27},
	    {"d: \"\\u00e9t\\u00e9 ok\"\n", "ok", 1, 19},
	    /* an escaped line break joins; a plain one folds */
	    {"q: \"a \\\n"
	     "  b\n"
	     "  c\"\n",
	     "c", 3, 3},
	    {"q: \"a \\\n"
	     "  b\n"
	     "  c\"\n",
	     "b c", 2, 3},
	    /* an escaped space starting a line after an empty one */
	    {"q: \"a\n"
	     "\n"
	     "  \\ b\"\n",
	     " b", 3, 3},
	    {"q: \"a\n"
	     "\n"
	     "  \\ b\"\n",
	     "b", 3, 5},
	    /* folded: more-indented lines keep their line breaks */
	    {"f: >\n"
	     "  a\n"
	     "    b\n"
	     "  c\n",
	     "  b", 3, 3},
	    {"f: >\n"
	     "  a\n"
	     "    b\n"
	     "  c\n",
	     "\nc", 3, 6},
	    /* an anchor name ends where [0-9A-Za-z_-] does */
	    {"k: &s:4\n", ":4", 1, 6},
	    /* explicit indentation indicator: more-indented first line */
	    {"e: |2\n"
	     "    indented\n"
	     "  base\n",
	     "indented", 2, 5},
	    {"e: |2\n"
	     "    indented\n"
	     "  base\n",
	     "  indented", 2, 3},
	    {"e: |2\n"
	     "    indented\n"
	     "  base\n",
	     "base", 3, 3},
	    {"- |1-\n"
	     "  x\n"
	     "  y\n",
	     "y", 3, 3},
	    /* keep chomping and blank lines inside */
	    {"k: |+\n"
	     "  a\n"
	     "\n"
	     "  b\n"
	     "\n",
	     "b", 4, 3},
	    /* properties before the scalar */
	    {"x: &r !!str |\n"
	     "  go now\n",
	     "now", 2, 6},
	    /* a verbatim tag holds a comma, which ends no tag there */
	    {"x: !<tag:yaml.org,2002:str>\n"
	     "  go now\n",
	     "now", 2, 6},
	    {"f: [alpha, beta gamma]\n", "gamma", 1, 17},
	    {"r: |\r\n  one\r\n  two\r\n", "two", 3, 3},
	    {"m: |\n  \xc3\xa9t\xc3\xa9 x\n", "x", 2, 7},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct loaded l;
		const struct cg_node *n;
		uint32_t *offs;
		size_t at;
		uint32_t line, col;

		load(&l, cases[i].yaml);
		if (l.rc)
			fail_msg("case %zu: %s", i, cg_error_last());
		n = find_scalar(root(&l), cases[i].word, 0);
		if (!n)
			fail_msg("case %zu: no '%s'", i, cases[i].word);
		assert_int_equal(cg_scalar_offsets(&l.src, n, &offs), 0);
		check_offsets(&l, n, offs);
		at = (size_t)(strstr(n->str, cases[i].word) - n->str);
		cg_src_linecol(&l.src, offs[at], &line, &col);
		if (line != cases[i].line || col != cases[i].col)
			fail_msg("case %zu: '%s' at %u:%u, want %u:%u", i,
				 cases[i].word, line, col, cases[i].line,
				 cases[i].col);
		free(offs);
		unload(&l);
	}
}

static void test_yaml__scalar_offsets_end(void **state)
{
	static const struct {
		const char *yaml;
		size_t end; /* offs[len]: just past the last source byte */
	} cases[] = {
	    {"k: abc\n", 6},	   {"k: 'abc'\n", 7}, {"k: \"a\\tc\"\n", 8},
	    {"k: |\n  ab\n", 10},  /* the \n of "ab" included */
	    {"k: |-\n  ab\n", 10}, /* the \n of "ab" is not content */
	    {"k: \"\"\n", 4},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct loaded l;
		const struct cg_node *n;
		uint32_t *offs;

		load(&l, cases[i].yaml);
		n = cg_map_get(root(&l), "k");
		assert_int_equal(cg_scalar_offsets(&l.src, n, &offs), 0);
		if (offs[n->len] != cases[i].end)
			fail_msg("case %zu: end %u, want %zu", i, offs[n->len],
				 cases[i].end);
		free(offs);
		unload(&l);
	}
}

static void test_yaml__scalar_offsets_rejects_collections(void **state)
{
	struct loaded l;
	uint32_t *offs = (uint32_t *)1;

	load(&l, "a: [1]\n");
	assert_int_equal(cg_scalar_offsets(&l.src, root(&l), &offs), CG_EINVAL);
	assert_null(offs);
	unload(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_yaml__block_mapping_positions),
	    cmocka_unit_test(test_yaml__flow_positions),
	    cmocka_unit_test(test_yaml__sequence_positions),
	    cmocka_unit_test(test_yaml__empty_values_and_collections),
	    cmocka_unit_test(test_yaml__multi_document_stream),
	    cmocka_unit_test(test_yaml__multi_document_positions),
	    cmocka_unit_test(test_yaml__alias_shares_node),
	    cmocka_unit_test(test_yaml__merge_keys),
	    cmocka_unit_test(test_yaml__merged_pairs_are_shared),
	    cmocka_unit_test(test_yaml__errors_have_positions),
	    cmocka_unit_test(test_yaml__billion_laughs_is_refused_fast),
	    cmocka_unit_test(test_yaml__expansion_limit_is_exact),
	    cmocka_unit_test(test_yaml__deep_nesting_is_refused),
	    cmocka_unit_test(test_yaml__huge_single_line_scalar),
	    cmocka_unit_test(test_yaml__crlf_lines),
	    cmocka_unit_test(test_yaml__columns_count_code_points),
	    cmocka_unit_test(test_yaml__scalar_styles_and_tags),
	    cmocka_unit_test(test_yaml__scalar_offsets),
	    cmocka_unit_test(test_yaml__scalar_offsets_end),
	    cmocka_unit_test(test_yaml__scalar_offsets_rejects_collections),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
