/*
 * `ciguard wait`: parse targets and options, run cg_wait, show progress,
 * explain a failure (each target's last error, then the tail of each --log
 * file), then exec COMMAND when everything is ready.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "ciguard/probe.h"
#include "cli/cli.h"
#include "core/core.h"
#include "core/banned.h"

static const char usage[] =
    "usage: ciguard wait [options] TARGET... [-- COMMAND ARGS...]\n"
    "\n"
    "Wait until every TARGET is really ready, checking each by its own "
    "protocol,\nall at once under one deadline; then run COMMAND if "
    "given.\n"
    "\n"
    "targets:\n"
    "  tcp://HOST:PORT                  a TCP connect succeeds (IPv4 and "
    "IPv6)\n"
    "  redis://[USER:PASS@]HOST:PORT    AUTH if given, PING answers PONG\n"
    "  postgres://USER:PASS@HOST:PORT/DB  the server accepts connections "
    "(libpq\n"
    "                                   ping); ?ciguard_login=1 also logs "
    "in and\n"
    "                                   runs SELECT 1\n"
    "  http://... https://...           GET answers an expected status "
    "(and JSON)\n"
    "  proc:PATTERN                     a live process whose command line "
    "contains\n"
    "                                   PATTERN\n"
    "  pid:FILE                         the process in FILE is alive\n"
    "  log:FILE:REGEX                   a line of FILE matches REGEX "
    "(PCRE2)\n"
    "\n"
    "options:\n"
    "  --timeout D           overall deadline (default 60s)\n"
    "  --interval D          first pause between attempts (default "
    "250ms)\n"
    "  --max-interval D      longest pause; pauses double up to it "
    "(default 5s)\n"
    "  --attempt-timeout D   one attempt (default 5s, never past the "
    "deadline)\n"
    "  --expect-status LIST  HTTP statuses that count as ready (default "
    "200-299),\n"
    "                        e.g. 200-299,401\n"
    "  --expect-json P=V     HTTP body field at dotted path P must equal "
    "V\n"
    "  --log FILE            on failure, print the last 50 lines of FILE "
    "(repeatable)\n"
    "  --json                print one JSON object per target (target, "
    "ready,\n"
    "                        attempts, elapsed_ms, last_error)\n"
    "  --quiet               print nothing but errors\n"
    "  -h, --help            show this help\n"
    "\n"
    "Durations: 500ms, 10s, 2m, 1h, 1d (a bare number is seconds).\n"
    "exit status: 0 all ready (then COMMAND's, when given), 1 the "
    "deadline passed,\n2 a target can never be ready (bad target, "
    "authentication rejected) or bad usage.\nPasswords are shown as "
    "***.\n";

int cli_parse_duration(const char *s, long *out_ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	/* !(v >= 0) also refuses "nan" */
	if (errno || end == s || !(v >= 0))
		return -1;
	if (!*end || !strcmp(end, "s"))
		v *= 1000;
	else if (!strcmp(end, "ms"))
		;
	else if (!strcmp(end, "m"))
		v *= 60000;
	else if (!strcmp(end, "h"))
		v *= 3600000;
	else if (!strcmp(end, "d"))
		v *= 86400000;
	else
		return -1;
	if (v > 1e12)
		return -1;
	*out_ms = (long)v;
	return 0;
}

struct progress {
	bool tty;
	bool quiet;
	size_t lines_drawn;
	bool *announced;
};

static void progress_cb(void *ctx, const struct cg_wait_status *st, size_t n)
{
	struct progress *pg = ctx;

	if (pg->quiet)
		return;
	if (pg->tty) {
		/* redraw one line per target in place */
		if (pg->lines_drawn)
			fprintf(stderr, "\033[%zuA", pg->lines_drawn);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr,
				"\033[2K%s %s  %u attempt%s, %.1fs%s%s\n",
				st[i].ready   ? "ready  "
				: st[i].fatal ? "FAILED "
					      : "waiting",
				st[i].target, st[i].attempts,
				st[i].attempts == 1 ? "" : "s",
				(double)st[i].elapsed_ms / 1000,
				st[i].ready || !st[i].last_error[0] ? "" : ": ",
				st[i].ready ? "" : st[i].last_error);
		pg->lines_drawn = n;
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (st[i].ready && !pg->announced[i]) {
			pg->announced[i] = true;
			fprintf(stderr,
				"ciguard: ready: %s (%.1fs, %u attempt%s)\n",
				st[i].target, (double)st[i].elapsed_ms / 1000,
				st[i].attempts, st[i].attempts == 1 ? "" : "s");
		}
}

static void print_log_tail(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *lines[50] = {0};
	size_t next = 0, count = 0;
	struct cg_buf line = CG_BUF_INIT;
	int c;

	if (!f) {
		fprintf(stderr, "--- %s: %s\n", path, strerror(errno));
		return;
	}
	/* a ring of the last 50 lines; a huge line is cut at 4 KiB */
	for (;;) {
		c = fgetc(f);
		if (c == EOF || c == '\n') {
			if (c == EOF && !line.len)
				break;
			free(lines[next]);
			lines[next] = cg_buf_detach(&line, NULL);
			next = (next + 1) % 50;
			if (count < 50)
				count++;
			if (c == EOF)
				break;
			continue;
		}
		if (line.len < 4096)
			cg_buf_addch(&line, c);
	}
	fclose(f);
	cg_buf_release(&line);
	fprintf(stderr, "--- last %zu line%s of %s\n", count,
		count == 1 ? "" : "s", path);
	for (size_t i = 0; i < count; i++) {
		size_t k = (next + 50 - count + i) % 50;

		fprintf(stderr, "%s\n", lines[k]);
	}
	for (size_t i = 0; i < 50; i++)
		free(lines[i]);
}

static void print_json(const struct cg_wait_status *st, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		char *s;

		json_object_set_new(o, "target", json_string(st[i].target));
		json_object_set_new(o, "ready", json_boolean(st[i].ready));
		json_object_set_new(o, "attempts",
				    json_integer(st[i].attempts));
		json_object_set_new(o, "elapsed_ms",
				    json_integer(st[i].elapsed_ms));
		json_object_set_new(o, "last_error",
				    st[i].ready || !st[i].last_error[0]
					? json_null()
					: json_string(st[i].last_error));
		s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT);
		if (s)
			puts(s);
		free(s);
		json_decref(o);
	}
	fflush(stdout);
}

int cmd_wait(int argc, char **argv)
{
	struct cg_wait_options wo;
	struct cg_probe_options po;
	struct cg_probe **probes = NULL;
	struct cg_wait_status *st = NULL;
	struct progress pg;
	const char **logs = NULL;
	const char **targets = NULL;
	char **command = NULL;
	size_t nlogs = 0, ntargets = 0, nprobes = 0;
	bool json = false, quiet = false;
	int rc = 2;

	memset(&wo, 0, sizeof(wo));
	memset(&po, 0, sizeof(po));
	memset(&pg, 0, sizeof(pg));
	logs = cg_xcalloc((size_t)argc, sizeof(*logs));
	targets = cg_xcalloc((size_t)argc, sizeof(*targets));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		long *dur = NULL;

		if (!strcmp(a, "--")) {
			command = argv + i + 1;
			if (!*command) {
				cli_fail("wait: no COMMAND after --");
				goto out;
			}
			break;
		}
		if (cli_is_help(a)) {
			fputs(usage, stdout);
			rc = 0;
			goto out;
		}
		if (!strcmp(a, "--json")) {
			json = true;
			continue;
		}
		if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			quiet = true;
			continue;
		}
		if (!strcmp(a, "--timeout"))
			dur = &wo.timeout_ms;
		else if (!strcmp(a, "--interval"))
			dur = &wo.interval_ms;
		else if (!strcmp(a, "--max-interval"))
			dur = &wo.max_interval_ms;
		else if (!strcmp(a, "--attempt-timeout"))
			dur = &wo.attempt_timeout_ms;
		if (dur || !strcmp(a, "--log") ||
		    !strcmp(a, "--expect-status") ||
		    !strcmp(a, "--expect-json")) {
			const char *v = argv[++i];

			if (i >= argc) {
				cli_fail("wait: %s needs a value", a);
				goto out;
			}
			if (dur &&
			    (cli_parse_duration(v, dur) < 0 || *dur <= 0)) {
				cli_fail(
				    "wait: %s takes a duration like 500ms, "
				    "10s or 2m, not '%s'",
				    a, v);
				goto out;
			}
			if (!strcmp(a, "--log"))
				logs[nlogs++] = v;
			else if (!strcmp(a, "--expect-status"))
				po.expect_status = v;
			else if (!strcmp(a, "--expect-json"))
				po.expect_json = v;
			continue;
		}
		if (a[0] == '-' && a[1]) {
			cli_fail("wait: unknown option '%s' (see 'ciguard wait "
				 "--help')",
				 a);
			goto out;
		}
		targets[ntargets++] = a;
	}
	if (!ntargets) {
		cli_fail("wait: no TARGET (see 'ciguard wait --help')");
		goto out;
	}
	if (po.expect_status || po.expect_json) {
		bool http = false;

		for (size_t i = 0; i < ntargets; i++)
			http = http || !strncasecmp(targets[i], "http://", 7) ||
			       !strncasecmp(targets[i], "https://", 8);
		if (!http) {
			cli_fail(
			    "wait: --expect-status and --expect-json apply "
			    "to http:// and https:// targets, and there is "
			    "none");
			goto out;
		}
	}
	probes = cg_xcalloc(ntargets, sizeof(*probes));
	for (size_t i = 0; i < ntargets; i++) {
		char err[512];

		if (!(probes[i] =
			  cg_probe_new(targets[i], &po, err, sizeof(err)))) {
			cli_fail("wait: %s", err);
			goto out;
		}
		nprobes++;
	}
	st = cg_xcalloc(ntargets, sizeof(*st));
	pg.quiet = quiet || json;
	pg.tty = isatty(STDERR_FILENO) && !getenv("NO_COLOR");
	pg.announced = cg_xcalloc(ntargets, sizeof(*pg.announced));
	wo.progress = progress_cb;
	wo.progress_ctx = &pg;
	rc = cg_wait(probes, ntargets, &wo, st);
	if (rc < 0) {
		cli_fail("wait: cannot start threads");
		rc = 2;
		goto out;
	}
	if (json)
		print_json(st, ntargets);
	if (rc != 0) {
		for (size_t i = 0; i < ntargets; i++) {
			if (st[i].ready)
				continue;
			fprintf(stderr, "ciguard: %s: %s%s (%u attempt%s)\n",
				st[i].target,
				st[i].fatal ? "will never be ready: "
					    : "not ready: ",
				st[i].last_error[0] ? st[i].last_error
						    : "no attempt finished",
				st[i].attempts, st[i].attempts == 1 ? "" : "s");
		}
		if (rc == 1)
			fprintf(stderr, "ciguard: wait: deadline passed\n");
		for (size_t i = 0; i < nlogs; i++)
			print_log_tail(logs[i]);
		goto out;
	}
	if (command) {
		for (size_t i = 0; i < nprobes; i++)
			cg_probe_free(probes[i]);
		nprobes = 0;
		fflush(NULL);
		execvp(command[0], command);
		cli_fail("wait: cannot run '%s': %s", command[0],
			 strerror(errno));
		rc = errno == ENOENT ? 127 : 126;
	}
out:
	for (size_t i = 0; i < nprobes; i++)
		cg_probe_free(probes[i]);
	free(probes);
	free(st);
	free(pg.announced);
	free(logs);
	free(targets);
	return rc;
}
