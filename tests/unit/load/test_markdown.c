/* Unit tests for src/load/markdown.c: GFM tables with positions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "load/load.h"

static void load(struct cg_md_doc *d, struct cg_src *s, const char *text)
{
	cg_src_init_mem(s, "docs/x.md", text, strlen(text));
	assert_int_equal(cg_md_load(d, s), 0);
}

static void test_markdown__cells_escapes_and_positions(void **state)
{
	const char *text = "# Services\n"				/* 1 */
			   "\n"						/* 2 */
			   "| Service | CI | Local Dev |\n"		/* 3 */
			   "|:--|:-:|--:|\n"				/* 4 */
			   "| `redis` | `localhost:6379` | a \\| b |\n" /* 5 */
			   "postgres | **secret** | [x](http://y)\n"	/* 6 */
			   "| empty || <http://h:1> |\n"		/* 7 */
			   "\n"
			   "after | not | a row\n";
	struct cg_md_doc d;
	struct cg_src s;
	const struct cg_md_table *t;

	(void)state;
	load(&d, &s, text);
	assert_int_equal(d.ntables, 1);
	t = &d.tables[0];
	assert_int_equal(t->header.ncells, 3);
	assert_string_equal(t->header.cells[2].text, "Local Dev");
	assert_int_equal(t->nrows, 3);
	assert_string_equal(t->rows[0].cells[0].text, "redis");
	assert_string_equal(t->rows[0].cells[1].text, "localhost:6379");
	assert_string_equal(t->rows[0].cells[2].text, "a | b");
	/* the raw cell: `localhost:6379` with its backticks, line 5 */
	assert_int_equal(t->rows[0].cells[1].start,
			 (size_t)(strstr(text, "`localhost") - text));
	assert_string_equal(t->rows[1].cells[0].text, "postgres");
	assert_string_equal(t->rows[1].cells[1].text, "secret");
	assert_string_equal(t->rows[1].cells[2].text, "x");
	assert_int_equal(t->rows[2].ncells, 3);
	assert_string_equal(t->rows[2].cells[1].text, "");
	assert_string_equal(t->rows[2].cells[2].text, "http://h:1");
	assert_int_equal(t->rows[2].start,
			 (size_t)(strstr(text, "| empty") - text));
	cg_md_release(&d);
	cg_src_release(&s);
}

static void test_markdown__not_tables(void **state)
{
	static const char *const cases[] = {
	    /* in a fenced code block */
	    "```\n| a | b |\n|---|---|\n| 1 | 2 |\n```\n",
	    "~~~~md\n| a | b |\n|---|---|\n~~~~\n",
	    /* indented code */
	    "    | a | b |\n    |---|---|\n",
	    /* in an HTML comment */
	    "<!--\n| a | b |\n|---|---|\n-->\n",
	    /* delimiter row with another number of cells */
	    "| a | b |\n|---|\n",
	    /* no delimiter row */
	    "| a | b |\n| 1 | 2 |\n",
	    "",
	    "|",
	    "|\n|",
	    "-|-\n",
	    "\\|\n|-|\n",
	};

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(*cases); k++) {
		struct cg_md_doc d;
		struct cg_src s;

		load(&d, &s, cases[k]);
		if (d.ntables)
			fail_msg("case %zu: a table", k);
		cg_md_release(&d);
		cg_src_release(&s);
	}
}

static void test_markdown__after_a_fence_and_crlf(void **state)
{
	const char *text = "```\n| a | b |\n```\r\n"
			   "a | b\r\n"
			   "--|--\r\n"
			   "1 | 2\r\n";
	struct cg_md_doc d;
	struct cg_src s;

	(void)state;
	load(&d, &s, text);
	assert_int_equal(d.ntables, 1);
	assert_int_equal(d.tables[0].nrows, 1);
	assert_string_equal(d.tables[0].rows[0].cells[1].text, "2");
	cg_md_release(&d);
	cg_src_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_markdown__cells_escapes_and_positions),
	    cmocka_unit_test(test_markdown__not_tables),
	    cmocka_unit_test(test_markdown__after_a_fence_and_crlf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
