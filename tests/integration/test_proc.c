/*
 * Integration tests of the proc: and pid: probes against real processes:
 * `sleep` started with a unique argv[0] as the marker, killed, or left
 * unreaped as a zombie. To check that the waiter never finds itself or its
 * parent shells, the test runs its own binary as a waiter
 * (`--probe-self PATTERN`: exit status = the probe's result).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"

#include "ciguard/probe.h"

extern char **environ;

static char self_exe[4096];
static char tmpdir[] = "/tmp/ciguard-proc-XXXXXX";

/* A marker unique to this run and `what`. */
static void marker(char *out, size_t outlen, const char *what)
{
	snprintf(out, outlen, "cgmark-%ld-%s", (long)getpid(), what);
}

/* Start `sleep SECONDS` with argv[0] = name. */
static pid_t spawn_sleep(const char *name, const char *seconds)
{
	char *argv[] = {(char *)name, (char *)seconds, NULL};
	pid_t pid;

	assert_int_equal(posix_spawnp(&pid, "sleep", NULL, NULL, argv, environ),
			 0);
	return pid;
}

static void kill_and_reap(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

/* The state letter of pid in /proc/PID/stat, or 0. */
static char state_of(pid_t pid)
{
	char path[64], buf[512], *rp;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	rp = strrchr(buf, ')');
	return rp && rp[1] == ' ' ? rp[2] : 0;
}

/* /proc/PID/cmdline starts with `name` (the exec has happened). */
static bool has_execd(pid_t pid, const char *name)
{
	char path[64], buf[256] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	if (!(f = fopen(path, "r")))
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return !strcmp(buf, name);
}

static void wait_execd(pid_t pid, const char *name)
{
	long deadline = cg_now_ms() + 10000;

	while (!has_execd(pid, name)) {
		if (cg_now_ms() > deadline)
			fail_msg("pid %ld never ran as '%s'", (long)pid, name);
		cg_sleep_ms(10);
	}
}

static enum cg_probe_result attempt(const char *target, char *why,
				    size_t whylen)
{
	char err[512] = "";
	struct cg_probe *p = cg_probe_new(target, NULL, err, sizeof(err));
	enum cg_probe_result r;

	if (!p)
		fail_msg("cg_probe_new(%s): %s", target, err);
	r = cg_probe_attempt(p, 5000);
	snprintf(why, whylen, "%s", cg_probe_last_error(p));
	cg_probe_free(p);
	return r;
}

/* Run argv (a waiter somewhere below it) and return its exit status. */
static int run_waiter(char *const argv[])
{
	pid_t pid;
	int status;

	assert_int_equal(posix_spawn(&pid, argv[0], NULL, NULL, argv, environ),
			 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* ------------------------------------------------------------------ proc */

static void test_proc__live_process_ready_then_killed_not(void **state)
{
	char name[64], target[80], why[512];
	pid_t pid;

	marker(name, sizeof(name), "live");
	snprintf(target, sizeof(target), "proc:%s", name);
	assert_int_equal(attempt(target, why, sizeof(why)), CG_PROBE_NOT_READY);
	assert_contains(why, name);
	pid = spawn_sleep(name, "30");
	wait_execd(pid, name);
	assert_int_equal(attempt(target, why, sizeof(why)), CG_PROBE_READY);
	/* a part of the command line is enough, arguments included */
	snprintf(target, sizeof(target), "proc:%s 30", name);
	assert_int_equal(attempt(target, why, sizeof(why)), CG_PROBE_READY);
	snprintf(target, sizeof(target), "proc:%s", name);
	kill_and_reap(pid);
	assert_int_equal(attempt(target, why, sizeof(why)), CG_PROBE_NOT_READY);
	assert_contains(why, "no running process");
}

static void test_proc__zombie_is_not_ready(void **state)
{
	char name[64], target[80], why[512];
	long deadline = cg_now_ms() + 10000;
	pid_t pid;
	int status;

	marker(name, sizeof(name), "zombie");
	snprintf(target, sizeof(target), "proc:%s", name);
	pid = spawn_sleep(name, "1");
	wait_execd(pid, name);
	assert_int_equal(attempt(target, why, sizeof(why)), CG_PROBE_READY);
	while (state_of(pid) != 'Z') {
		if (cg_now_ms() > deadline)
			fail_msg("pid %ld never became a zombie", (long)pid);
		cg_sleep_ms(10);
	}
	assert_int_equal(attempt(target, why, sizeof(why)), CG_PROBE_NOT_READY);
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

static void test_proc__waiter_never_finds_itself(void **state)
{
	char name[64], live[64], script[8192];
	pid_t pid;

	marker(name, sizeof(name), "self");
	/* the waiter's own command line holds the pattern */
	{
		char *argv[] = {self_exe, "--probe-self", name, NULL};

		assert_int_equal(run_waiter(argv), CG_PROBE_NOT_READY);
	}
	/* ... and so do its parent and grandparent shells' */
	snprintf(script, sizeof(script),
		 "sh -c '\"%s\" --probe-self %s; exit $?'; exit $?", self_exe,
		 name);
	{
		char *argv[] = {"/bin/sh", "-c", script, NULL};

		assert_int_equal(run_waiter(argv), CG_PROBE_NOT_READY);
	}
	/* the same waiter does see a real process (the check can fail) */
	marker(live, sizeof(live), "self-live");
	pid = spawn_sleep(live, "30");
	wait_execd(pid, live);
	{
		char *argv[] = {self_exe, "--probe-self", live, NULL};

		assert_int_equal(run_waiter(argv), CG_PROBE_READY);
	}
	kill_and_reap(pid);
}

static void test_proc__other_waiters_do_not_count(void **state)
{
	char name[64], waiter[80], target[80], why[512];
	pid_t pid;

	marker(name, sizeof(name), "waiter");
	snprintf(target, sizeof(target), "proc:%s", name);
	/* a process whose argv holds "proc:PATTERN" waits, it is not it */
	snprintf(waiter, sizeof(waiter), "proc:%s", name);
	pid = spawn_sleep(waiter, "30");
	wait_execd(pid, waiter);
	assert_int_equal(attempt(target, why, sizeof(why)), CG_PROBE_NOT_READY);
	kill_and_reap(pid);
	pid = spawn_sleep(name, "30");
	wait_execd(pid, name);
	assert_int_equal(attempt(target, why, sizeof(why)), CG_PROBE_READY);
	kill_and_reap(pid);
}

static void test_proc__empty_pattern_is_an_error(void **state)
{
	char err[256];

	assert_null(cg_probe_new("proc:", NULL, err, sizeof(err)));
	assert_contains(err, "pattern");
	assert_null(cg_probe_new("pid:", NULL, err, sizeof(err)));
}

/* ------------------------------------------------------------------- pid */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_pid__live_dead_missing_garbage(void **state)
{
	static const char *const garbage[] = {
	    "abc", "12abc", "-5", "0", "99999999999999999999", "1 2"};
	char path[4096], target[4200], text[64], name[64], why[512];
	pid_t pid;
	int status;

	snprintf(path, sizeof(path), "%s/worker.pid", tmpdir);
	snprintf(target, sizeof(target), "pid:%s", path);
	assert_int_equal(attempt(target, why, sizeof(why)), CG_PROBE_NOT_READY);
	assert_contains(why, "does not exist yet");

	marker(name, sizeof(name), "pidfile");
	pid = spawn_sleep(name, "30");
	snprintf(text, sizeof(text), "  %ld \n", (long)pid);
	write_file(path, text);
	assert_int_equal(attempt(target, why, sizeof(why)), CG_PROBE_READY);
	kill_and_reap(pid);
	assert_int_equal(attempt(target, why, sizeof(why)), CG_PROBE_NOT_READY);
	assert_contains(why, "not running");

	write_file(path, "");
	assert_int_equal(attempt(target, why, sizeof(why)), CG_PROBE_NOT_READY);
	assert_contains(why, "empty");
	for (size_t i = 0; i < sizeof(garbage) / sizeof(*garbage); i++) {
		write_file(path, garbage[i]);
		if (attempt(target, why, sizeof(why)) != CG_PROBE_NOT_READY)
			fail_msg("'%s' in a pid file was ready", garbage[i]);
		assert_contains(why, "does not hold a pid");
	}

	/* a zombie is not alive */
	pid = spawn_sleep(name, "0");
	{
		long deadline = cg_now_ms() + 10000;

		while (state_of(pid) != 'Z') {
			if (cg_now_ms() > deadline)
				fail_msg("pid %ld never became a zombie",
					 (long)pid);
			cg_sleep_ms(10);
		}
	}
	snprintf(text, sizeof(text), "%ld\n", (long)pid);
	write_file(path, text);
	assert_int_equal(attempt(target, why, sizeof(why)), CG_PROBE_NOT_READY);
	assert_contains(why, "zombie");
	assert_int_equal(waitpid(pid, &status, 0), pid);
	unlink(path);
}

static int setup(void **state)
{
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);

	if (n <= 0 || !mkdtemp(tmpdir))
		return -1;
	self_exe[n] = '\0';
	return 0;
}

static int teardown(void **state)
{
	char path[4200];

	/* left behind when a test fails half-way */
	snprintf(path, sizeof(path), "%s/worker.pid", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_proc__live_process_ready_then_killed_not),
	    cmocka_unit_test(test_proc__zombie_is_not_ready),
	    cmocka_unit_test(test_proc__waiter_never_finds_itself),
	    cmocka_unit_test(test_proc__other_waiters_do_not_count),
	    cmocka_unit_test(test_proc__empty_pattern_is_an_error),
	    cmocka_unit_test(test_pid__live_dead_missing_garbage),
	};

	if (argc == 3 && !strcmp(argv[1], "--probe-self")) {
		char target[256], err[256];
		struct cg_probe *p;
		enum cg_probe_result r;

		snprintf(target, sizeof(target), "proc:%s", argv[2]);
		p = cg_probe_new(target, NULL, err, sizeof(err));
		if (!p)
			return 100;
		r = cg_probe_attempt(p, 5000);
		cg_probe_free(p);
		return (int)r;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
