/* Unit tests for src/load/dotenv.c: .env files as compose/python read them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "load/load.h"

static void load(struct cg_dotenv *d, struct cg_src *s, const char *text)
{
	cg_src_init_mem(s, ".env.example", text, strlen(text));
	assert_int_equal(cg_dotenv_load(d, s), 0);
}

static void assert_pos(struct cg_pos p, uint32_t line, uint32_t col,
		       uint32_t end_line, uint32_t end_col)
{
	assert_int_equal(p.line, line);
	assert_int_equal(p.col, col);
	assert_int_equal(p.end_line, end_line);
	assert_int_equal(p.end_col, end_col);
}

static const struct cg_env_entry *find(const struct cg_dotenv *d,
				       const char *key)
{
	for (size_t k = 0; k < d->n; k++)
		if (!strcmp(d->entries[k].key, key))
			return &d->entries[k];
	fail_msg("no entry '%s'", key);
	return NULL;
}

static void test_dotenv__each_syntax_with_positions(void **state)
{
	const char *text =
	    "# Database connection\n"			      /* 1 */
	    "#   used by the app  \n"			      /* 2 */
	    "DATABASE_URL=postgres://u:p@localhost:5432/db\n" /* 3 */
	    "export REDIS_URL = redis://localhost:6379/0   # the cache\n"
	    "EMPTY=\n"					     /* 5 */
	    "ALONE\n"					     /* 6 */
	    "\n"					     /* 7 */
	    "# detached: a blank line follows\n"	     /* 8 */
	    "\n"					     /* 9 */
	    "HASH=a#b\n"				     /* 10 */
	    "SINGLE='a $X \\n' \n"			     /* 11 */
	    "  DOUBLE=\"l\\n\\\"q\\\" ${HOME}\"  # quoted\n" /* 12 */
	    "BLANK_COMMENT= # only a comment\n"		     /* 13 */
	    "app.name-x=\xc3\xa9t\xc3\xa9\n";		     /* 14 */
	struct cg_src s;
	struct cg_dotenv d;
	const struct cg_env_entry *e;

	load(&d, &s, text);
	assert_int_equal(d.nproblems, 0);
	assert_int_equal(d.n, 9);

	e = find(&d, "DATABASE_URL");
	assert_string_equal(e->value, "postgres://u:p@localhost:5432/db");
	assert_pos(e->key_pos, 3, 1, 3, 13);
	assert_pos(e->value_pos, 3, 14, 3, 46);
	assert_string_equal(e->comment, "Database connection\nused by the app");
	assert_false(e->exported);
	assert_false(e->quoted);

	e = find(&d, "REDIS_URL");
	assert_true(e->exported);
	assert_string_equal(e->value, "redis://localhost:6379/0");
	assert_pos(e->key_pos, 4, 8, 4, 17);
	assert_pos(e->value_pos, 4, 20, 4, 44);
	assert_string_equal(e->comment, "the cache");

	e = find(&d, "EMPTY");
	assert_string_equal(e->value, "");
	assert_pos(e->value_pos, 5, 7, 5, 7);
	assert_null(e->comment);

	e = find(&d, "ALONE");
	assert_string_equal(e->value, "");
	assert_pos(e->key_pos, 6, 1, 6, 6);
	assert_pos(e->value_pos, 6, 6, 6, 6);
	assert_null(e->comment);

	e = find(&d, "HASH");
	assert_string_equal(e->value, "a#b");
	assert_null(e->comment);

	e = find(&d, "SINGLE");
	assert_true(e->quoted);
	assert_string_equal(e->value, "a $X \\n");
	assert_pos(e->value_pos, 11, 8, 11, 17);

	e = find(&d, "DOUBLE");
	assert_true(e->quoted);
	assert_string_equal(e->value, "l\n\"q\" ${HOME}");
	assert_pos(e->key_pos, 12, 3, 12, 9);
	assert_pos(e->value_pos, 12, 10, 12, 28);
	assert_string_equal(e->comment, "quoted");

	/* the blanks after '=' go first, so compose and python-dotenv
	 * both read the value `# only a comment`; it reads as a note */
	e = find(&d, "BLANK_COMMENT");
	assert_string_equal(e->value, "# only a comment");
	assert_pos(e->value_pos, 13, 16, 13, 32);
	assert_string_equal(e->comment, "only a comment");

	/* columns count code points */
	e = find(&d, "app.name-x");
	assert_string_equal(e->value, "\xc3\xa9t\xc3\xa9");
	assert_pos(e->value_pos, 14, 12, 14, 15);

	cg_dotenv_release(&d);
	cg_src_release(&s);
}

static void test_dotenv__multiline_quoted_values_and_crlf(void **state)
{
	const char *text = "A=1\r\n"
			   "CERT=\"-----BEGIN\r\n"
			   "abc\r\n"
			   "-----END\" # pem\r\n"
			   "LIT='x\n"
			   "  y'\n"
			   "# next\r\n"
			   "B=2\r\n";
	struct cg_src s;
	struct cg_dotenv d;
	const struct cg_env_entry *e;

	load(&d, &s, text);
	assert_int_equal(d.nproblems, 0);
	assert_int_equal(d.n, 4);
	assert_string_equal(find(&d, "A")->value, "1");
	e = find(&d, "CERT");
	assert_string_equal(e->value, "-----BEGIN\nabc\n-----END");
	assert_pos(e->value_pos, 2, 6, 4, 10);
	assert_string_equal(e->comment, "pem");
	e = find(&d, "LIT");
	assert_string_equal(e->value, "x\n  y");
	assert_pos(e->value_pos, 5, 5, 6, 5);
	e = find(&d, "B");
	assert_string_equal(e->value, "2");
	assert_pos(e->key_pos, 8, 1, 8, 2);
	assert_string_equal(e->comment, "next");
	cg_dotenv_release(&d);
	cg_src_release(&s);
}

static void test_dotenv__comment_attachment(void **state)
{
	const char *text = "# about A\n"
			   "A=1 # A itself\n"
			   "B=2\n"
			   "# about C, above a bad line\n"
			   "C D=3\n"
			   "E=4\n"
			   "#\n"
			   "#\n"
			   "F=5\n"
			   "##  Section  \n"
			   "G=6 #\n";
	struct cg_src s;
	struct cg_dotenv d;

	load(&d, &s, text);
	/* the trailing comment wins over the one above */
	assert_string_equal(find(&d, "A")->comment, "A itself");
	/* an entry line above is not a comment */
	assert_null(find(&d, "B")->comment);
	/* a bad line between detaches the comment */
	assert_null(find(&d, "E")->comment);
	/* bare '#' lines say nothing */
	assert_null(find(&d, "F")->comment);
	/* an empty trailing comment falls back to the line above */
	assert_string_equal(find(&d, "G")->comment, "Section");
	assert_int_equal(d.nproblems, 1);
	cg_dotenv_release(&d);
	cg_src_release(&s);
}

static void test_dotenv__bad_lines_become_problems(void **state)
{
	static const struct {
		uint32_t line, col, end_col;
		const char *message;
	} want[] = {
	    {1, 1, 7,
	     "expected a variable name (a letter or '_' first), "
	     "found '1'"},
	    {2, 5, 11, "expected '=' after 'KEY', found 'W'"},
	    {3, 4, 7,
	     "invalid character in variable name 'BAD', found "
	     "'!'"},
	    {4, 1, 3,
	     "expected a variable name (a letter or '_' first), "
	     "found '='"},
	    {5, 1, 11,
	     "expected a variable name (a letter or '_' first), "
	     "found \"'\""},
	    {6, 8, 11,
	     "unexpected 'x' after the closing quote; a comment "
	     "starts with '#'"},
	    {7, 3, 16,
	     "unterminated quoted value: no closing '\"' before "
	     "the end of the file"},
	};
	const char *text = "1BAD=x\n"
			   "KEY WITH=1\n"
			   "BAD!=1\n"
			   "=v\n"
			   "'QUOTED'=1\n"
			   "Q=\"ok\" x y\n"
			   "U=\"never closed\n"
			   "GOOD=1\n";
	struct cg_src s;
	struct cg_dotenv d;

	load(&d, &s, text);
	assert_int_equal(d.nproblems, sizeof(want) / sizeof(want[0]));
	for (size_t k = 0; k < d.nproblems; k++) {
		assert_string_equal(d.problems[k].message, want[k].message);
		assert_pos(d.problems[k].pos, want[k].line, want[k].col,
			   want[k].line, want[k].end_col);
	}
	/* the entry with junk after its quote is kept; reading went on */
	assert_int_equal(d.n, 2);
	assert_string_equal(find(&d, "Q")->value, "ok");
	assert_string_equal(find(&d, "GOOD")->value, "1");
	cg_dotenv_release(&d);
	cg_src_release(&s);
}

static void test_dotenv__unterminated_quote_at_end_of_file(void **state)
{
	const char *cases[] = {"A='x", "A=\"x\\\"", "A=\"", "export A='"};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct cg_src s;
		struct cg_dotenv d;

		load(&d, &s, cases[k]);
		assert_int_equal(d.n, 0);
		assert_int_equal(d.nproblems, 1);
		assert_int_equal(d.problems[0].pos.line, 1);
		cg_dotenv_release(&d);
		cg_src_release(&s);
	}
}

static void test_dotenv__empty_and_odd_files(void **state)
{
	const char *cases[] = {"",	 "\n\n",      "#",   "\xef\xbb\xbfK=v",
			       "export", "export  K", "K\r", "K=\"a\"#c"};
	const size_t entries[] = {0, 0, 0, 1, 1, 1, 1, 1};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct cg_src s;
		struct cg_dotenv d;

		load(&d, &s, cases[k]);
		assert_int_equal(d.n, entries[k]);
		assert_int_equal(d.nproblems, 0);
		cg_dotenv_release(&d);
		cg_src_release(&s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dotenv__each_syntax_with_positions),
	    cmocka_unit_test(test_dotenv__multiline_quoted_values_and_crlf),
	    cmocka_unit_test(test_dotenv__comment_attachment),
	    cmocka_unit_test(test_dotenv__bad_lines_become_problems),
	    cmocka_unit_test(test_dotenv__unterminated_quote_at_end_of_file),
	    cmocka_unit_test(test_dotenv__empty_and_odd_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
