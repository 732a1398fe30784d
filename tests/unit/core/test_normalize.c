/* Unit tests for src/core/normalize.c: what `ciguard flaky` replaces in a
 * failure's output before it groups failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/core.h"

static const struct {
	const char *in, *want;
} cases[] = {
    /* timestamps */
    {"at 2026-12-06T20:00:57Z boom", "at <TIME> boom"},
    {"2026-12-06T20:00:57.123456+01:00 x", "<TIME> x"},
    {"2026-12-06 20:00:57,123 ERROR app", "<TIME> ERROR app"},
    {"date 2026-12-06 only", "date <TIME> only"},
    {"Date: Sun, 06 Dec 2026 20:00:57 +0000", "Date: <TIME>"},
    {"Sun Dec  6 20:00:57 UTC 2026: started", "<TIME>: started"},
    {"Dec  6 20:00:57 host sshd[4321]: fail", "<TIME> host sshd[<PID>]: fail"},
    {"127.0.0.1 - - [06/Dec/2026:20:00:57 +0000] \"GET /\"",
     "127.0.0.1 - - [<TIME>] \"GET /\""},
    {"[20:00:57.5] tick", "[<TIME>] tick"},
    {"ts=1765051257 ms=1765051257123", "ts=<TIME> ms=<TIME>"},
    /* pids */
    {"worker pid 1234 died", "worker pid <PID> died"},
    {"PID: 99, ppid=1", "PID: <PID>, ppid=<PID>"},
    {"process 4242 exited", "process <PID> exited"},
    /* test ids stay: a parametrised test is not a pid */
    {"FAILED test_x[1] - assert", "FAILED test_x[1] - assert"},
    /* addresses */
    {"<Foo object at 0x7ffd5a3c10e0>", "<Foo object at <ADDR>>"},
    {"==12== READ at 0xDEADBEEF", "==12== READ at <ADDR>"},
    {"exit 0x1", "exit 0x1"},
    /* temporary paths */
    {"cannot open /tmp/tmp.Xy12/data.db: gone", "cannot open <TMP>: gone"},
    {"'/var/folders/xy/T/pytest-3/a.txt'", "'<TMP>'"},
    {"see /var/tmp/run-1.log", "see <TMP>"},
    {"/home/u/tmp/x stays", "/home/u/tmp/x stays"},
    /* durations */
    {"1 failed, 2 passed in 0.53s", "1 failed, 2 passed in <DURATION>"},
    {"took 12ms (1m30s total)", "took <DURATION> (<DURATION> total)"},
    {"done in 1.2 seconds", "done in <DURATION>"},
    {"waited 3 ms", "waited <DURATION>"},
    {"test_5s and v2s stay", "test_5s and v2s stay"},
    /* the rest */
    {"id 123e4567-e89b-12d3-a456-426614174000", "id <UUID>"},
    {"\x1b[31mFAILED\x1b[0m", "FAILED"},
    {"plain text, 42 lines", "plain text, 42 lines"},
    {"", ""},
};

static void test_normalize__cases(void **state)
{
	assert_true(cg_normalize_patterns_ok());
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		size_t len;
		char *got =
		    cg_normalize_output(cases[i].in, strlen(cases[i].in), &len);

		if (strcmp(got, cases[i].want))
			fail_msg("case %zu: '%s' -> '%s', want '%s'", i,
				 cases[i].in, got, cases[i].want);
		assert_int_equal(len, strlen(got));
		free(got);
	}
}

/* Two runs of one failure, differing only in what changes per run, come
 * out the same; a different failure does not. */
static void test_normalize__same_failure_compares_equal(void **state)
{
	const char *a = "2026-12-06T20:00:01Z pid 100 tmp /tmp/tmp.aaaa\n"
			"AssertionError: x at 0x7f0000001000 after 0.11s\n";
	const char *b = "2026-12-07T09:13:59Z pid 2345 tmp /tmp/tmp.bZ9q\n"
			"AssertionError: x at 0x7f00000fe000 after 1.9s\n";
	const char *c = "2026-12-07T09:13:59Z pid 2345 tmp /tmp/tmp.bZ9q\n"
			"KeyError: 'y' at 0x7f00000fe000 after 1.9s\n";
	char *na = cg_normalize_output(a, strlen(a), NULL);
	char *nb = cg_normalize_output(b, strlen(b), NULL);
	char *nc = cg_normalize_output(c, strlen(c), NULL);

	assert_string_equal(na, nb);
	assert_string_not_equal(na, nc);
	free(na);
	free(nb);
	free(nc);
}

/* Output is bytes: invalid UTF-8 and long text go through. */
static void test_normalize__bytes_and_size(void **state)
{
	size_t n = 100000, len;
	char *big = malloc(n), *got;

	for (size_t i = 0; i < n; i++)
		big[i] = i % 50 == 49 ? '\n' : (i % 7 ? '\xe9' : '1');
	got = cg_normalize_output(big, n, &len);
	assert_int_equal(len, n);
	assert_memory_equal(got, big, n);
	free(got);
	free(big);
	got = cg_normalize_output("a\xff pid 7\xfe", 10, &len);
	assert_string_equal(got, "a\xff pid <PID>\xfe");
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_normalize__cases),
	    cmocka_unit_test(test_normalize__same_failure_compares_equal),
	    cmocka_unit_test(test_normalize__bytes_and_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
