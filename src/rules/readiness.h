/*
 * readiness: what in a CI job verifies that a process or service it started
 * is up, and what only waits or passes the time. One place for that
 * knowledge, shared by unverified-background-process, ci-sleep-as-readiness
 * and service-no-healthcheck.
 *
 * A command CHECKs readiness when it fails (or keeps polling) until the
 * thing is up:
 *   - a probe: `curl`/`wget` of a URL on this machine or a service host
 *     (localhost, 127.x, 0.0.0.0, ::1, a name without dots such as `db`,
 *     or a URL from a variable; a download from `github.com` is not one),
 *     `nc -z`, a `/dev/tcp/HOST/PORT` redirection, `httping`,
 *     `pg_isready`, `redis-cli ping` (valkey-cli too),
 *     `mysqladmin ping`, `pgrep`, `pidof`, `kill -0 PID`, `ps ... | grep`;
 *   - a waiter: `ciguard wait`, `dockerize -wait`, `docker compose up
 *     --wait`, `kubectl wait`, `kubectl rollout status`, and any command,
 *     script, function, make/just/npm target or GitHub `uses:` action
 *     whose name starts with `wait-`/`wait_`/`waitfor` or holds `health`
 *     or `ready` (`wait-for-it.sh`, `wait-on`, `./scripts/healthcheck.sh`,
 *     `wait_for_db`);
 *   - a polling loop: a `while`/`until` loop that runs `sleep`, or a `for`
 *     loop that runs `sleep` and `break`s out;
 *   - any of these run by a wrapper (`timeout 60`, `env`, `npx`, `docker
 *     compose exec db ...`, `kubectl exec POD -- ...`) or in a shell given
 *     the script as a string (`timeout 60 bash -c 'until ...; done'`).
 * A bare `sleep N` checks nothing: it is SLEEP. A bare `wait` is JOIN: the
 * background jobs have ended after it, so none of them is still running.
 */
#ifndef CG_READINESS_H
#define CG_READINESS_H

#include "rules/rule.h"

enum cg_ready_kind {
	CG_READY_USE,	  /* anything else: it may use what was started */
	CG_READY_NEUTRAL, /* neither uses nor checks: echo, printf, cd,
			     export, an assignment, ls, cat, mkdir, jobs,
			     disown, `docker ps`, `docker compose logs`... */
	CG_READY_SLEEP,	  /* `sleep N`: waits a fixed time */
	CG_READY_CHECK,	  /* verifies that something is up (see above) */
	CG_READY_JOIN,	  /* `wait`: the background jobs have ended */
};

/* What a CHECK checks, as far as its words say. */
struct cg_ready_target {
	/* REDIS for redis-cli, POSTGRES for pg_isready, MYSQL for
	 * mysqladmin, the scheme's kind for a `redis://`/`postgres://` URL;
	 * OTHER when the words do not say (curl, nc, a loop, a script) */
	enum cg_service_kind kind;
	/* the port it reaches (`-p 5433`, `:8080` of a URL, `nc -z h 80`;
	 * http 80, https 443 without one); 0 when not known */
	unsigned port;
	/* what checks, for messages: "curl", "pg_isready", "a polling
	 * loop", "wait-for-it.sh"; static or the command's own word */
	const char *probe;
};

/*
 * Classify command `cmd` of script `s` (SIMPLE, or a compound command).
 * A compound command is CHECK when it is a polling loop (see above);
 * otherwise it is USE and a caller that walks scripts goes into it.
 * `t` (may be NULL) gets the target of a CHECK (for a loop: of the first
 * probe inside it), else {OTHER, 0, NULL}. A pipeline's `ps | grep` is
 * the walker's business (cg_ready_walk), not this function's.
 */
enum cg_ready_kind cg_ready_classify(const struct cg_script *s,
				     const struct cg_sh_cmd *cmd,
				     struct cg_ready_target *t);

/* Does a GitHub `uses:` value (`owner/wait-for-action@v1`) name an action
 * that waits for readiness, by the naming rule above? */
bool cg_ready_action_checks(const char *uses);

/* One command of a CI job, as cg_ready_walk meets it. */
struct cg_ready_event {
	size_t item;			 /* index into the group's items */
	const struct cg_script *s;	 /* the script cmd is in (maybe nested);
					    NULL for a step without a script */
	const struct cg_sh_cmd *cmd;	 /* NULL: a `uses:` step */
	const struct cg_sh_andor *andor; /* the and-or list of cmd */
	/* it runs in the background: its and-or list ends with `&`, or it
	 * is inside one that does (`( ... ) &`). A background CHECK does
	 * not hold anything up, so callers usually do not count it. */
	bool background;
	/* in the script of a shell that runs in the background as one
	 * process (`sh -c "..." &`): the shell came first as an event of
	 * its own, a start; these are what it runs, in it (background is
	 * then about the inner script's own `&`). Callers that follow
	 * starts and checks skip them. */
	bool inner;
	enum cg_ready_kind kind;
	struct cg_ready_target target;
};

/* Is the failure of pipeline p of `ao` thrown away by what follows it:
 * `|| true`, `|| :`, `|| echo ...`, `|| printf ...`, `|| exit 0`? A
 * check whose failure is thrown away verifies nothing. */
bool cg_andor_swallows(const struct cg_sh_andor *ao, size_t p);

/* Return false to stop the walk. */
typedef bool (*cg_ready_fn)(void *ctx, const struct cg_ready_event *ev);

/*
 * Visit what the job of group `g` runs, in order: item by item (GitHub
 * steps, a GitLab job's one script), each script's commands in source
 * order. Into compound commands (if, case, loops, groups, subshells) it
 * goes, except for a polling loop, which is one CHECK event; the scripts a
 * command runs as a string (`bash -c '...'`, `eval '...'`) are visited in
 * its place (a shell in the background is one event, then its script's,
 * `inner`), and a call of a function defined in the script visits the
 * function's body there (definitions themselves run nothing). The command
 * substitutions of a simple command are visited before it. `ps ... |
 * grep` is one CHECK event (its first command). A step without a script
 * is one event with cmd NULL: CHECK when cg_ready_action_checks says so,
 * else USE. Conditions are not evaluated: both branches of an `if` are
 * visited, loops once.
 */
void cg_ready_walk(const struct cg_script_group *g, cg_ready_fn fn, void *ctx);

/*
 * cg_ready_walk of group `group` of the running rule's model, the same
 * events in the same order, walked once per check for all the rules that
 * ask (cg_rule_memo) and replayed to each.
 */
void cg_ready_walk_memo(struct cg_rule_ctx *rctx, size_t group, cg_ready_fn fn,
			void *ctx);

/*
 * The processes CI scripts of group `g` start in the background (process
 * rows with a parsed command), in order, into `out` (room for the group's
 * process rows: m->facts.nprocesses + 1 is always enough). Returns how
 * many.
 */
size_t cg_ready_group_starts(const struct cg_model *m, size_t g,
			     const struct cg_process_fact **out);

/*
 * Does some command of group `g` that is not in the background CHECK a
 * service of `kind` listening on one of `ports` (nports may be 0)? A check
 * whose target is not known (kind OTHER and port 0: a polling loop, a
 * wait-for script, `docker compose up --wait`) counts for every service;
 * one with a known kind or port counts when the kind is the same or one of
 * the ports is its port. For service-no-healthcheck ("a later step waits
 * for it").
 */
bool cg_ready_group_checks(const struct cg_script_group *g,
			   enum cg_service_kind kind, const unsigned *ports,
			   size_t nports);

/*
 * Does simple command `c` leave a process running when it returns? Yes in
 * a background and-or list (`background`: the event's flag), for `setsid
 * -f`/`--fork`, and for the `docker run -d` / `docker compose up -d`
 * (without --wait) that the model marks as background. `nohup cmd` and
 * `setsid cmd` alone do not: the shell waits for them (measured with bash
 * 5: the commands of a script are not process group leaders, so setsid
 * runs the command in place, and nohup only ignores SIGHUP), although the
 * model marks them as background.
 */
bool cg_ready_detached(const struct cg_sh_cmd *c, bool background);

/*
 * The process row (origin CI, background, in the group of `ev`'s script)
 * that event `ev` starts, or NULL: the row of its command, when
 * cg_ready_detached says it runs on. One per and-or list: for `cd app &&
 * python s.py > log 2>&1 &` the row of `python`, the first command of the
 * last pipeline (else the first that is not NEUTRAL). Not a start: a
 * command that is itself critical (`pytest tests/a &`, whose status is
 * masked-failure's business), NEUTRAL, SLEEP, CHECK or JOIN (`tail -f log
 * &`, `sleep 60 &`). `rows`/`nrows` are the candidate process rows (e.g.
 * those of the group).
 */
const struct cg_process_fact *
cg_ready_start(const struct cg_model *m, const struct cg_ready_event *ev,
	       const struct cg_process_fact *const *rows, size_t nrows);

#endif
