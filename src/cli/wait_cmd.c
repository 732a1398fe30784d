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
#include "cli/opt.h"
#include "core/core.h"
#include "core/url.h"
#include "core/banned.h"

enum {
	OPT_TIMEOUT,
	OPT_INTERVAL,
	OPT_MAX_INTERVAL,
	OPT_ATTEMPT_TIMEOUT,
	OPT_EXPECT_STATUS,
	OPT_EXPECT_JSON,
	OPT_CACERT,
	OPT_LOG,
	OPT_JSON,
	OPT_QUIET,
};

static const struct cli_opt options[] = {
    {"timeout", 0, "D", "overall deadline (default 60s)", OPT_TIMEOUT},
    {"interval", 0, "D", "first pause between attempts (default 250ms)",
     OPT_INTERVAL},
    {"max-interval", 0, "D",
     "longest pause; pauses double up to it (default 5s)", OPT_MAX_INTERVAL},
    {"attempt-timeout", 0, "D",
     "one attempt (default 5s, never past the deadline)", OPT_ATTEMPT_TIMEOUT},
    {"expect-status", 0, "LIST",
     "HTTP statuses that count as ready (default 200-299),\ne.g. "
     "200-299,401",
     OPT_EXPECT_STATUS},
    {"expect-json", 0, "P=V", "HTTP body field at dotted path P must equal V",
     OPT_EXPECT_JSON},
    {"cacert", 0, "FILE",
     "trust the CA certificates in FILE (PEM) for https://\nand rediss:// "
     "targets instead of the system's",
     OPT_CACERT},
    {"log", 0, "FILE",
     "on failure, print the last 50 lines of FILE (repeatable)", OPT_LOG},
    {"json", 0, NULL,
     "print one JSON object per target (target, ready,\nattempts, "
     "elapsed_ms, last_error)",
     OPT_JSON},
    {"quiet", 'q', NULL, "print nothing but errors", OPT_QUIET},
};

const struct cli_spec cli_wait_spec = {
    .cmd = "wait",
    .head =
	"usage: ciguard wait [options] TARGET... [-- COMMAND ARGS...]\n"
	"\n"
	"Wait until every TARGET is really ready, checking each by its own "
	"protocol,\nall at once under one deadline; then run COMMAND if "
	"given.\n"
	"\n"
	"targets:\n"
	"  tcp://HOST:PORT                  a TCP connect succeeds (IPv4 and "
	"IPv6)\n"
	"  redis://[USER:PASS@]HOST:PORT    AUTH if given, PING answers "
	"PONG,\n"
	"                                   a cluster node's state is ok\n"
	"  rediss://[USER:PASS@]HOST:PORT   the same over TLS, certificate "
	"verified;\n"
	"                                   ?ssl_ca_certs=FILE, "
	"?ssl_cert_reqs=none\n"
	"  postgres://USER:PASS@HOST:PORT/DB  the server accepts "
	"connections (libpq\n"
	"                                   ping); ?ciguard_login=1 also "
	"logs in and\n"
	"                                   runs SELECT 1\n"
	"  http://... https://...           GET answers an expected status "
	"(and JSON)\n"
	"  proc:PATTERN                     a live process whose command "
	"line contains\n"
	"                                   PATTERN\n"
	"  pid:FILE                         the process in FILE is alive\n"
	"  log:FILE:REGEX                   a line of FILE matches REGEX "
	"(PCRE2)\n"
	"\n",
    .opts = options,
    .nopts = sizeof(options) / sizeof(*options),
    .column = 24,
    .tail = "\n"
	    "Durations: 500ms, 10s, 2m, 1h, 1d (a bare number is seconds).\n"
	    "exit status: 0 all ready (then COMMAND's, when given), 1 the "
	    "deadline passed,\n2 a target can never be ready (bad target, "
	    "authentication rejected) or bad usage.\nPasswords are shown as "
	    "***. A rediss:// target trusts the CA file of its\n"
	    "?ssl_ca_certs=, else --cacert, else $CIGUARD_REDIS_CACERT, else "
	    "the system's\nCA store.\n",
};

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

void cli_warn_unverified(const char *cmd, const char *url)
{
	const char *q;
	char *reqs;

	if (!url || strncasecmp(url, "rediss://", 9) != 0 ||
	    !(q = strchr(url, '?')))
		return;
	reqs = cg_url_query_get(q + 1, "ssl_cert_reqs");
	if (reqs && !strcasecmp(reqs, "none"))
		fprintf(stderr,
			"ciguard: %s: warning: ssl_cert_reqs=none: the "
			"server's certificate is not checked, so anyone on "
			"the way can read and change the traffic\n",
			cmd);
	free(reqs);
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
	struct cli_parser p;
	bool json = false, quiet = false;
	int rc = 2, id;

	memset(&wo, 0, sizeof(wo));
	memset(&po, 0, sizeof(po));
	memset(&pg, 0, sizeof(pg));
	logs = cg_xcalloc((size_t)argc, sizeof(*logs));
	targets = cg_xcalloc((size_t)argc, sizeof(*targets));
	cli_parser_init(&p, &cli_wait_spec, argc, argv);
	while (!command && (id = cli_next(&p)) != CLI_END) {
		long *dur = NULL;

		switch (id) {
		case CLI_HELP:
			rc = 0;
			goto out;
		case CLI_ERROR:
			goto out;
		case CLI_DASHDASH:
			if (!p.nrest) {
				cli_fail("wait: no COMMAND after --");
				goto out;
			}
			command = p.rest;
			break;
		case CLI_ARG:
			targets[ntargets++] = p.arg;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_QUIET:
			quiet = true;
			break;
		case OPT_LOG:
			logs[nlogs++] = p.value;
			break;
		case OPT_EXPECT_STATUS:
			po.expect_status = p.value;
			break;
		case OPT_EXPECT_JSON:
			po.expect_json = p.value;
			break;
		case OPT_CACERT:
			po.ca_file = p.value;
			break;
		case OPT_TIMEOUT:
			dur = &wo.timeout_ms;
			break;
		case OPT_INTERVAL:
			dur = &wo.interval_ms;
			break;
		case OPT_MAX_INTERVAL:
			dur = &wo.max_interval_ms;
			break;
		case OPT_ATTEMPT_TIMEOUT:
			dur = &wo.attempt_timeout_ms;
			break;
		}
		if (dur &&
		    (cli_parse_duration(p.value, dur) < 0 || *dur <= 0)) {
			cli_fail("wait: %s takes a duration like 500ms, 10s or "
				 "2m, not '%s'",
				 p.name, p.value);
			goto out;
		}
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
		cli_warn_unverified("wait", targets[i]);
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
