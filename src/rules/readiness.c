/*
 * What verifies that a started process or service is up (readiness.h):
 * the classification of one command, and a walk over what a CI job runs
 * in order.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/readiness.h"
#include "rules/critical.h"
#include "core/banned.h"

#define MAX_DEPTH 16 /* nested scripts, function calls, wrappers */

static bool eq(const char *a, const char *b)
{
	return !strcmp(a, b);
}

static const char *wd(const struct cg_sh_cmd *c, size_t i)
{
	return c->words[i].text;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static unsigned port_of(const char *s)
{
	unsigned long v;
	char *end;

	if (!all_digits(s))
		return 0;
	v = strtoul(s, &end, 10);
	return v > 0 && v <= 65535 ? (unsigned)v : 0;
}

/* Does `name` (a command, script, function, target or action) say it
 * waits for readiness: `wait-`/`wait_`/`waitfor...`, or `health`/`ready`
 * anywhere in it? Compared without case. */
static bool readiness_name(const char *name)
{
	char low[128];
	size_t n = 0;

	for (; name[n] && n + 1 < sizeof(low); n++)
		low[n] = (char)(name[n] >= 'A' && name[n] <= 'Z'
				    ? name[n] - 'A' + 'a'
				    : name[n]);
	low[n] = '\0';
	if (!strncmp(low, "wait", 4) &&
	    (low[4] == '-' || low[4] == '_' || !strncmp(low + 4, "for", 3) ||
	     !strncmp(low + 4, "on", 2)))
		return true;
	return strstr(low, "health") || strstr(low, "ready");
}

/* Django's command runners: the word after them names the management
 * command that runs (`manage.py wait_for_db`). */
static bool django_manage(const char *base)
{
	return !strcmp(base, "manage.py") || !strcmp(base, "django-admin");
}

bool cg_ready_action_checks(const char *uses)
{
	const char *slash, *at;
	char name[128];
	size_t n;

	if (!uses || cg_starts_with(uses, "docker://"))
		return false;
	/* owner/repo[/path]@ref: the repository and path, not the owner */
	slash = strchr(uses, '/');
	if (!slash)
		return false;
	at = strchr(slash, '@');
	n = at ? (size_t)(at - slash - 1) : strlen(slash + 1);
	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, slash + 1, n);
	name[n] = '\0';
	for (char *p = name; *p; p++)
		if (*p == '/')
			*p = '-';
	return readiness_name(name) || strstr(name, "-wait") ||
	       strstr(name, "_wait");
}

/* ---------------------------------------------------------- targets */

static void set_target(struct cg_ready_target *t, enum cg_service_kind kind,
		       unsigned port, const char *probe)
{
	if (!t)
		return;
	t->kind = kind;
	t->port = port;
	t->probe = probe;
}

/*
 * Read `[scheme://][user@]host[:port][/...]`. *local says whether the
 * host is this machine or a service host (see readiness.h); a host made
 * of a variable counts as one. Returns false when there is no host.
 */
static bool read_url(const char *w, enum cg_service_kind *kind, unsigned *port,
		     bool *local)
{
	const char *p = strstr(w, "://"), *host, *end, *at, *colon;
	char h[256], num[8];
	size_t hn;

	*kind = CG_SERVICE_OTHER;
	*port = 0;
	if (p) {
		size_t sn = (size_t)(p - w);

		if (!strncmp(w, "redis", sn) || !strncmp(w, "rediss", sn))
			*kind = CG_SERVICE_REDIS, *port = 6379;
		else if (!strncmp(w, "postgres", sn) ||
			 !strncmp(w, "postgresql", sn))
			*kind = CG_SERVICE_POSTGRES, *port = 5432;
		else if (!strncmp(w, "mysql", sn))
			*kind = CG_SERVICE_MYSQL, *port = 3306;
		else if (!strncmp(w, "amqp", sn))
			*kind = CG_SERVICE_RABBITMQ, *port = 5672;
		else if (!strncmp(w, "http", sn) || !strncmp(w, "ws", sn))
			*port = 80;
		else if (!strncmp(w, "https", sn) || !strncmp(w, "wss", sn))
			*port = 443;
		host = p + 3;
	} else {
		/* without a scheme: `localhost:8000/x`, `db:5432`, `127.0.0.1`;
		 * a bare word (`curl`, `app`) is not taken for a host */
		if (!strpbrk(w, ":/") && !cg_starts_with(w, "localhost") &&
		    strspn(w, "0123456789.") != strlen(w))
			return false;
		host = w;
	}
	end = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(end - host));
	if (at)
		host = at + 1;
	if (host >= end)
		return false;
	if (*host == '[') { /* [::1]:8080 */
		const char *close = memchr(host, ']', (size_t)(end - host));

		if (!close)
			return false;
		hn = (size_t)(close - host - 1);
		if (hn >= sizeof(h))
			return false;
		memcpy(h, host + 1, hn);
		h[hn] = '\0';
		colon = close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = memchr(host, ':', (size_t)(end - host));
		hn = (size_t)((colon ? colon : end) - host);
		if (hn >= sizeof(h))
			return false;
		memcpy(h, host, hn);
		h[hn] = '\0';
	}
	if (colon) {
		size_t pn = (size_t)(end - colon - 1);

		if (pn && pn < sizeof(num)) {
			memcpy(num, colon + 1, pn);
			num[pn] = '\0';
			*port = port_of(num);
		}
	}
	if (!*h)
		return false;
	*local = strchr(h, '$') || eq(h, "localhost") ||
		 cg_starts_with(h, "127.") || eq(h, "0.0.0.0") ||
		 eq(h, "::1") || eq(h, "host.docker.internal") ||
		 !strchr(h, '.');
	return true;
}

/* `-p N`, `-pN`, `--port N`, `--port=N` among words i+1.. of c. */
static unsigned port_option(const struct cg_sh_cmd *c, size_t i,
			    const char *shortopt)
{
	for (size_t k = i + 1; k < c->nwords; k++) {
		const char *a = wd(c, k);

		if ((eq(a, shortopt) || eq(a, "--port")) && k + 1 < c->nwords)
			return port_of(wd(c, k + 1));
		if (cg_starts_with(a, "--port="))
			return port_of(a + 7);
		if (cg_starts_with(a, shortopt) && a[2])
			return port_of(a + 2);
	}
	return 0;
}

/* The port of a `host:port` or URL operand of a wait-for style command. */
static unsigned operand_port(const struct cg_sh_cmd *c, size_t i,
			     enum cg_service_kind *kind)
{
	for (size_t k = i + 1; k < c->nwords; k++) {
		const char *a = wd(c, k);
		enum cg_service_kind kd;
		unsigned port;
		bool local;

		if (a[0] == '-' || !strchr(a, ':'))
			continue;
		if (read_url(a, &kd, &port, &local) && port) {
			*kind = kd;
			return port;
		}
	}
	return port_option(c, i, "-p");
}

/* ---------------------------------------------------- classification */

/*
 * The programs classification knows by name. Every command of every job
 * is classified, by several rules, so one binary search over the names
 * replaces the chains of comparisons.
 */
enum prog {
	PROG_OTHER,
	/* probes and the like (probe_at); wrappers are cg_sh_cmd_unwrap's */
	PROG_SLEEP,
	PROG_WAIT,
	PROG_PG_ISREADY,
	PROG_REDIS_CLI, /* redis-cli, valkey-cli, keydb-cli */
	PROG_MYSQLADMIN,
	PROG_HTTP, /* curl, wget */
	PROG_NC,   /* nc, ncat, netcat */
	PROG_HTTPING,
	PROG_PGREP, /* pgrep, pidof */
	PROG_KILL,
	PROG_CIGUARD,
	PROG_DOCKERIZE,
	PROG_DOCKER,  /* docker, podman */
	PROG_COMPOSE, /* docker-compose, podman-compose */
	PROG_KUBECTL, /* kubectl, oc */
	PROG_TARGET,  /* make, gmake, just, task, npm, yarn, pnpm */
	PROG_SHELL,   /* shells and interpreters (python: runs_script) */
	PROG_PS,      /* ps: neutral, and the start of `ps | grep` */
	PROG_GREP,    /* grep, egrep, fgrep, rg */
	PROG_NEUTRAL, /* see is_neutral */
};

/* sorted by name (strcmp order), for cg_name_kind */
static const struct cg_name_kind progs[] = {
    {".", PROG_SHELL},
    {":", PROG_NEUTRAL},
    {"[", PROG_NEUTRAL},
    {"[[", PROG_NEUTRAL},
    {"alias", PROG_NEUTRAL},
    {"bash", PROG_SHELL},
    {"cat", PROG_NEUTRAL},
    {"cd", PROG_NEUTRAL},
    {"chmod", PROG_NEUTRAL},
    {"ciguard", PROG_CIGUARD},
    {"cp", PROG_NEUTRAL},
    {"curl", PROG_HTTP},
    {"dash", PROG_SHELL},
    {"date", PROG_NEUTRAL},
    {"declare", PROG_NEUTRAL},
    {"df", PROG_NEUTRAL},
    {"disown", PROG_NEUTRAL},
    {"docker", PROG_DOCKER},
    {"docker-compose", PROG_COMPOSE},
    {"dockerize", PROG_DOCKERIZE},
    {"echo", PROG_NEUTRAL},
    {"egrep", PROG_GREP},
    {"export", PROG_NEUTRAL},
    {"fgrep", PROG_GREP},
    {"free", PROG_NEUTRAL},
    {"gmake", PROG_TARGET},
    {"grep", PROG_GREP},
    {"head", PROG_NEUTRAL},
    {"hostname", PROG_NEUTRAL},
    {"httping", PROG_HTTPING},
    {"id", PROG_NEUTRAL},
    {"jobs", PROG_NEUTRAL},
    {"just", PROG_TARGET},
    {"keydb-cli", PROG_REDIS_CLI},
    {"kill", PROG_KILL},
    {"ksh", PROG_SHELL},
    {"kubectl", PROG_KUBECTL},
    {"ln", PROG_NEUTRAL},
    {"local", PROG_NEUTRAL},
    {"ls", PROG_NEUTRAL},
    {"lsof", PROG_NEUTRAL},
    {"make", PROG_TARGET},
    {"mkdir", PROG_NEUTRAL},
    {"mv", PROG_NEUTRAL},
    {"mysqladmin", PROG_MYSQLADMIN},
    {"nc", PROG_NC},
    {"ncat", PROG_NC},
    {"netcat", PROG_NC},
    {"netstat", PROG_NEUTRAL},
    {"node", PROG_SHELL},
    {"npm", PROG_TARGET},
    {"oc", PROG_KUBECTL},
    {"perl", PROG_SHELL},
    {"pg_isready", PROG_PG_ISREADY},
    {"pgrep", PROG_PGREP},
    {"pidof", PROG_PGREP},
    {"pnpm", PROG_TARGET},
    {"podman", PROG_DOCKER},
    {"podman-compose", PROG_COMPOSE},
    {"popd", PROG_NEUTRAL},
    {"printenv", PROG_NEUTRAL},
    {"printf", PROG_NEUTRAL},
    {"ps", PROG_PS},
    {"pushd", PROG_NEUTRAL},
    {"pwd", PROG_NEUTRAL},
    {"readonly", PROG_NEUTRAL},
    {"redis-cli", PROG_REDIS_CLI},
    {"rg", PROG_GREP},
    {"rm", PROG_NEUTRAL},
    {"ruby", PROG_SHELL},
    {"set", PROG_NEUTRAL},
    {"sh", PROG_SHELL},
    {"shopt", PROG_NEUTRAL},
    {"sleep", PROG_SLEEP},
    {"sort", PROG_NEUTRAL},
    {"source", PROG_SHELL},
    {"ss", PROG_NEUTRAL},
    {"tail", PROG_NEUTRAL},
    {"task", PROG_TARGET},
    {"tee", PROG_NEUTRAL},
    {"test", PROG_NEUTRAL},
    {"touch", PROG_NEUTRAL},
    {"trap", PROG_NEUTRAL},
    {"true", PROG_NEUTRAL},
    {"type", PROG_NEUTRAL},
    {"typeset", PROG_NEUTRAL},
    {"ulimit", PROG_NEUTRAL},
    {"umask", PROG_NEUTRAL},
    {"uname", PROG_NEUTRAL},
    {"unset", PROG_NEUTRAL},
    {"valkey-cli", PROG_REDIS_CLI},
    {"wait", PROG_WAIT},
    {"wc", PROG_NEUTRAL},
    {"wget", PROG_HTTP},
    {"which", PROG_NEUTRAL},
    {"whoami", PROG_NEUTRAL},
    {"yarn", PROG_TARGET},
    {"zsh", PROG_SHELL},
};

static enum prog prog_of(const char *base)
{
	return (enum prog)cg_name_kind(progs, sizeof(progs) / sizeof(*progs),
				       base, PROG_OTHER);
}

/* Index of the program after wrappers that do not change what it is
 * (cg_sh_cmd_unwrap); *prog is what that program is (PROG_OTHER past the
 * last word). */
static size_t skip_wrappers(const struct cg_sh_cmd *c, size_t i,
			    enum prog *prog)
{
	i = cg_sh_cmd_unwrap(c, i, 0);
	*prog = i < c->nwords ? prog_of(cg_path_base(wd(c, i))) : PROG_OTHER;
	return i;
}

/* curl/wget: the first operand that is a URL on this machine or a
 * service host. Options that take an argument are skipped with it. */
static enum cg_ready_kind http_probe(const struct cg_sh_cmd *c, size_t i,
				     struct cg_ready_target *t)
{
	static const char with_arg[] =
	    " -o --output -H --header -d --data --data-binary --data-raw "
	    "--data-urlencode -X --request -w --write-out -u --user -A "
	    "--user-agent -e --referer -m --max-time --connect-timeout "
	    "--retry --retry-delay --retry-max-time -F --form -T "
	    "--upload-file --cacert --cert --key -b --cookie -c --cookie-jar "
	    "-K --config --resolve -x --proxy -r --range -y -Y -z --json "
	    "-O --output-document -t --tries -T --timeout --wait -P "
	    "--header --post-data --user --password -U ";
	const char *probe = wd(c, i);

	for (size_t k = i + 1; k < c->nwords; k++) {
		const char *a = wd(c, k);
		enum cg_service_kind kind;
		unsigned port;
		bool local;

		if (eq(a, "--url") && k + 1 < c->nwords) {
			a = wd(c, ++k);
		} else if (a[0] == '-') {
			char opt[32];
			size_t n = strcspn(a, "=");

			if (a[n] || n + 3 > sizeof(opt))
				continue; /* --opt=value */
			opt[0] = ' ';
			memcpy(opt + 1, a, n);
			opt[n + 1] = ' ';
			opt[n + 2] = '\0';
			if (strstr(with_arg, opt))
				k++;
			continue;
		}
		if (!read_url(a, &kind, &port, &local))
			continue;
		if (!local)
			return CG_READY_USE; /* a download, not a probe */
		set_target(t, kind, port, cg_path_base(probe));
		return CG_READY_CHECK;
	}
	return CG_READY_USE;
}

static enum cg_ready_kind probe_at(const struct cg_script *s,
				   const struct cg_sh_cmd *c, size_t i,
				   struct cg_ready_target *t, unsigned depth);

/* docker/podman [compose] ...: `compose up --wait` waits; `ps`, `logs`
 * print; exec/run (not detached) run a probe inside. */
static enum cg_ready_kind docker_probe(const struct cg_script *s,
				       const struct cg_sh_cmd *c, size_t i,
				       bool compose, struct cg_ready_target *t,
				       unsigned depth)
{
	static const char with_arg[] =
	    " -f --file -p --project-name --env-file --project-directory "
	    "--profile -H --host --context -c --config --log-level --ansi "
	    "--progress ";
	const char *sub = NULL;
	size_t k = i + 1;

	for (; k < c->nwords; k++) {
		const char *a = wd(c, k);
		char opt[32];

		if (a[0] == '-') {
			size_t n = strlen(a);

			if (n + 3 <= sizeof(opt)) {
				opt[0] = ' ';
				memcpy(opt + 1, a, n);
				opt[n + 1] = ' ';
				opt[n + 2] = '\0';
				if (strstr(with_arg, opt))
					k++;
			}
			continue;
		}
		if (!compose && eq(a, "compose")) {
			compose = true;
			continue;
		}
		if (!compose && eq(a, "container"))
			continue;
		sub = a;
		break;
	}
	if (!sub)
		return CG_READY_USE;
	if (eq(sub, "ps") || eq(sub, "logs") || eq(sub, "images") ||
	    eq(sub, "version") || eq(sub, "info") || eq(sub, "top") ||
	    eq(sub, "config") || eq(sub, "ls"))
		return CG_READY_NEUTRAL;
	if (compose && eq(sub, "up")) {
		for (size_t j = k + 1; j < c->nwords; j++)
			if (eq(wd(c, j), "--wait") ||
			    cg_starts_with(wd(c, j), "--wait=")) {
				set_target(t, CG_SERVICE_OTHER, 0,
					   "docker compose up --wait");
				return CG_READY_CHECK;
			}
		return CG_READY_USE;
	}
	if (!eq(sub, "exec") && !eq(sub, "run"))
		return CG_READY_USE;
	for (size_t j = k + 1; j < c->nwords; j++) {
		const char *a = wd(c, j);

		if (a[0] == '-') {
			if (eq(a, "-d") || eq(a, "--detach") ||
			    (a[1] != '-' && strchr(a, 'd') &&
			     strspn(a + 1, "ditT") == strlen(a + 1)))
				return CG_READY_USE; /* detached */
			continue;
		}
		if (probe_at(s, c, j, t, depth + 1) == CG_READY_CHECK)
			return CG_READY_CHECK;
	}
	return CG_READY_USE;
}

static bool has_word(const struct cg_sh_cmd *c, size_t from, const char *w)
{
	for (size_t k = from; k < c->nwords; k++)
		if (!strcasecmp(wd(c, k), w))
			return true;
	return false;
}

/* A shell or an interpreter whose first operand is the script it runs. */
static bool runs_script(const char *b, enum prog prog)
{
	return prog == PROG_SHELL ||
	       (prog == PROG_OTHER && !strncmp(b, "python", 6) &&
		strspn(b + 6, "0123456789.") == strlen(b + 6));
}

/* Neither uses nor checks: echo, printf, cd, export, ls, cat, ps, ...
 * (readiness.h; `env` or `command` alone runs nothing: cg_cmd_unwrap) */
static bool is_neutral(enum prog prog)
{
	return prog == PROG_NEUTRAL || prog == PROG_PS;
}

/*
 * Classify the program at word i of simple command c (wrappers already
 * skipped or not: they are skipped here).
 */
static enum cg_ready_kind probe_at(const struct cg_script *s,
				   const struct cg_sh_cmd *c, size_t i,
				   struct cg_ready_target *t, unsigned depth)
{
	const char *b;
	enum cg_service_kind kind = CG_SERVICE_OTHER;
	enum prog prog;

	if (depth > MAX_DEPTH)
		return CG_READY_USE;
	/* `echo > /dev/tcp/localhost/5432`: bash connects, or fails */
	for (size_t r = 0; r < c->nredirs; r++)
		if (cg_starts_with(c->redirs[r].target.text, "/dev/tcp/")) {
			const char *port =
			    strrchr(c->redirs[r].target.text, '/');

			set_target(t, CG_SERVICE_OTHER, port_of(port + 1),
				   "/dev/tcp");
			return CG_READY_CHECK;
		}
	i = skip_wrappers(c, i, &prog);
	if (i >= c->nwords)
		return CG_READY_NEUTRAL; /* `env` alone prints */
	b = cg_path_base(wd(c, i));
	/* a case that does not return goes on to the checks by name below */
	switch (prog) {
	case PROG_SLEEP:
		return CG_READY_SLEEP;
	case PROG_WAIT:
		if (!c->words[i].quoted)
			return CG_READY_JOIN;
		break;
	case PROG_PG_ISREADY:
		set_target(t, CG_SERVICE_POSTGRES, port_option(c, i, "-p"),
			   "pg_isready");
		return CG_READY_CHECK;
	case PROG_REDIS_CLI: {
		unsigned port;

		if (!has_word(c, i + 1, "ping"))
			break;
		port = port_option(c, i, "-p");
		for (size_t k = i + 1; !port && k + 1 < c->nwords; k++)
			if (eq(wd(c, k), "-u")) {
				enum cg_service_kind kd;
				bool local;

				read_url(wd(c, k + 1), &kd, &port, &local);
			}
		set_target(t, CG_SERVICE_REDIS, port, b);
		return CG_READY_CHECK;
	}
	case PROG_MYSQLADMIN:
		if (!has_word(c, i + 1, "ping"))
			break;
		set_target(t, CG_SERVICE_MYSQL, port_option(c, i, "-P"),
			   "mysqladmin ping");
		return CG_READY_CHECK;
	case PROG_HTTP:
		return http_probe(c, i, t);
	case PROG_NC: {
		bool z = false;
		unsigned port = 0;

		for (size_t k = i + 1; k < c->nwords; k++) {
			const char *a = wd(c, k);

			if (a[0] == '-' && a[1] != '-' && strchr(a, 'z'))
				z = true;
			else if (port_of(a))
				port = port_of(a);
		}
		if (!z)
			return CG_READY_USE;
		set_target(t, CG_SERVICE_OTHER, port, "nc -z");
		return CG_READY_CHECK;
	}
	case PROG_HTTPING:
		set_target(t, CG_SERVICE_OTHER, operand_port(c, i, &kind),
			   "httping");
		return CG_READY_CHECK;
	case PROG_PGREP:
		set_target(t, CG_SERVICE_OTHER, 0, b);
		return CG_READY_CHECK;
	case PROG_KILL:
		if (!has_word(c, i + 1, "-0"))
			break;
		set_target(t, CG_SERVICE_OTHER, 0, "kill -0");
		return CG_READY_CHECK;
	case PROG_CIGUARD: {
		size_t k = i + 1;

		while (k < c->nwords && wd(c, k)[0] == '-')
			k++;
		if (k >= c->nwords || !eq(wd(c, k), "wait"))
			return CG_READY_USE;
		set_target(t, CG_SERVICE_OTHER, operand_port(c, k, &kind),
			   "ciguard wait");
		if (t)
			t->kind = kind;
		return CG_READY_CHECK;
	}
	case PROG_DOCKERIZE:
		if (!has_word(c, i + 1, "-wait") &&
		    !has_word(c, i + 1, "--wait"))
			return CG_READY_USE;
		set_target(t, CG_SERVICE_OTHER, operand_port(c, i, &kind),
			   "dockerize -wait");
		if (t)
			t->kind = kind;
		return CG_READY_CHECK;
	case PROG_DOCKER:
	case PROG_COMPOSE:
		return docker_probe(s, c, i, prog == PROG_COMPOSE, t, depth);
	case PROG_KUBECTL: {
		const char *sub = i + 1 < c->nwords ? wd(c, i + 1) : "";

		if (eq(sub, "wait") ||
		    (eq(sub, "rollout") && has_word(c, i + 2, "status"))) {
			set_target(t, CG_SERVICE_OTHER, 0, "kubectl wait");
			return CG_READY_CHECK;
		}
		if (eq(sub, "exec"))
			for (size_t k = i + 2; k + 1 < c->nwords; k++)
				if (eq(wd(c, k), "--"))
					return probe_at(s, c, k + 1, t,
							depth + 1);
		if (eq(sub, "get") || eq(sub, "logs") || eq(sub, "describe"))
			return CG_READY_NEUTRAL;
		return CG_READY_USE;
	}
	case PROG_TARGET:
		for (size_t k = i + 1; k < c->nwords; k++)
			if (wd(c, k)[0] != '-' && !c->words[k].expands &&
			    readiness_name(wd(c, k))) {
				set_target(t, CG_SERVICE_OTHER, 0, wd(c, k));
				return CG_READY_CHECK;
			}
		return CG_READY_USE;
	default:
		break;
	}
	if (runs_script(b, prog)) {
		/* `bash scripts/wait_for_db.sh`, `python -m app.wait_ready` */
		size_t k = i + 1;

		while (k < c->nwords && wd(c, k)[0] == '-' &&
		       !eq(wd(c, k), "-m"))
			k++;
		if (k < c->nwords && eq(wd(c, k), "-m"))
			k++;
		/* `python manage.py wait_for_db`: Django's command */
		if (k < c->nwords && django_manage(cg_path_base(wd(c, k))))
			k++;
		if (k < c->nwords && !c->words[k].expands &&
		    readiness_name(cg_path_base(wd(c, k)))) {
			set_target(t, CG_SERVICE_OTHER,
				   operand_port(c, k, &kind),
				   cg_path_base(wd(c, k)));
			if (t)
				t->kind = kind;
			return CG_READY_CHECK;
		}
		return CG_READY_USE;
	}
	/* `./manage.py wait_for_db`, `django-admin wait_for_db` */
	if (django_manage(b) && i + 1 < c->nwords && !c->words[i + 1].expands &&
	    readiness_name(wd(c, i + 1))) {
		set_target(t, CG_SERVICE_OTHER, 0, wd(c, i + 1));
		return CG_READY_CHECK;
	}
	if (!c->words[i].expands && readiness_name(b)) {
		set_target(t, CG_SERVICE_OTHER, operand_port(c, i, &kind), b);
		if (t)
			t->kind = kind;
		return CG_READY_CHECK;
	}
	if (is_neutral(prog) && !c->words[i].quoted)
		return CG_READY_NEUTRAL;
	return CG_READY_USE;
}

/*
 * Is `fn` true of some simple command that `l` runs, at any depth of
 * compound commands (function bodies too unless `skip_funcs`)? `depth`
 * is the one the command is at.
 */
static bool list_any(const struct cg_sh_list *l, bool skip_funcs,
		     bool (*fn)(void *ctx, const struct cg_sh_cmd *c,
				unsigned depth),
		     void *ctx, unsigned depth)
{
	if (!l || depth > MAX_DEPTH)
		return false;
	for (size_t i = 0; i < l->n; i++) {
		const struct cg_sh_andor *ao = &l->items[i];

		for (size_t p = 0; p < ao->n; p++)
			for (size_t k = 0; k < ao->pipes[p].n; k++) {
				const struct cg_sh_cmd *c =
				    &ao->pipes[p].cmds[k];

				if (c->kind == CG_SH_SIMPLE) {
					if (fn(ctx, c, depth))
						return true;
					continue;
				}
				if (skip_funcs && c->kind == CG_SH_FUNCDEF)
					continue;
				for (size_t b = 0; b < 3; b++)
					if (list_any(c->body[b], skip_funcs, fn,
						     ctx, depth + 1))
						return true;
				for (size_t a = 0; a < c->narms; a++)
					if (list_any(c->arms[a], skip_funcs, fn,
						     ctx, depth + 1))
						return true;
			}
	}
	return false;
}

static bool runs_name(void *ctx, const struct cg_sh_cmd *c, unsigned depth)
{
	enum prog prog;
	size_t w = skip_wrappers(c, 0, &prog);

	(void)depth;
	return w < c->nwords && eq(cg_path_base(wd(c, w)), ctx);
}

/* Does `list` run the program `name` (sleep, break, exit)? */
static bool list_runs(const struct cg_sh_list *l, const char *name,
		      unsigned depth)
{
	return list_any(l, true, runs_name, (void *)name, depth);
}

struct probe_ctx {
	const struct cg_script *s;
	struct cg_ready_target *t;
};

static bool is_probe(void *ctx, const struct cg_sh_cmd *c, unsigned depth)
{
	struct probe_ctx *pc = ctx;

	return c->nwords &&
	       probe_at(pc->s, c, 0, pc->t, depth + 1) == CG_READY_CHECK;
}

/* The target of the first probe in `l`, if any. */
static bool list_probe(const struct cg_script *s, const struct cg_sh_list *l,
		       struct cg_ready_target *t, unsigned depth)
{
	struct probe_ctx pc = {s, t};

	return list_any(l, false, is_probe, &pc, depth);
}

static bool nested_checks(const struct cg_script *s, unsigned depth);

static enum cg_ready_kind classify(const struct cg_script *s,
				   const struct cg_sh_cmd *c,
				   struct cg_ready_target *t, unsigned depth)
{
	bool poll = false;

	set_target(t, CG_SERVICE_OTHER, 0, NULL);
	if (depth > MAX_DEPTH)
		return CG_READY_USE;
	switch (c->kind) {
	case CG_SH_SIMPLE: {
		const struct cg_nested_script *ns;

		if (!c->nwords)
			return CG_READY_NEUTRAL;
		/* `timeout 60 bash -c 'until ...; done'` */
		if (s && (ns = cg_script_nested_at(s, c)) &&
		    (ns->kind == CG_NESTED_SHELL ||
		     ns->kind == CG_NESTED_EVAL) &&
		    nested_checks(ns->script, depth + 1)) {
			if (!list_probe(ns->script, ns->script->sh.top, t,
					depth + 1))
				set_target(t, CG_SERVICE_OTHER, 0,
					   "a polling loop");
			return CG_READY_CHECK;
		}
		return probe_at(s, c, 0, t, depth);
	}
	case CG_SH_WHILE:
	case CG_SH_UNTIL:
		poll = list_runs(c->body[0], "sleep", depth) ||
		       list_runs(c->body[1], "sleep", depth);
		break;
	case CG_SH_FOR:
		poll = list_runs(c->body[1], "sleep", depth) &&
		       (list_runs(c->body[1], "break", depth) ||
			list_runs(c->body[1], "exit", depth));
		break;
	default:
		return CG_READY_USE;
	}
	if (!poll)
		return CG_READY_USE;
	if (!list_probe(s, c->body[0], t, depth) &&
	    !list_probe(s, c->body[1], t, depth))
		set_target(t, CG_SERVICE_OTHER, 0, "a polling loop");
	return CG_READY_CHECK;
}

/* Does a script run a CHECK at its top level (not in the background)? */
static bool nested_checks(const struct cg_script *s, unsigned depth)
{
	const struct cg_sh_list *l = s->sh.top;

	for (size_t i = 0; l && i < l->n; i++) {
		const struct cg_sh_andor *ao = &l->items[i];

		if (ao->background)
			continue;
		for (size_t p = 0; p < ao->n; p++)
			for (size_t k = 0; k < ao->pipes[p].n; k++)
				if (classify(s, &ao->pipes[p].cmds[k], NULL,
					     depth) == CG_READY_CHECK)
					return true;
	}
	return false;
}

enum cg_ready_kind cg_ready_classify(const struct cg_script *s,
				     const struct cg_sh_cmd *cmd,
				     struct cg_ready_target *t)
{
	return classify(s, cmd, t, 0);
}

/* -------------------------------------------------------------- walk */

struct walker {
	const struct cg_script_group *g;
	cg_ready_fn fn;
	void *ctx;
	size_t item;
	bool stop;
	unsigned depth;
	/* the function definitions of the item's scripts */
	const struct cg_sh_cmd **funcs;
	const struct cg_script **func_script;
	size_t nfuncs, funcs_alloc;
	const struct cg_sh_cmd *calls[MAX_DEPTH]; /* functions being run */
	size_t ncalls;
	unsigned inner; /* in the script of a shell run in the background */
};

bool cg_andor_swallows(const struct cg_sh_andor *ao, size_t p)
{
	const struct cg_sh_cmd *next;
	const char *w0;

	if (!ao || p + 1 >= ao->n || ao->ops[p] != CG_SH_OP_OR)
		return false;
	next = &ao->pipes[p + 1].cmds[0];
	if (next->kind != CG_SH_SIMPLE || !next->nwords)
		return false;
	w0 = wd(next, 0);
	return eq(w0, "true") || eq(w0, ":") || eq(w0, "echo") ||
	       eq(w0, "printf") ||
	       (eq(w0, "exit") && (next->nwords == 1 || eq(wd(next, 1), "0")));
}

/* cg_andor_swallows for the pipeline of `c` in `ao` */
static bool failure_swallowed(const struct cg_sh_cmd *c,
			      const struct cg_sh_andor *ao)
{
	for (size_t p = 0; ao && p < ao->n; p++)
		if (c >= ao->pipes[p].cmds &&
		    c < ao->pipes[p].cmds + ao->pipes[p].n)
			return cg_andor_swallows(ao, p);
	return false;
}

static void emit(struct walker *w, const struct cg_script *s,
		 const struct cg_sh_cmd *c, const struct cg_sh_andor *ao,
		 bool bg, enum cg_ready_kind kind,
		 const struct cg_ready_target *t)
{
	struct cg_ready_event ev = {0};

	if (w->stop)
		return;
	if (kind == CG_READY_CHECK && failure_swallowed(c, ao))
		kind = CG_READY_NEUTRAL;
	ev.item = w->item;
	ev.s = s;
	ev.cmd = c;
	ev.andor = ao;
	ev.background = bg;
	ev.inner = w->inner > 0;
	ev.kind = kind;
	if (t)
		ev.target = *t;
	if (!w->fn(w->ctx, &ev))
		w->stop = true;
}

static void collect_funcs(struct walker *w, const struct cg_script *s,
			  const struct cg_sh_list *l, unsigned depth)
{
	if (!l || depth > MAX_DEPTH)
		return;
	for (size_t i = 0; i < l->n; i++) {
		const struct cg_sh_andor *ao = &l->items[i];

		for (size_t p = 0; p < ao->n; p++)
			for (size_t k = 0; k < ao->pipes[p].n; k++) {
				const struct cg_sh_cmd *c =
				    &ao->pipes[p].cmds[k];

				if (c->kind == CG_SH_FUNCDEF && c->nwords) {
					cg_grow((void **)&w->funcs,
						&w->funcs_alloc, w->nfuncs + 1,
						sizeof(*w->funcs));
					w->func_script = cg_xrealloc(
					    w->func_script,
					    w->funcs_alloc *
						sizeof(*w->func_script));
					w->funcs[w->nfuncs] = c;
					w->func_script[w->nfuncs++] = s;
				}
				for (size_t b = 0; b < 3; b++)
					collect_funcs(w, s, c->body[b],
						      depth + 1);
				for (size_t a = 0; a < c->narms; a++)
					collect_funcs(w, s, c->arms[a],
						      depth + 1);
			}
	}
}

static void collect_script_funcs(struct walker *w, const struct cg_script *s,
				 unsigned depth)
{
	if (!s || depth > MAX_DEPTH)
		return;
	collect_funcs(w, s, s->sh.top, 0);
	for (size_t i = 0; i < s->nnested; i++)
		if (s->nested[i].kind == CG_NESTED_SHELL ||
		    s->nested[i].kind == CG_NESTED_EVAL)
			collect_script_funcs(w, s->nested[i].script, depth + 1);
}

static void walk_list(struct walker *w, const struct cg_script *s,
		      const struct cg_sh_list *l, bool bg);

/* A call of a function of the item's scripts: its index, or nfuncs. */
static size_t func_of(const struct walker *w, const struct cg_sh_cmd *c)
{
	if (!c->nwords || c->words[0].quoted || c->words[0].expands)
		return w->nfuncs;
	for (size_t i = w->nfuncs; i-- > 0;)
		if (eq(w->funcs[i]->words[0].text, c->words[0].text))
			return i;
	return w->nfuncs;
}

static void walk_simple(struct walker *w, const struct cg_script *s,
			const struct cg_sh_cmd *c, const struct cg_sh_andor *ao,
			bool bg)
{
	const struct cg_nested_script *ns;
	struct cg_ready_target t;
	enum cg_ready_kind kind;
	size_t n = 0, f;

	if ((ns = cg_script_substs(s, c, &n)))
		for (size_t k = 0; k < n; k++)
			walk_list(w, ns[k].script, ns[k].script->sh.top, bg);
	kind = classify(s, c, &t, 0);
	if (kind == CG_READY_CHECK) {
		emit(w, s, c, ao, bg, kind, &t);
		return;
	}
	ns = cg_script_nested_at(s, c);
	if (ns && (ns->kind == CG_NESTED_SHELL || ns->kind == CG_NESTED_EVAL)) {
		/* a shell in the background is one process that runs on;
		 * then what it runs, in it */
		if (bg && ns->kind == CG_NESTED_SHELL) {
			emit(w, s, c, ao, bg, kind, &t);
			w->inner++;
			walk_list(w, ns->script, ns->script->sh.top, false);
			w->inner--;
		} else {
			walk_list(w, ns->script, ns->script->sh.top, bg);
		}
		return;
	}
	f = func_of(w, c);
	if (f < w->nfuncs && w->ncalls < MAX_DEPTH) {
		bool active = false;

		for (size_t k = 0; k < w->ncalls; k++)
			active |= w->calls[k] == w->funcs[f];
		if (!active) {
			w->calls[w->ncalls++] = w->funcs[f];
			walk_list(w, w->func_script[f], w->funcs[f]->body[1],
				  bg);
			w->ncalls--;
			return;
		}
	}
	emit(w, s, c, ao, bg, kind, &t);
}

/* `ps aux | grep x`, `docker ps | grep x`: one CHECK. */
static bool ps_grep(const struct cg_sh_pipeline *p)
{
	bool ps = false;

	for (size_t k = 0; k < p->n; k++) {
		const struct cg_sh_cmd *c = &p->cmds[k];
		enum prog prog;
		size_t i;

		if (c->kind != CG_SH_SIMPLE ||
		    (i = skip_wrappers(c, 0, &prog)) >= c->nwords)
			continue;
		if (prog == PROG_PS ||
		    (prog == PROG_DOCKER && has_word(c, i + 1, "ps")))
			ps = true;
		else if (ps && prog == PROG_GREP)
			return true;
	}
	return false;
}

static void walk_cmd(struct walker *w, const struct cg_script *s,
		     const struct cg_sh_cmd *c, const struct cg_sh_andor *ao,
		     bool bg)
{
	struct cg_ready_target t;

	if (w->stop || w->depth > MAX_DEPTH)
		return;
	if (c->kind == CG_SH_SIMPLE) {
		walk_simple(w, s, c, ao, bg);
		return;
	}
	if (c->kind == CG_SH_FUNCDEF)
		return; /* runs when called */
	if (classify(s, c, &t, 0) == CG_READY_CHECK) {
		emit(w, s, c, ao, bg, CG_READY_CHECK, &t);
		return;
	}
	for (size_t b = 0; b < 3; b++)
		if (c->body[b])
			walk_list(w, s, c->body[b], bg);
	for (size_t a = 0; a < c->narms; a++)
		walk_list(w, s, c->arms[a], bg);
}

static void walk_list(struct walker *w, const struct cg_script *s,
		      const struct cg_sh_list *l, bool bg)
{
	if (!l || w->stop || ++w->depth > MAX_DEPTH * 4) {
		w->depth--;
		return;
	}
	for (size_t i = 0; i < l->n && !w->stop; i++) {
		const struct cg_sh_andor *ao = &l->items[i];
		bool abg = bg || ao->background;

		for (size_t p = 0; p < ao->n && !w->stop; p++) {
			const struct cg_sh_pipeline *pl = &ao->pipes[p];

			if (pl->n > 1 && ps_grep(pl)) {
				struct cg_ready_target t;

				set_target(&t, CG_SERVICE_OTHER, 0,
					   "ps | grep");
				emit(w, s, &pl->cmds[0], ao, abg,
				     CG_READY_CHECK, &t);
				continue;
			}
			for (size_t k = 0; k < pl->n; k++)
				walk_cmd(w, s, &pl->cmds[k], ao, abg);
		}
	}
	w->depth--;
}

void cg_ready_walk(const struct cg_script_group *g, cg_ready_fn fn, void *ctx)
{
	struct walker w = {0};

	w.g = g;
	w.fn = fn;
	w.ctx = ctx;
	for (size_t i = 0; i < g->nitems && !w.stop; i++) {
		const struct cg_script_item *it = &g->items[i];

		w.item = i;
		w.nfuncs = 0;
		if (!it->script) {
			const char *uses = it->uses;
			struct cg_ready_target t;
			bool checks = cg_ready_action_checks(uses);

			set_target(&t, CG_SERVICE_OTHER, 0,
				   checks ? uses : NULL);
			emit(&w, NULL, NULL, NULL, false,
			     checks ? CG_READY_CHECK : CG_READY_USE, &t);
			continue;
		}
		collect_script_funcs(&w, it->script, 0);
		walk_list(&w, it->script, it->script->sh.top, false);
	}
	free(w.funcs);
	free(w.func_script);
}

/* -------------------------------------------------- the walk, once */

struct events {
	struct cg_ready_event *ev;
	size_t n, alloc;
};

static bool keep_event(void *ctx, const struct cg_ready_event *ev)
{
	struct events *e = ctx;

	CG_GROW(e->ev, e->alloc, e->n + 1);
	e->ev[e->n++] = *ev;
	return true;
}

static void *walk_events(const struct cg_model *m, size_t group)
{
	struct events *e = cg_xcalloc(1, sizeof(*e));

	cg_ready_walk(&m->facts.groups[group], keep_event, e);
	return e;
}

static void events_free(void *v)
{
	struct events *e = v;

	free(e->ev);
	free(e);
}

void cg_ready_walk_memo(struct cg_rule_ctx *rctx, size_t group, cg_ready_fn fn,
			void *ctx)
{
	const struct cg_model *m = cg_rule_model(rctx);
	const struct events *e =
	    cg_rule_memo(rctx, CG_MEMO_READY_EVENTS, group, m->facts.ngroups,
			 walk_events, events_free);

	if (!e) { /* no memo: walk it here */
		if (group < m->facts.ngroups)
			cg_ready_walk(&m->facts.groups[group], fn, ctx);
		return;
	}
	for (size_t i = 0; i < e->n; i++)
		if (!fn(ctx, &e->ev[i]))
			return;
}

/* ------------------------------------------------------- group checks */

struct group_check {
	enum cg_service_kind kind;
	const unsigned *ports;
	size_t nports;
	bool found;
};

static bool group_check_visit(void *ctx, const struct cg_ready_event *ev)
{
	struct group_check *gc = ctx;
	const struct cg_ready_target *t = &ev->target;

	if (ev->background || ev->kind != CG_READY_CHECK)
		return true;
	if (t->kind == CG_SERVICE_OTHER && !t->port)
		gc->found = true;
	else if (t->kind != CG_SERVICE_OTHER && t->kind == gc->kind)
		gc->found = true;
	for (size_t i = 0; t->port && i < gc->nports; i++)
		if (gc->ports[i] == t->port)
			gc->found = true;
	return !gc->found;
}

bool cg_ready_group_checks(const struct cg_script_group *g,
			   enum cg_service_kind kind, const unsigned *ports,
			   size_t nports)
{
	struct group_check gc = {kind, ports, nports, false};

	cg_ready_walk(g, group_check_visit, &gc);
	return gc.found;
}

/* ------------------------------------------------------------- starts */

/* The command of and-or list `ao` that is the process it starts. */
static const struct cg_sh_cmd *andor_main(const struct cg_script *s,
					  const struct cg_sh_andor *ao)
{
	const struct cg_sh_pipeline *last = &ao->pipes[ao->n - 1];
	const struct cg_sh_cmd *c = &last->cmds[0];

	if (c->kind == CG_SH_SIMPLE &&
	    classify(s, c, NULL, 0) != CG_READY_NEUTRAL)
		return c;
	for (size_t p = 0; p < ao->n; p++)
		for (size_t k = 0; k < ao->pipes[p].n; k++) {
			c = &ao->pipes[p].cmds[k];
			if (c->kind == CG_SH_SIMPLE &&
			    classify(s, c, NULL, 0) == CG_READY_USE)
				return c;
		}
	return NULL;
}

bool cg_ready_detached(const struct cg_sh_cmd *c, bool background)
{
	bool fork = false;
	size_t i = 0;
	const char *b;

	if (background)
		return true;
	if (c->kind != CG_SH_SIMPLE)
		return false;
	/* `setsid -f`/`--fork`; the other wrappers do not detach */
	i = cg_sh_cmd_unwrap(c, 0, 0);
	for (size_t k = 0; k < i; k++)
		if (eq(cg_path_base(wd(c, k)), "setsid"))
			for (k++; k < i && wd(c, k)[0] == '-'; k++)
				if (eq(wd(c, k), "--fork") ||
				    (wd(c, k)[1] != '-' &&
				     strchr(wd(c, k), 'f')))
					fork = true;
	if (fork)
		return true;
	if (i >= c->nwords)
		return false;
	b = cg_path_base(wd(c, i));
	/* the model marks `docker run -d` and `compose up -d` (no --wait) */
	return eq(b, "docker") || eq(b, "podman") || eq(b, "docker-compose") ||
	       eq(b, "podman-compose");
}

const struct cg_process_fact *
cg_ready_start(const struct cg_model *m, const struct cg_ready_event *ev,
	       const struct cg_process_fact *const *rows, size_t nrows)
{
	const struct cg_process_fact *r = NULL;
	struct cg_buf name = CG_BUF_INIT;
	bool critical;

	if (!ev->cmd || ev->cmd->kind != CG_SH_SIMPLE ||
	    ev->kind != CG_READY_USE)
		return NULL;
	for (size_t i = 0; i < nrows && !r; i++)
		if (rows[i]->cmd == ev->cmd && rows[i]->background &&
		    rows[i]->origin == CG_PROCESS_CI)
			r = rows[i];
	if (!r || !cg_ready_detached(ev->cmd, ev->background))
		return NULL;
	if (ev->andor && ev->andor->background &&
	    andor_main(ev->s, ev->andor) != ev->cmd)
		return NULL;
	critical = cg_critical_command(ev->cmd, m->config, &name);
	cg_buf_release(&name);
	return critical ? NULL : r;
}

size_t cg_ready_group_starts(const struct cg_model *m, size_t g,
			     const struct cg_process_fact **out)
{
	const struct cg_facts *f = &m->facts;
	size_t n = 0;

	for (size_t i = f->groups[g].process_first;
	     i < f->groups[g].process_end; i++) {
		const struct cg_process_fact *p = &f->processes[i];

		if (p->origin == CG_PROCESS_CI && p->background &&
		    p->group == g && p->cmd)
			out[n++] = p;
	}
	return n;
}
