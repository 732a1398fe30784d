/*
 * Integration tests of the log:FILE:REGEX probe against a real file that
 * another thread writes to while the probe polls it: a file that appears
 * late, grows, gains its line after a delay, is truncated, rewritten,
 * rotated, or holds a line longer than the probe keeps.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"

#include "ciguard/probe.h"

static char tmpdir[] = "/tmp/ciguard-log-XXXXXX";
static char logpath[4096];
static char target[4200];

/* Write `len` bytes to the log: appended, or replacing it (O_TRUNC). */
static void put(const char *data, size_t len, bool truncate)
{
	int fd =
	    open(logpath, O_WRONLY | O_CREAT | (truncate ? O_TRUNC : O_APPEND),
		 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void append(const char *s)
{
	put(s, strlen(s), false);
}

static struct cg_probe *new_probe(const char *regex)
{
	char err[512];
	struct cg_probe *p;

	snprintf(target, sizeof(target), "log:%s:%s", logpath, regex);
	p = cg_probe_new(target, NULL, err, sizeof(err));
	if (!p)
		fail_msg("cg_probe_new(%s): %s", target, err);
	return p;
}

static int each_setup(void **state)
{
	unlink(logpath);
	return 0;
}

static void test_log__absent_then_lines_without_match(void **state)
{
	struct cg_probe *p = new_probe("worker_started");

	assert_int_equal(cg_probe_attempt(p, 5000), CG_PROBE_NOT_READY);
	assert_contains(cg_probe_last_error(p), "does not exist yet");
	append("booting\nloading config\n");
	assert_int_equal(cg_probe_attempt(p, 5000), CG_PROBE_NOT_READY);
	assert_contains(cg_probe_last_error(p), "no line");
	append("still loading\n");
	assert_int_equal(cg_probe_attempt(p, 5000), CG_PROBE_NOT_READY);
	append("INFO worker_started pid=42\n");
	assert_int_equal(cg_probe_attempt(p, 5000), CG_PROBE_READY);
	/* ready stays ready while the file only grows */
	append("more\n");
	assert_int_equal(cg_probe_attempt(p, 5000), CG_PROBE_READY);
	cg_probe_free(p);
}

static void *append_later(void *arg)
{
	cg_sleep_ms(400);
	append("2024-01-01 INFO app.worker: worker_started\n");
	return NULL;
}

static void test_log__line_written_later_by_another_thread(void **state)
{
	struct cg_probe *p = new_probe("INFO .*worker_started$");
	long t0 = cg_now_ms(), deadline = t0 + 20000;
	unsigned before = 0;
	pthread_t writer;

	append("starting\n");
	assert_int_equal(pthread_create(&writer, NULL, append_later, NULL), 0);
	while (cg_probe_attempt(p, 1000) != CG_PROBE_READY) {
		before++;
		if (cg_now_ms() > deadline)
			fail_msg("never ready: %s", cg_probe_last_error(p));
		cg_sleep_ms(20);
	}
	pthread_join(writer, NULL);
	/* not ready before the line: the first attempts said so */
	assert_true(before >= 1);
	assert_true(cg_now_ms() - t0 >= 350);
	cg_probe_free(p);
}

static void test_log__line_split_across_writes(void **state)
{
	struct cg_probe *p = new_probe("^worker_started$");

	append("worker_sta");
	assert_int_equal(cg_probe_attempt(p, 5000), CG_PROBE_NOT_READY);
	append("rted");
	/* an unfinished last line is matched as it stands */
	assert_int_equal(cg_probe_attempt(p, 5000), CG_PROBE_READY);
	cg_probe_free(p);

	unlink(logpath);
	p = new_probe("^worker_started$");
	append("worker_started_failed\r\n");
	assert_int_equal(cg_probe_attempt(p, 5000), CG_PROBE_NOT_READY);
	/* CRLF line ends: '$' matches before the \r */
	append("worker_started\r\n");
	assert_int_equal(cg_probe_attempt(p, 5000), CG_PROBE_READY);
	cg_probe_free(p);
}

static void test_log__truncated_rewritten_rotated(void **state)
{
	struct cg_probe *p = new_probe("worker_started");
	char big[300];

	append("old run: booting\nold run: still booting\n");
	assert_int_equal(cg_probe_attempt(p, 5000), CG_PROBE_NOT_READY);
	/* truncated and rewritten shorter */
	put("worker_started\n", 15, true);
	assert_int_equal(cg_probe_attempt(p, 5000), CG_PROBE_READY);
	/* truncated again without the line: no longer ready */
	put("new run: booting\n", 17, true);
	assert_int_equal(cg_probe_attempt(p, 5000), CG_PROBE_NOT_READY);
	/* rewritten longer than what we had read, between two attempts */
	memset(big, 'z', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	put(big, sizeof(big), true);
	append("worker_started\n");
	assert_int_equal(cg_probe_attempt(p, 5000), CG_PROBE_READY);
	/* rotated: a new file under the name */
	{
		char moved[4200];

		snprintf(moved, sizeof(moved), "%s.1", logpath);
		assert_int_equal(rename(logpath, moved), 0);
		append("after rotation: booting\n");
		assert_int_equal(cg_probe_attempt(p, 5000), CG_PROBE_NOT_READY);
		append("after rotation: worker_started\n");
		assert_int_equal(cg_probe_attempt(p, 5000), CG_PROBE_READY);
		unlink(moved);
	}
	cg_probe_free(p);
}

static void test_log__bad_target_or_regex_is_an_error(void **state)
{
	char err[512], spec[4200];

	snprintf(spec, sizeof(spec), "log:%s:(", logpath);
	assert_null(cg_probe_new(spec, NULL, err, sizeof(err)));
	assert_contains(err, "bad regex");
	assert_contains(err, "missing closing parenthesis");
	assert_contains(err, "offset 1");
	snprintf(spec, sizeof(spec), "log:%s", logpath);
	assert_null(cg_probe_new(spec, NULL, err, sizeof(err)));
	snprintf(spec, sizeof(spec), "log:%s:", logpath);
	assert_null(cg_probe_new(spec, NULL, err, sizeof(err)));
	assert_null(cg_probe_new("log::x", NULL, err, sizeof(err)));
	/* the regex may hold ':' (FILE ends at the first one) */
	{
		struct cg_probe *p = new_probe("level=info: ready");

		append("level=info: ready\n");
		assert_int_equal(cg_probe_attempt(p, 5000), CG_PROBE_READY);
		cg_probe_free(p);
	}
}

static void test_log__huge_line_is_bounded(void **state)
{
	size_t two_mib = 2u << 20;
	char *line = malloc(two_mib);
	struct cg_probe *p = new_probe("worker_started");

	/* 2 MiB without a newline: no crash, not ready */
	memset(line, 'x', two_mib);
	put(line, two_mib, false);
	assert_int_equal(cg_probe_attempt(p, 5000), CG_PROBE_NOT_READY);
	/* a new line with the match 1.5 MiB in: past what a line keeps */
	append("\n");
	memcpy(line + two_mib / 2 + two_mib / 4, "worker_started", 14);
	put(line, two_mib, false);
	append("\n");
	assert_int_equal(cg_probe_attempt(p, 5000), CG_PROBE_NOT_READY);
	/* the next line is read normally */
	append("worker_started\n");
	assert_int_equal(cg_probe_attempt(p, 5000), CG_PROBE_READY);
	cg_probe_free(p);

	/* a long line is matched on what it keeps */
	unlink(logpath);
	p = new_probe("^worker_started");
	memset(line, 'x', two_mib);
	memcpy(line, "worker_started", 14);
	put(line, two_mib, false);
	assert_int_equal(cg_probe_attempt(p, 5000), CG_PROBE_READY);
	cg_probe_free(p);
	free(line);
}

static void test_log__big_file_read_across_attempts(void **state)
{
	size_t line_len = 100, lines = 160 * 1024;
	char *text = malloc(line_len * lines);
	struct cg_probe *p = new_probe("worker_started");
	unsigned attempts = 1;

	memset(text, 'a', line_len * lines);
	for (size_t i = 1; i <= lines; i++)
		text[i * line_len - 1] = '\n';
	put(text, line_len * lines, false);
	append("worker_started\n");
	free(text);
	/* 16 MiB cannot be scanned in 1 ms: the attempt stops and says so */
	assert_int_equal(cg_probe_attempt(p, 1), CG_PROBE_NOT_READY);
	assert_contains(cg_probe_last_error(p), "no line matches yet (read");
	/* later attempts go on from there and find the last line */
	while (cg_probe_attempt(p, 1) != CG_PROBE_READY) {
		if (++attempts > 100000)
			fail_msg("never ready: %s", cg_probe_last_error(p));
	}
	assert_true(attempts > 1);
	cg_probe_free(p);
}

static void test_log__fifo_does_not_hang(void **state)
{
	struct cg_probe *p = new_probe("worker_started");
	long t0 = cg_now_ms();

	assert_int_equal(mkfifo(logpath, 0600), 0);
	assert_int_equal(cg_probe_attempt(p, 1000), CG_PROBE_NOT_READY);
	assert_contains(cg_probe_last_error(p), "not a regular file");
	assert_true(cg_now_ms() - t0 < 5000);
	cg_probe_free(p);
}

static int setup(void **state)
{
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(logpath, sizeof(logpath), "%s/worker.log", tmpdir);
	return 0;
}

static int teardown(void **state)
{
	unlink(logpath);
	rmdir(tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_log__absent_then_lines_without_match,
				   each_setup),
	    cmocka_unit_test_setup(
		test_log__line_written_later_by_another_thread, each_setup),
	    cmocka_unit_test_setup(test_log__line_split_across_writes,
				   each_setup),
	    cmocka_unit_test_setup(test_log__truncated_rewritten_rotated,
				   each_setup),
	    cmocka_unit_test_setup(test_log__bad_target_or_regex_is_an_error,
				   each_setup),
	    cmocka_unit_test_setup(test_log__huge_line_is_bounded, each_setup),
	    cmocka_unit_test_setup(test_log__big_file_read_across_attempts,
				   each_setup),
	    cmocka_unit_test_setup(test_log__fifo_does_not_hang, each_setup),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
