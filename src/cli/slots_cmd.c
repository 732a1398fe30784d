/*
 * ciguard slots: the Redis limiter (include/ciguard/limiter.h) from the
 * shell. acquire / release / refresh / status map one library call each to
 * an exit code; run holds a slot while a command runs.
 *
 * `slots run` needs no threads and no signal handlers: it blocks SIGINT,
 * SIGTERM, SIGHUP and SIGCHLD and waits for them with sigtimedwait, whose
 * timeout is the next refresh (every ttl/3). A signal for us is forwarded
 * to the command; the command's end (SIGCHLD) ends the wait; the slot is
 * released afterwards either way. The child gets the original mask back
 * before exec.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ciguard/limiter.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "core/core.h"
#include "core/banned.h"

#define DEFAULT_TTL_MS 60000
#define DEFAULT_RUN_TTL_MS 30000

enum {
	OPT_MAX,
	OPT_TTL,
	OPT_WAIT,
	OPT_FAIL_OPEN,
	OPT_REDIS,
	OPT_CACERT,
	OPT_TIMEOUT,
	OPT_JSON,
};

static const struct cli_opt options[] = {
    {"max", 0, "N", "slots of KEY (acquire, run)", OPT_MAX},
    {"ttl", 0, "D",
     "a holder that stops refreshing is freed after D\n(60s; run: 30s)",
     OPT_TTL},
    {"wait", 0, "D",
     "when full, wait up to D in a first-come first-served queue,\nwoken by "
     "Redis when a slot is released",
     OPT_WAIT},
    {"fail-open", 0, NULL,
     "when Redis is unreachable or times out, go ahead without\na limit "
     "(the token starts with 'open-'); default: exit 2",
     OPT_FAIL_OPEN},
    {"redis", 0, "URL",
     "redis://[USER:PASS@]HOST[:PORT][/DB] (default $REDIS_URL,\nelse "
     "redis://127.0.0.1:6379/0); any master of a Redis\nCluster will do "
     "(redirects are followed); rediss://...\nfor TLS, certificate "
     "verified (?ssl_ca_certs=FILE,\n?ssl_cert_reqs=none)",
     OPT_REDIS},
    {"cacert", 0, "FILE",
     "rediss://: trust the CA certificates in FILE (PEM)\ninstead of the "
     "system's (default $CIGUARD_REDIS_CACERT;\nthe URL's ?ssl_ca_certs= "
     "wins)",
     OPT_CACERT},
    {"timeout", 0, "D", "connect and command timeout (1s)", OPT_TIMEOUT},
    {"json", 0, NULL, "machine-readable output", OPT_JSON},
};

const struct cli_spec cli_slots_spec = {
    .cmd = "slots",
    .head = "usage: ciguard slots acquire KEY --max N [--ttl 60s] [--wait D] "
	    "[--fail-open] [--json]\n"
	    "       ciguard slots release KEY TOKEN\n"
	    "       ciguard slots refresh KEY TOKEN [--ttl 60s]\n"
	    "       ciguard slots status KEY [--json]\n"
	    "       ciguard slots run KEY --max N [--ttl 30s] [--wait D] "
	    "[--fail-open] -- COMMAND...\n"
	    "\n"
	    "At most N holders of KEY at once, across machines, kept in "
	    "Redis.\n"
	    "\n"
	    "  acquire  take a slot; prints its token (with --json also its "
	    "fencing\n"
	    "           number); exit 1 when all N are taken\n"
	    "  release  give the slot back; exit 1 when TOKEN held no slot\n"
	    "  refresh  extend the slot by the TTL; exit 1 when it had "
	    "already expired\n"
	    "           (it is lost, and not taken again)\n"
	    "  status   the live holders, the time each has left, and the "
	    "queued waiters\n"
	    "  run      hold a slot while COMMAND runs: refreshed every "
	    "TTL/3, released\n"
	    "           when COMMAND ends; SIGINT/SIGTERM/SIGHUP are "
	    "forwarded to it;\n"
	    "           exits with COMMAND's status (128+N when killed by "
	    "signal N)\n"
	    "\n",
    .opts = options,
    .nopts = sizeof(options) / sizeof(*options),
    .column = 18,
    .tail = "\n"
	    "Every verb takes --redis URL, --cacert FILE and --timeout D.\n"
	    "Durations: 500ms, 10s, 2m, 1h, 1d (a bare number is seconds).\n"
	    "exit status: 0 done, 1 full / not held / lost, 2 usage error or "
	    "Redis\n"
	    "unavailable (fail-closed); run: COMMAND's status\n",
};

struct slots_args {
	const char *verb;
	const char *positional[2];
	int npositional;
	const char *redis_url;
	const char *ca_file;
	long max;
	long ttl_ms;
	long wait_ms;
	long timeout_ms;
	bool fail_open;
	bool json;
	char **command; /* run: after "--" */
};

/* 0, 1 after --help, 2 after an error message. */
static int parse_args(struct slots_args *a, int argc, char **argv)
{
	struct cli_parser p;
	char cmd[64];
	int id;

	snprintf(cmd, sizeof(cmd), "slots %s", a->verb);
	cli_parser_init(&p, &cli_slots_spec, argc, argv);
	p.cmd = cmd;
	while (!a->command && (id = cli_next(&p)) != CLI_END) {
		const char *v = p.value;
		long *dur = NULL;

		switch (id) {
		case CLI_HELP:
			return 1;
		case CLI_ERROR:
			return 2;
		case CLI_DASHDASH:
			if (p.nrest)
				a->command = p.rest;
			else
				return 0;
			break;
		case CLI_ARG:
			if (a->npositional == 2)
				return cli_fail("%s: unexpected '%s'", cmd,
						p.arg);
			a->positional[a->npositional++] = p.arg;
			break;
		case OPT_FAIL_OPEN:
			a->fail_open = true;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_REDIS:
			a->redis_url = v;
			break;
		case OPT_CACERT:
			a->ca_file = v;
			break;
		case OPT_MAX: {
			char *end;

			errno = 0;
			a->max = strtol(v, &end, 10);
			if (errno || *end || end == v || a->max < 1 ||
			    a->max > 1000000)
				return cli_fail("%s: --max takes a number from "
						"1 to 1000000, not '%s'",
						cmd, v);
			break;
		}
		case OPT_TTL:
			dur = &a->ttl_ms;
			break;
		case OPT_WAIT:
			dur = &a->wait_ms;
			break;
		case OPT_TIMEOUT:
			dur = &a->timeout_ms;
			break;
		}
		if (dur && (cli_parse_duration(v, dur) < 0 ||
			    (*dur <= 0 && id != OPT_WAIT)))
			return cli_fail("%s: %s takes a duration like 500ms, "
					"10s, 2m or 1h, not '%s'",
					cmd, p.name, v);
	}
	return 0;
}

static struct cg_limiter *open_limiter(const struct slots_args *a)
{
	struct cg_limiter_options o = {.redis_url = a->redis_url,
				       .ttl_ms = a->ttl_ms,
				       .connect_timeout_ms = a->timeout_ms,
				       .command_timeout_ms = a->timeout_ms,
				       .fail_open = a->fail_open,
				       .ca_file = a->ca_file};
	char err[512], cmd[64];
	struct cg_limiter *l = cg_limiter_open(&o, err, sizeof(err));

	if (!l) {
		cli_fail("slots %s: %s", a->verb, err);
		return NULL;
	}
	snprintf(cmd, sizeof(cmd), "slots %s", a->verb);
	cli_warn_unverified(cmd, a->redis_url && *a->redis_url
				     ? a->redis_url
				     : getenv("REDIS_URL"));
	return l;
}

/*
 * Acquire, waiting in the key's FIFO queue for up to wait_ms while full.
 * Prints why it failed; the status is the last answer.
 */
static enum cg_limit_status acquire(struct cg_limiter *l,
				    const struct slots_args *a,
				    struct cg_limit_token *tok)
{
	const char *key = a->positional[0];
	enum cg_limit_status st =
	    cg_limiter_acquire_wait(l, key, (int)a->max, a->wait_ms, tok);

	switch (st) {
	case CG_LIMIT_FULL:
		if (a->max == 1)
			fprintf(stderr,
				"ciguard: slots %s: the one slot of '%s' is "
				"taken",
				a->verb, key);
		else
			fprintf(stderr,
				"ciguard: slots %s: all %ld slots of '%s' are "
				"taken",
				a->verb, a->max, key);
		if (a->wait_ms > 0)
			fprintf(stderr, ", still after waiting %.1fs",
				a->wait_ms / 1000.0);
		fputc('\n', stderr);
		break;
	case CG_LIMIT_ACQUIRED_FAIL_OPEN:
		fprintf(stderr,
			"ciguard: slots %s: warning: going ahead without a "
			"limit (fail-open): %s\n",
			a->verb, cg_limiter_last_error(l));
		break;
	case CG_LIMIT_DENIED_FAIL_CLOSED:
	case CG_LIMIT_ERROR:
		cli_fail("slots %s: %s", a->verb, cg_limiter_last_error(l));
		break;
	default:
		break;
	}
	return st;
}

static int do_acquire(struct cg_limiter *l, const struct slots_args *a)
{
	struct cg_limit_token tok;
	char text[CG_LIMIT_TOKEN_MAX + 1];
	enum cg_limit_status st = acquire(l, a, &tok);

	if (st == CG_LIMIT_FULL)
		return 1;
	if (st != CG_LIMIT_ACQUIRED && st != CG_LIMIT_ACQUIRED_FAIL_OPEN)
		return 2;
	cg_limit_token_format(&tok, text);
	if (a->json)
		printf("{\"token\":\"%s\",\"fence\":%llu,\"status\":\"%s\"}\n",
		       text, (unsigned long long)tok.fence,
		       cg_limit_status_name(st));
	else
		printf("%s\n", text);
	return 0;
}

static int do_release_refresh(struct cg_limiter *l, const struct slots_args *a,
			      bool refresh)
{
	struct cg_limit_token tok;
	enum cg_limit_status st;
	const char *key = a->positional[0];

	if (cg_limit_token_parse(&tok, a->positional[1]) < 0)
		return cli_fail("slots %s: '%s' is not a token", a->verb,
				a->positional[1]);
	st = refresh ? cg_limiter_refresh(l, key, &tok)
		     : cg_limiter_release(l, key, &tok);
	switch (st) {
	case CG_LIMIT_RELEASED:
	case CG_LIMIT_REFRESHED:
		return 0;
	case CG_LIMIT_NOT_HELD:
		fprintf(stderr,
			"ciguard: slots release: that token holds no slot of "
			"'%s' (released already, or expired)\n",
			key);
		return 1;
	case CG_LIMIT_LOST:
		fprintf(stderr,
			"ciguard: slots refresh: the slot of '%s' was lost "
			"(it expired before this refresh)\n",
			key);
		return 1;
	default:
		return cli_fail("slots %s: %s", a->verb,
				cg_limiter_last_error(l));
	}
}

static void add_holder(void *ctx, const char *token, long remaining_ms,
		       uint64_t fence)
{
	json_t *h =
	    json_pack("{s:s, s:I, s:I}", "token", token, "remaining_ms",
		      (json_int_t)remaining_ms, "fence", (json_int_t)fence);

	json_array_append_new(ctx, h);
}

static void add_waiter(void *ctx, const char *token, long position)
{
	(void)position; /* the array keeps the queue order */
	json_array_append_new(ctx, json_string(token));
}

static int do_status(struct cg_limiter *l, const struct slots_args *a)
{
	json_t *holders = json_array(), *waiters = json_array();
	const char *key = a->positional[0];
	int ret = 2;

	if (cg_limiter_holders(l, key, add_holder, holders) != CG_LIMIT_OK ||
	    cg_limiter_waiters(l, key, add_waiter, waiters) != CG_LIMIT_OK) {
		cli_fail("slots status: %s", cg_limiter_last_error(l));
		goto out;
	}
	if (a->json) {
		json_t *o = json_pack(
		    "{s:s, s:I, s:O, s:I, s:O}", "key", key, "count",
		    (json_int_t)json_array_size(holders), "holders", holders,
		    "waiting", (json_int_t)json_array_size(waiters), "queue",
		    waiters);
		char *s = json_dumps(o, JSON_COMPACT);

		printf("%s\n", s);
		free(s);
		json_decref(o);
	} else {
		size_t i;
		json_t *h;

		printf("%s: %zu holder%s\n", key, json_array_size(holders),
		       json_array_size(holders) == 1 ? "" : "s");
		json_array_foreach(holders, i, h)
		{
			printf("  %s  %.1fs left  fence %lld\n",
			       json_string_value(json_object_get(h, "token")),
			       (double)json_integer_value(
				   json_object_get(h, "remaining_ms")) /
				   1000,
			       (long long)json_integer_value(
				   json_object_get(h, "fence")));
		}
		printf("%zu waiting\n", json_array_size(waiters));
	}
	ret = 0;
out:
	json_decref(waiters);
	json_decref(holders);
	return ret;
}

/* ---- run ---- */

static int exit_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 2;
}

static int do_run(struct cg_limiter *l, const struct slots_args *a)
{
	struct cg_limit_token tok;
	sigset_t set, old;
	const char *key = a->positional[0];
	long interval = a->ttl_ms / 3 > 0 ? a->ttl_ms / 3 : 1;
	long next_refresh;
	bool lost = false, failing = false;
	int status = 0, ret;
	pid_t child;
	enum cg_limit_status st = acquire(l, a, &tok);

	if (st == CG_LIMIT_FULL)
		return 1;
	if (st != CG_LIMIT_ACQUIRED && st != CG_LIMIT_ACQUIRED_FAIL_OPEN)
		return 2;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	fflush(NULL);
	child = fork();
	if (child < 0) {
		ret = cli_fail("slots run: cannot fork: %s", strerror(errno));
		goto release;
	}
	if (child == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		signal(SIGPIPE, SIG_DFL);
		execvp(a->command[0], a->command);
		fprintf(stderr, "ciguard: slots run: cannot run '%s': %s\n",
			a->command[0], strerror(errno));
		_exit(127);
	}
	next_refresh = cg_now_ms() + interval;
	for (;;) {
		long wait = next_refresh - cg_now_ms();
		struct timespec ts;
		siginfo_t info;
		int sig;

		if (waitpid(child, &status, WNOHANG) == child)
			break;
		if (wait < 0)
			wait = 0;
		if (wait > 1000)
			wait = 1000; /* re-check the child now and then */
		ts.tv_sec = wait / 1000;
		ts.tv_nsec = (wait % 1000) * 1000000L;
		sig = sigtimedwait(&set, &info, &ts);
		if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
			kill(child, sig);
			continue;
		}
		if (sig == SIGCHLD || cg_now_ms() < next_refresh)
			continue;
		next_refresh = cg_now_ms() + interval;
		st = cg_limiter_refresh(l, key, &tok);
		if (st == CG_LIMIT_LOST && !lost) {
			lost = true;
			fprintf(stderr,
				"ciguard: slots run: warning: the slot of "
				"'%s' was lost (it expired before a "
				"refresh); the command keeps running without "
				"it\n",
				key);
		} else if (st == CG_LIMIT_ERROR && !failing) {
			fprintf(stderr,
				"ciguard: slots run: warning: cannot refresh "
				"the slot of '%s': %s\n",
				key, cg_limiter_last_error(l));
		}
		failing = st == CG_LIMIT_ERROR;
	}
	ret = exit_status(status);
release:
	if (!lost && cg_limiter_release(l, key, &tok) == CG_LIMIT_ERROR)
		fprintf(stderr,
			"ciguard: slots run: warning: cannot release the "
			"slot of '%s' (it expires within the TTL): %s\n",
			key, cg_limiter_last_error(l));
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ret;
}

int cmd_slots(int argc, char **argv)
{
	struct slots_args a = {.ttl_ms = 0};
	struct cg_limiter *l = NULL;
	int ret = 2, want_positional;

	if (argc < 2 || cli_is_help(argv[1])) {
		cli_usage(argc < 2 ? stderr : stdout, &cli_slots_spec);
		return argc < 2 ? 2 : 0;
	}
	a.verb = argv[1];
	switch (parse_args(&a, argc - 1, argv + 1)) {
	case 0:
		break;
	case 1:
		return 0;
	default:
		return 2;
	}
	if (!strcmp(a.verb, "acquire") || !strcmp(a.verb, "run") ||
	    !strcmp(a.verb, "status"))
		want_positional = 1;
	else if (!strcmp(a.verb, "release") || !strcmp(a.verb, "refresh"))
		want_positional = 2;
	else
		return cli_fail("slots: unknown subcommand '%s' (see 'ciguard "
				"slots --help')",
				a.verb);
	if (a.npositional != want_positional)
		return cli_fail("slots %s: wrong arguments (see 'ciguard slots "
				"--help')",
				a.verb);
	if ((!strcmp(a.verb, "acquire") || !strcmp(a.verb, "run")) && !a.max)
		return cli_fail("slots %s: --max N is required", a.verb);
	if (!strcmp(a.verb, "run") && !a.command)
		return cli_fail("slots run: no COMMAND after '--'");
	if (strcmp(a.verb, "run") && a.command)
		return cli_fail("slots %s: takes no COMMAND", a.verb);
	if (!a.ttl_ms)
		a.ttl_ms = !strcmp(a.verb, "run") ? DEFAULT_RUN_TTL_MS
						  : DEFAULT_TTL_MS;
	if (!(l = open_limiter(&a)))
		return 2;
	/* a reader of our output that went away must not kill us while we
	 * hold a slot (the limiter itself sends with MSG_NOSIGNAL) */
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(a.verb, "acquire"))
		ret = do_acquire(l, &a);
	else if (!strcmp(a.verb, "release"))
		ret = do_release_refresh(l, &a, false);
	else if (!strcmp(a.verb, "refresh"))
		ret = do_release_refresh(l, &a, true);
	else if (!strcmp(a.verb, "status"))
		ret = do_status(l, &a);
	else
		ret = do_run(l, &a);
	cg_limiter_close(l);
	return ret;
}
