/*
 * make bench's stopwatch: runs a command RUNS times as a whole process
 * (fork, exec, wait) and prints the best and the median wall time in ms
 * and the command's peak resident memory over the runs in KiB (its
 * ru_maxrss, from wait4), then the user and system CPU ms of the best run
 * (every thread, from wait4): `BEST MEDIAN PEAK_RSS_KIB USER_MS SYS_MS`. Every
 * program a ratio compares is timed by this, the same way: each pays its own
 * start-up and exit, and none pays for a harness (a shell's `$(date)` pair
 * around a command adds ~4 ms here).
 *
 *   timeit RUNS [--cpu N] [--stdin FILE] [--cwd DIR] -- COMMAND [ARG...]
 *
 * --cpu pins the command to one CPU (sched_setaffinity in the child, so
 * no taskset process is timed); its output goes to /dev/null. Exit 0, or
 * 2 when the command cannot be run or is killed by a signal.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* one run: its wall time, then its CPU time */
struct run {
	double wall, user, sys;
};

static int cmp_run(const void *a, const void *b)
{
	double x = ((const struct run *)a)->wall,
	       y = ((const struct run *)b)->wall;

	return (x > y) - (x < y);
}

static double tv_ms(struct timeval tv)
{
	return tv.tv_sec * 1e3 + tv.tv_usec / 1e3;
}

static int usage(void)
{
	fputs("usage: timeit RUNS [--cpu N] [--stdin FILE] [--cwd DIR] -- "
	      "COMMAND [ARG...]\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	const char *in = "/dev/null", *cwd = NULL;
	int cpu = -1, runs, i = 2;
	long peak_rss = 0;
	struct run *t;

	if (argc < 4 || (runs = atoi(argv[1])) < 1 || runs > 1000)
		return usage();
	for (; i < argc && strcmp(argv[i], "--"); i += 2) {
		if (i + 1 >= argc)
			return usage();
		if (!strcmp(argv[i], "--cpu"))
			cpu = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--stdin"))
			in = argv[i + 1];
		else if (!strcmp(argv[i], "--cwd"))
			cwd = argv[i + 1];
		else
			return usage();
	}
	if (i + 1 >= argc)
		return usage();
	argv += i + 1;
	t = calloc((size_t)runs, sizeof(*t));
	if (!t)
		return 2;
	for (int r = 0; r < runs; r++) {
		double start = now_ms();
		int status;
		struct rusage ru;
		pid_t pid = fork();

		if (pid < 0) {
			perror("timeit: fork");
			return 2;
		}
		if (pid == 0) {
			int fd = open(in, O_RDONLY),
			    null = open("/dev/null", O_WRONLY);

			if (fd < 0 || null < 0 || dup2(fd, 0) < 0 ||
			    dup2(null, 1) < 0 || dup2(null, 2) < 0)
				_exit(127);
			if (cwd && chdir(cwd) < 0)
				_exit(127);
			if (cpu >= 0) {
				cpu_set_t set;

				CPU_ZERO(&set);
				CPU_SET(cpu, &set);
				sched_setaffinity(0, sizeof(set), &set);
			}
			execvp(argv[0], argv);
			_exit(127);
		}
		if (wait4(pid, &status, 0, &ru) < 0) {
			perror("timeit: wait4");
			return 2;
		}
		t[r].wall = now_ms() - start;
		t[r].user = tv_ms(ru.ru_utime);
		t[r].sys = tv_ms(ru.ru_stime);
		if (ru.ru_maxrss > peak_rss)
			peak_rss = ru.ru_maxrss;
		if (WIFSIGNALED(status) ||
		    (WIFEXITED(status) && WEXITSTATUS(status) == 127)) {
			fprintf(stderr, "timeit: '%s' could not run or died\n",
				argv[0]);
			return 2;
		}
	}
	qsort(t, (size_t)runs, sizeof(*t), cmp_run);
	printf("%.1f %.1f %ld %.1f %.1f\n", t[0].wall, t[runs / 2].wall,
	       peak_rss, t[0].user, t[0].sys);
	free(t);
	return 0;
}
