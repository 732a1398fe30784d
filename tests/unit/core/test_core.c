/* Unit tests for src/core: buffers, arena, source positions, globs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/core.h"

static void test_core__buf_appends_and_caps(void **state)
{
	struct cg_buf b;

	cg_buf_init(&b, 8);
	assert_string_equal(b.buf, "");
	assert_int_equal(cg_buf_addstr(&b, "abc"), 0);
	assert_int_equal(cg_buf_addf(&b, "%d", 42), 0);
	assert_string_equal(b.buf, "abc42");
	assert_int_equal(cg_buf_addstr(&b, "toolong"), CG_ELIMIT);
	assert_string_equal(b.buf, "abc42");
	cg_buf_release(&b);
	assert_string_equal(b.buf, "");
}

static void test_core__linecol_counts_code_points(void **state)
{
	struct cg_src s;
	uint32_t line, col;
	const char *t = "a: 1\r\nb: \xc3\xa9x\rc\n";

	cg_src_init_mem(&s, "f.yml", t, strlen(t));
	assert_int_equal(s.nlines, 4);
	cg_src_linecol(&s, 0, &line, &col);
	assert_int_equal(line, 1);
	assert_int_equal(col, 1);
	/* 'x' after a two-byte e-acute on line 2 is column 5 */
	cg_src_linecol(&s, 11, &line, &col);
	assert_int_equal(line, 2);
	assert_int_equal(col, 5);
	assert_int_equal(cg_src_offset(&s, 2, 5), 11);
	cg_src_linecol(&s, 13, &line, &col);
	assert_int_equal(line, 3);
	assert_int_equal(col, 1);
	size_t len;
	const char *l = cg_src_line(&s, 1, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(l, "a: 1", 4);
	assert_null(cg_src_line(&s, 9, &len));
	cg_src_release(&s);
}

static void test_core__utf8_validation(void **state)
{
	assert_true(cg_utf8_valid("plain", 5));
	assert_true(cg_utf8_valid("\xe2\x82\xac", 3));
	assert_false(cg_utf8_valid("\xe9t\xe9", 3));	/* Latin-1 */
	assert_false(cg_utf8_valid("\xc0\xaf", 2));	/* overlong */
	assert_false(cg_utf8_valid("\xed\xa0\x80", 3)); /* surrogate */
	assert_false(cg_utf8_valid("\xe2\x82", 2));	/* truncated */
}

static void test_core__glob(void **state)
{
	assert_true(cg_glob_match("legacy/**", "legacy/a/b.yml"));
	assert_false(cg_glob_match("legacy/**", "src/legacy/a.yml"));
	assert_true(cg_glob_match("**/x.yml", "x.yml"));
	assert_true(cg_glob_match("**/x.yml", "a/b/x.yml"));
	assert_true(cg_glob_match("*.yml", "ci.yml"));
	assert_false(cg_glob_match("*.yml", "a/ci.yml"));
	assert_true(cg_glob_match("python -m app.worker*",
				  "python -m app.worker.pool"));
}

static void test_core__arena_zeroes(void **state)
{
	struct cg_arena a = CG_ARENA_INIT;
	char *p = cg_arena_alloc(&a, 100000);

	for (int i = 0; i < 100000; i++)
		assert_int_equal(p[i], 0);
	assert_string_equal(cg_arena_strndup(&a, "hello", 4), "hell");
	cg_arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_core__buf_appends_and_caps),
	    cmocka_unit_test(test_core__linecol_counts_code_points),
	    cmocka_unit_test(test_core__utf8_validation),
	    cmocka_unit_test(test_core__glob),
	    cmocka_unit_test(test_core__arena_zeroes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
