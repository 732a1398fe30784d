/*
 * masked-failure: a critical command whose failure cannot fail the job.
 *
 * Scripts are judged by rules/shell_flow.c: a critical command is masked
 * when, failing alone, it still leaves the CI shell exiting 0. This rule
 * reports where the failure was lost (the `|| true`, the `set +e`, the
 * condition, the call, the bare `wait`, ...); a loss in a pipe is
 * pipe-masks-failure's. The CI's own keys are read here too:
 * `continue-on-error: true` (GitHub), `allow_failure` and after_script
 * (GitLab), at the key.
 */
#include <stdlib.h>
#include <string.h>

#include "rules/critical.h"
#include "rules/shell_flow.h"
#include "core/banned.h"

/* The text of script bytes [start, end), for messages. */
static char *script_text(const struct cg_script *s, size_t start, size_t end)
{
	if (end > s->sh.len)
		end = s->sh.len;
	if (start > end)
		start = end;
	return cg_xstrndup(s->sh.text + start, end - start);
}

/* One finding per place a failure is lost, for the first command lost
 * there (a `set +e` before five test runs is one mistake). */
struct seen {
	const struct cg_script *s;
	size_t start;
	enum cg_loss_kind kind;
};

struct script_ctx {
	struct cg_rule_ctx *ctx;
	struct cg_flow *flow;
	struct seen *seen;
	size_t nseen, alloc;
};

static bool seen_before(struct script_ctx *sc, const struct cg_loss *l)
{
	for (size_t i = 0; i < sc->nseen; i++)
		if (sc->seen[i].s == l->s && sc->seen[i].start == l->start &&
		    sc->seen[i].kind == l->kind)
			return true;
	CG_GROW(sc->seen, sc->alloc, sc->nseen + 1);
	sc->seen[sc->nseen].s = l->s;
	sc->seen[sc->nseen].start = l->start;
	sc->seen[sc->nseen++].kind = l->kind;
	return false;
}

static void report_at(struct script_ctx *sc, const struct cg_script *s,
		      size_t start, size_t end, const char *subject,
		      const char *hint, const char *message)
{
	struct cg_pos pos = cg_script_pos(s, start, end);

	cg_report(sc->ctx, cg_script_src(s, start), &pos, subject, hint, "%s",
		  message);
}

/* errexit was off: by `set +e`, or the shell never had -e */
static void report_errexit_off(struct script_ctx *sc,
			       const struct cg_masked *mk)
{
	const struct cg_loss *l = &mk->loss;
	const struct cg_shell *sh = l->shell;
	char *subject, *msg;

	if (!sh) {
		char *set = script_text(l->s, l->start, l->end);

		subject = cg_xasprintf("%s %s", set, mk->name);
		msg = cg_xasprintf("`%s` turns off exit-on-error: failure of "
				   "`%s` is ignored and the script goes on",
				   set, mk->name);
		report_at(sc, l->s, l->start, l->end, subject,
			  "remove `set +e`, or keep the status and fail with "
			  "it: `rc=$?` ... `exit $rc`",
			  msg);
		free(set);
	} else if (sh->by_script && !strcmp(sh->describe, "$(...)")) {
		struct cg_pos pos =
		    cg_script_pos(sh->by_script, sh->by_start, sh->by_end);

		subject = cg_xasprintf("$(...) %s", mk->name);
		msg = cg_xasprintf("bash runs `$(...)` without -e (unless "
				   "`shopt -s inherit_errexit`): failure of "
				   "`%s` inside it is ignored and the next "
				   "command in it decides",
				   mk->name);
		cg_report(sc->ctx, cg_script_src(sh->by_script, sh->by_start),
			  &pos, subject,
			  "run the command on its own line, or add `shopt -s "
			  "inherit_errexit`",
			  "%s", msg);
	} else if (sh->by_script) {
		struct cg_pos pos =
		    cg_script_pos(sh->by_script, sh->by_start, sh->by_end);

		subject = cg_xasprintf("%s %s", sh->describe, mk->name);
		msg = cg_xasprintf("`%s` runs its script without -e: failure "
				   "of `%s` is ignored and the script goes on",
				   sh->describe, mk->name);
		cg_report(sc->ctx, cg_script_src(sh->by_script, sh->by_start),
			  &pos, subject,
			  sh->by_c
			      ? "give it -e (`bash -ec '...'`), or join the "
				"commands with `&&`"
			      : "give it -e (`bash -e <<'EOF'`), or join the "
				"commands with `&&`",
			  "%s", msg);
	} else if (sh->node) {
		subject = cg_xasprintf("shell %s %s", sh->describe, mk->name);
		msg = cg_xasprintf("shell `%s` runs without -e: failure of "
				   "`%s` is ignored and the script goes on",
				   sh->describe, mk->name);
		cg_report(sc->ctx, sh->src, &sh->node->pos, subject,
			  "add -e to the shell (e.g. `bash -eo pipefail {0}`), "
			  "or use `shell: bash`",
			  "%s", msg);
	} else {
		return;
	}
	free(subject);
	free(msg);
}

static void report_masked(void *data, const struct cg_masked *mk)
{
	struct script_ctx *sc = data;
	const struct cg_loss *l = &mk->loss;
	char *text = NULL, *subject = NULL, *msg = NULL, *hint = NULL;

	if (l->kind == CG_LOSS_PIPE || seen_before(sc, l))
		return; /* pipes: pipe-masks-failure */
	switch (l->kind) {
	case CG_LOSS_OR:
		text = script_text(l->s, l->start, l->end);
		subject = cg_xasprintf("%s %s", mk->name, text);
		hint = cg_xasprintf("remove `%s`; a failing `%s` must fail "
				    "the job",
				    text, mk->name);
		msg = cg_xasprintf("failure of `%s` is swallowed by `%s`",
				   mk->name, text);
		break;
	case CG_LOSS_AND:
		subject = cg_xasprintf("%s &&", mk->name);
		hint = cg_xstrdup("put the command on its own line, or end "
				  "the list with `|| exit 1`");
		msg = cg_xasprintf("failure of `%s` does not stop the script: "
				   "`set -e` ignores a failure before `&&`, "
				   "and the next command runs",
				   mk->name);
		break;
	case CG_LOSS_ERREXIT_OFF:
		report_errexit_off(sc, mk);
		return;
	case CG_LOSS_COND:
		text = script_text(l->s, l->start, l->end);
		subject = cg_xasprintf("%s %s", l->what, mk->name);
		hint = cg_xstrdup("end the failure branch with `exit 1`, or "
				  "run the command on its own line");
		msg = cg_xasprintf("failure of `%s` in %s `%s` condition "
				   "only selects a branch, and that branch "
				   "lets the script succeed",
				   mk->name, l->what[0] == 'w' ? "a" : "an",
				   l->what);
		break;
	case CG_LOSS_NOT:
		text = script_text(l->s, l->start, l->end);
		subject = cg_xasprintf("! %s", mk->name);
		hint = cg_xstrdup("remove `!`, or fail explicitly: `if ! cmd; "
				  "then exit 1; fi`");
		msg = cg_xasprintf("`!` turns failure of `%s` into success",
				   mk->name);
		break;
	case CG_LOSS_IGNORED:
		text = script_text(l->s, l->start, l->end);
		if (l->call) {
			subject = cg_xasprintf("call %s %s", text, mk->name);
			hint = cg_xasprintf(
			    "call `%s` on its own line, or end each command "
			    "in it with `|| return 1`",
			    text);
			msg = cg_xasprintf(
			    "`%s` runs as a condition (`%s`), where bash "
			    "ignores `set -e` inside it: failure of `%s` in "
			    "it is lost when a later command succeeds",
			    text, l->what ? l->what : "if", mk->name);
		} else {
			subject = cg_xasprintf(
			    "compound %s %s", l->what ? l->what : "", mk->name);
			hint = cg_xstrdup("end each command inside with `|| "
					  "exit 1`, or run them on their own "
					  "lines");
			msg = cg_xasprintf(
			    "bash ignores `set -e` inside a `( ... )` or `{ "
			    "... }` that runs as a condition (`%s`): failure "
			    "of `%s` in it is lost when a later command "
			    "succeeds",
			    l->what ? l->what : "if", mk->name);
		}
		break;
	case CG_LOSS_BACKGROUND:
		if (mk->loss.what && !strcmp(mk->loss.what, "&>")) {
			subject = cg_xasprintf("%s &>", mk->name);
			hint = cg_xstrdup("write `> FILE 2>&1`, which sh "
					  "reads too, or run the script with "
					  "bash");
			msg = cg_xasprintf(
			    "sh (dash) has no `&>`: it runs `%s &` in the "
			    "background, then `> FILE`, and nothing collects "
			    "the status of `%s`",
			    mk->name, mk->name);
			break;
		}
		subject = cg_xasprintf("%s &", mk->name);
		hint = cg_xstrdup("run it in the foreground, or keep the pid "
				  "(`pid=$!`) and `wait \"$pid\"`");
		msg = cg_xasprintf("`%s` runs in the background (`&`) and "
				   "nothing collects its status",
				   mk->name);
		break;
	case CG_LOSS_WAIT:
		subject = cg_xasprintf("%s & wait", mk->name);
		hint = cg_xstrdup("keep the pid (`pid=$!`) and `wait "
				  "\"$pid\"`, which returns the job's status");
		msg = cg_xasprintf("a bare `wait` returns 0 whatever `%s` "
				   "(started with `&`) returned",
				   mk->name);
		break;
	case CG_LOSS_WAIT_LAST:
		subject = cg_xasprintf("%s & wait pids", mk->name);
		hint = cg_xstrdup("wait for each pid on its own (`wait "
				  "\"$p1\"`, then `wait \"$p2\"`): each "
				  "failing wait then fails the script");
		msg = cg_xasprintf("`wait` given several pids returns the "
				   "last one's status only: a failure of `%s` "
				   "(started with `&`) before it is lost",
				   mk->name);
		break;
	case CG_LOSS_FIND:
		subject = cg_xasprintf("find -exec %s", mk->name);
		hint = cg_xstrdup("end -exec with `+` (find then fails when "
				  "the command does), or use `xargs`");
		msg =
		    cg_xasprintf("`find -exec ... \\;` ignores the exit status "
				 "of `%s`: find succeeds when it fails",
				 mk->name);
		break;
	case CG_LOSS_SCRIPT:
		subject = cg_xasprintf("script -c %s", mk->name);
		hint = cg_xstrdup("add -e (--return): `script -e -c ...` "
				  "exits with the command's status");
		msg = cg_xasprintf("`script -c` exits 0 whatever the command "
				   "returns: a failure of `%s` inside it is "
				   "lost",
				   mk->name);
		break;
	case CG_LOSS_SUBST:
		subject = cg_xasprintf("subst %s", mk->name);
		hint = cg_xstrdup("assign it alone (`out=$(cmd)`, then use "
				  "`$out`), or run the command on its own "
				  "line");
		msg = cg_xasprintf("`%s` fails inside `$(...)`, but the "
				   "command around it sets the status: its "
				   "failure is lost",
				   mk->name);
		break;
	case CG_LOSS_CODE:
		subject = cg_xasprintf("code %s", mk->name);
		hint = cg_xstrdup("fail on every non-zero status (`[ $rc -ne 0 "
				  "]`), allowing only the codes you mean to");
		msg = cg_xasprintf("this test of the exit status lets `%s` "
				   "fail with exit code %d and the script "
				   "pass",
				   mk->name, l->code);
		break;
	case CG_LOSS_PROCSUB:
		subject = cg_xasprintf("procsub %s", mk->name);
		hint = cg_xstrdup("run the command on its own line, its "
				  "output to a file (`cmd > out.txt`), and "
				  "read the file");
		msg = cg_xasprintf("`%s` fails inside a process substitution "
				   "`%.2s...)`, whose exit status bash never "
				   "checks: its failure is lost",
				   mk->name, l->s->sh.text + l->start);
		break;
	case CG_LOSS_TRAP:
		subject = cg_xasprintf("trap %s", mk->name);
		hint =
		    l->expanded
			? cg_xstrdup("quote the action with single quotes "
				     "(`trap '...; exit $?' EXIT`): in double "
				     "quotes its `$` are expanded when `trap` "
				     "runs")
			: cg_xasprintf("end the %s trap without `exit 0`, "
				       "or with `exit $?`",
				       l->what ? l->what : "EXIT");
		msg = cg_xasprintf("the %s trap exits 0: failure of `%s` "
				   "becomes success",
				   l->what ? l->what : "EXIT", mk->name);
		break;
	case CG_LOSS_EXPANDED:
		text = script_text(l->s, l->start, l->end);
		subject = cg_xasprintf("exit %s %s", text, mk->name);
		hint = cg_xstrdup("keep `$` for the inner shell: quote the "
				  "here-document's delimiter (`<<'EOF'`), put "
				  "the `-c` script in single quotes, or write "
				  "`\\$?`");
		msg = cg_xasprintf("the outer shell expanded `%s` before this "
				   "script ran: `exit` gets its status, not "
				   "the failure of `%s`",
				   text, mk->name);
		break;
	default:
		return;
	}
	report_at(sc, l->s, l->start, l->end, subject, hint, msg);
	free(text);
	free(subject);
	free(msg);
	free(hint);
}

static void check_script(void *data, const struct cg_script *s,
			 const struct cg_shell *shell,
			 const struct cg_script_at *at)
{
	struct script_ctx *sc = data;

	sc->nseen = 0;
	cg_flow_check(sc->flow, s, shell, at, cg_rule_model(sc->ctx)->config,
		      report_masked, sc);
}

static void report_continue(struct cg_rule_ctx *ctx, const struct cg_src *src,
			    const struct cg_gh_continue *coe, const char *what,
			    const char *cmd)
{
	char *subject = cg_xasprintf("continue-on-error %s %s", what, cmd);

	cg_report(ctx, src, &coe->pos, subject,
		  "remove `continue-on-error: true`; if the step is known to "
		  "be flaky, fix or quarantine the test instead",
		  "`continue-on-error: true` lets %s pass when `%s` fails",
		  what, cmd);
	free(subject);
}

/*
 * GitLab ignores how after_script ends (gitlab-org/gitlab#21008): a test
 * run there can never fail its job. One finding per command, however many
 * jobs share it through `default:` or a template.
 */
static void check_after_script(struct cg_rule_ctx *ctx,
			       const struct cg_model *m,
			       const struct cg_gl_job *job, struct cg_buf *name)
{
	for (size_t k = 0; k < job->nafter; k++) {
		const struct cg_script *where = NULL;
		const struct cg_sh_cmd *cmd = cg_critical_in_script(
		    job->after[k], m->config, name, &where);
		struct cg_pos pos;
		char *subject;

		if (!cmd)
			continue;
		pos = cg_script_pos(where, cmd->start, cmd->end);
		subject = cg_xasprintf("after_script %s", name->buf);
		cg_report(ctx, where->src, &pos, subject,
			  "move it to `script:`; after_script is for cleanup",
			  "`%s` runs in `after_script`, whose exit status "
			  "GitLab ignores: its failure never fails the job",
			  name->buf);
		free(subject);
	}
}

/*
 * GitLab `allow_failure: {exit_codes: [...]}` lets the job fail with those
 * codes only. pytest exits 0 when all tests passed, 1 when tests failed,
 * 2 when interrupted, 3 on an internal error, 4 on a usage error and 5
 * when no tests were collected (docs.pytest.org, "Exit codes"): 1 to 4
 * are failures a job must not pass with; 5 may be meant. Most other tools
 * exit 1 when they fail; those below do not (each run to see: GNU make
 * exits 2 when a recipe fails, cargo test 101, ctest 8).
 */
static const char *const pytest_exit_when[] = {
    NULL, "when tests fail", "when interrupted", "on an internal error",
    "on a usage error"};
static const char *const pytest_exit_short[] = {
    "all passed",     "tests failed", "interrupted",
    "internal error", "usage error",  "no tests collected"};

static const struct {
	const char *name; /* a critical command's display name */
	bool prefix;	  /* ... or its start */
	int code;
	const char *when;
} failure_exits[] = {
    {"make ", true, 2, "when a recipe fails"},
    {"cargo test", false, 101, "when a test fails"},
    {"ctest", false, 8, "when a test fails"},
};

static bool is_pytest(const char *name)
{
	return !strcmp(name, "pytest") || !strcmp(name, "py.test") ||
	       cg_ends_with(name, " -m pytest");
}

/* The code critical command `name` (not pytest) exits with when it
 * fails, and why (NULL: the common 1) */
static int failure_exit(const char *name, const char **when)
{
	*when = NULL;
	for (size_t i = 0; i < sizeof(failure_exits) / sizeof(*failure_exits);
	     i++)
		if (failure_exits[i].prefix
			? cg_starts_with(name, failure_exits[i].name)
			: !strcmp(name, failure_exits[i].name)) {
			*when = failure_exits[i].when;
			return failure_exits[i].code;
		}
	return 1;
}

/* Does exit code `code` mean that critical command `name` failed? */
static bool failure_code(const char *name, int code)
{
	const char *when;

	if (is_pytest(name))
		return code >= 1 && code <= 4;
	return code == failure_exit(name, &when);
}

static void report_exit_codes(struct cg_rule_ctx *ctx,
			      const struct cg_gl_job *job,
			      const struct cg_gl_allow_failure *af,
			      const char *name)
{
	struct cg_buf codes = CG_BUF_INIT, why = CG_BUF_INIT;
	bool list = af->codes_list, first = true;
	char *subject, *hint;

	for (size_t i = 0; i < af->ncodes; i++)
		cg_buf_addf(&codes, "%s%d", i ? ", " : "", af->codes[i]);
	if (is_pytest(name)) {
		/* "pytest exits 1 when tests fail (2 interrupted, ...)" */
		bool swallowed[6] = {false};

		for (size_t i = 0; i < af->ncodes; i++)
			if (af->codes[i] >= 1 && af->codes[i] <= 4)
				swallowed[af->codes[i]] = true;
		cg_buf_addstr(&why, "pytest exits");
		for (int c = 1; c <= 4; c++)
			if (swallowed[c]) {
				cg_buf_addf(&why, "%s %d %s", first ? "" : ",",
					    c, pytest_exit_when[c]);
				first = false;
			}
		first = true;
		for (int c = 1; c <= 5; c++)
			if (!swallowed[c]) {
				cg_buf_addf(&why, "%s%d %s",
					    first ? " (" : ", ", c,
					    pytest_exit_short[c]);
				first = false;
			}
		cg_buf_addch(&why, ')');
	} else {
		const char *when;
		int code = failure_exit(name, &when);

		if (when)
			cg_buf_addf(&why, "`%s` exits %d %s", name, code, when);
		else
			cg_buf_addf(&why,
				    "`%s`, like most tools, exits 1 when it "
				    "fails",
				    name);
	}
	subject = cg_xasprintf("allow_failure%s exit_codes %s %s",
			       af->rule ? " rules" : "", job->id, name);
	hint = cg_xasprintf("keep only exit codes that do not mean `%s` "
			    "failed (137: the job was killed); a failing "
			    "`%s` must fail the job",
			    name, name);
	cg_report(ctx, af->src, &af->exit_codes_pos, subject, hint,
		  "`allow_failure: exit_codes: %s%s%s`%s lets job '%s' pass "
		  "the pipeline when `%s` fails: %s",
		  list ? "[" : "", codes.buf, list ? "]" : "",
		  af->rule ? " in a `rules:` entry" : "", job->id, name,
		  why.buf);
	free(subject);
	free(hint);
	cg_buf_release(&codes);
	cg_buf_release(&why);
}

/*
 * `allow_failure:` of a GitLab job that runs a critical command, at the
 * job or in a `rules:` entry (a matching rule's replaces the job's): `true`
 * passes every failure; `exit_codes` that hold the command's failure code
 * pass exactly that failure. Only where GitLab can use it: not in an entry
 * that no pipeline reaches or that says `when: never`, nor at the job when
 * every entry that can match has its own.
 */
static void check_gitlab(struct cg_rule_ctx *ctx, const struct cg_model *m,
			 struct cg_buf *name)
{
	for (size_t f = 0; f < m->ngitlab; f++)
		for (size_t j = 0; j < m->gitlab[f].njobs; j++) {
			const struct cg_gl_job *job = &m->gitlab[f].jobs[j];

			check_after_script(ctx, m, job, name);
			for (size_t a = 0; a < job->nallow_failures; a++) {
				const struct cg_gl_allow_failure *af =
				    &job->allow_failures[a];
				bool always = af->value == CG_GL_ALLOW_TRUE;
				char *subject;
				size_t k = 0;

				if (!af->effective || (!always && !af->ncodes))
					continue;
				/* the first critical command that fails with
				 * one of the codes, or any for `true` */
				for (; k < job->nscripts; k++) {
					bool swallowed = always;

					if (!cg_critical_in_script(
						job->scripts[k], m->config,
						name, NULL))
						continue;
					for (size_t c = 0; c < af->ncodes; c++)
						swallowed |= failure_code(
						    name->buf, af->codes[c]);
					if (swallowed)
						break;
				}
				if (k == job->nscripts)
					continue;
				if (!always) {
					report_exit_codes(ctx, job, af,
							  name->buf);
					continue;
				}
				if (af->manual) {
					subject =
					    cg_xasprintf("when manual %s %s",
							 job->id, name->buf);
					cg_report(
					    ctx, af->src, &af->pos, subject,
					    "add `allow_failure: false` to the "
					    "job, so that its failure fails "
					    "the pipeline",
					    "`when: manual` makes "
					    "`allow_failure` default to true: "
					    "job '%s' passes the pipeline when "
					    "`%s` fails",
					    job->id, name->buf);
					free(subject);
					continue;
				}
				subject = cg_xasprintf("allow_failure%s %s %s",
						       af->rule ? " rules" : "",
						       job->id, name->buf);
				cg_report(
				    ctx, af->src, &af->pos, subject,
				    "remove `allow_failure: true`, or "
				    "limit it to known exit codes with "
				    "`allow_failure: {exit_codes: [...]}`",
				    "`allow_failure: true`%s lets job '%s' "
				    "pass the pipeline when `%s` fails",
				    af->rule ? " in a `rules:` entry" : "",
				    job->id, name->buf);
				free(subject);
			}
		}
}

/*
 * A GitLab job that triggers a child pipeline without `strategy: depend`
 * (or `mirror`) succeeds once the child pipeline is created, so the
 * parent pipeline passes however the child ends: a critical command of
 * the child fails nothing the merge request waits for.
 */
static void check_triggers(struct cg_rule_ctx *ctx, const struct cg_model *m,
			   struct cg_buf *name)
{
	for (size_t p = 1; p < m->ngitlab_pipelines; p++) {
		const struct cg_gl_pipeline *pl = &m->gitlab_pipelines[p];
		const struct cg_script *where = NULL;
		const struct cg_sh_cmd *cmd = NULL;
		char *subject;

		if (pl->depend || !pl->trigger_src)
			continue;
		for (size_t f = 0; f < m->ngitlab && !cmd; f++) {
			if (m->gitlab[f].pipeline != p)
				continue;
			for (size_t j = 0; j < m->gitlab[f].njobs && !cmd; j++)
				if (m->gitlab[f].jobs[j].script)
					cmd = cg_critical_in_script(
					    m->gitlab[f].jobs[j].script,
					    m->config, name, &where);
		}
		if (!cmd || !where)
			continue;
		{
			struct cg_pos at =
			    cg_script_pos(where, cmd->start, cmd->end);
			const struct cg_src *src =
			    cg_script_src(where, cmd->start);

			subject = cg_xasprintf("trigger %s %s", pl->trigger_job,
					       name->buf);
			cg_report(ctx, pl->trigger_src, &pl->trigger_pos,
				  subject,
				  "add `strategy: depend` under `trigger:`: "
				  "the job then waits for the child "
				  "pipeline and fails with it",
				  "job '%s' triggers the child pipeline of %s "
				  "without `strategy: depend`: it passes as "
				  "soon as that pipeline is created, so when "
				  "`%s` fails there (%s:%u) this pipeline "
				  "still passes",
				  pl->trigger_job,
				  m->gitlab[pl->root].src->path, name->buf,
				  src ? src->path : "?", (unsigned)at.line);
			free(subject);
		}
	}
}

static void check(struct cg_rule_ctx *ctx, const struct cg_model *m)
{
	struct cg_buf name = CG_BUF_INIT;
	struct script_ctx sc = {ctx, cg_flow_new(), NULL, 0, 0};

	cg_flow_each_script(m, check_script, &sc);
	cg_flow_free(sc.flow);
	free(sc.seen);
	check_gitlab(ctx, m, &name);
	check_triggers(ctx, m, &name);

	for (size_t wi = 0; wi < m->nworkflows; wi++) {
		const struct cg_gh_workflow *wf = &m->workflows[wi];

		for (size_t j = 0; j < wf->njobs; j++) {
			const struct cg_gh_job *job = &wf->jobs[j];
			const char *job_cmd = NULL;
			char *job_cmd_copy = NULL;
			bool job_coe_true =
			    job->continue_on_error.value == CG_GH_CONTINUE_TRUE;

			for (size_t k = 0; k < job->nsteps; k++) {
				const struct cg_gh_step *st = &job->steps[k];
				bool coe_true = st->continue_on_error.value ==
						CG_GH_CONTINUE_TRUE;

				if (!st->script || (!coe_true && job_cmd) ||
				    (!coe_true && !job_coe_true))
					continue;
				if (!cg_critical_in_script(
					st->script, m->config, &name, NULL))
					continue;
				if (!job_cmd)
					job_cmd = job_cmd_copy =
					    cg_xstrdup(name.buf);
				/* a later step fails the job when this one
				 * failed: the failure is not lost */
				if (coe_true && !st->reraised_by) {
					char *what = cg_xasprintf(
					    "step '%s'",
					    cg_node_is_scalar(st->name)
						? st->name->str
						: name.buf);

					report_continue(ctx, wf->src,
							&st->continue_on_error,
							what, name.buf);
					free(what);
				}
			}
			if (job_cmd && job_coe_true) {
				char *what = cg_xasprintf("job '%s'", job->id);

				report_continue(ctx, wf->src,
						&job->continue_on_error, what,
						job_cmd);
				free(what);
			}
			free(job_cmd_copy);
		}
	}
	cg_buf_release(&name);
}

const struct cg_rule cg_rule_masked_failure = {
    .id = "masked-failure",
    .weight = 3,
    .layer = CG_LAYER_QUICK,
    .severity = CG_SEV_ERROR,
    .summary = "a critical command whose failure is swallowed",
    .explain =
	"A test run, a migration or ciguard itself must fail the CI job when "
	"it fails. ciguard runs each CI script the way its shell does "
	"(GitHub's `bash -e {0}` by default, `sh -e {0}` in a container, "
	"`shell: bash`, `sh` or a custom "
	"template; GitLab's one bash script of before_script and script items, "
	"started with `set -o pipefail; set -o errexit`) and asks, for each "
	"critical "
	"command: when it fails and everything else succeeds, does the script "
	"still exit 0? A command that can run more than once (a function, "
	"a loop) is asked that for each of its first four runs. "
	"If it does, the finding points where the failure is "
	"lost:\n"
	"\n"
	"  `|| true`, `|| :`, `|| exit 0`, `|| echo ...`, `|| cat log`: "
	"anything after `||` that succeeds (`|| exit 1`, `|| false`, `|| { "
	"...; exit 1; }`, `|| return 1` fail the job and are fine);\n"
	"  `set +e`, or a shell without -e (a `shell:`, `bash -c`, `bash "
	"<<EOF`), when the status is not tested afterwards: `rc=$?` ... `exit "
	"$rc` and `if [ $? -ne 0 ]; then exit 1; fi` are fine, `echo "
	"\"exit=$?\"` is not, nor `[ $rc -eq 1 ] && exit 1` (pytest also "
	"fails with 2);\n"
	"  `cmd && other` with more commands after it: `set -e` ignores a "
	"failure before `&&`;\n"
	"  an `if`, `while` or `until` condition whose failure branch lets the "
	"script succeed, and `! cmd`;\n"
	"  a function, `( ... )` or `{ ... }` run as a condition "
	"(`run_tests || exit 1`, `(cd api && pytest; cd ..) || exit 1`): bash "
	"ignores `set -e` inside it, so a later command in it hides the "
	"failure;\n"
	"  `find -exec cmd {} \\;`, whose status ignores cmd's (`+` is "
	"fine), and `script -c cmd` without -e;\n"
	"  `done < <(cmd)`, `diff <(cmd) f`: no one reads the status of a "
	"process substitution;\n"
	"  `cmd &` that nothing waits for, a bare `wait`, `wait P1 P2` (the "
	"last pid's status only), or `wait -n` while another job may end "
	"first (`wait \"$pid\"` is fine);\n"
	"  a bare `wait` after a readiness check started with `&` "
	"(`./wait-for-db.sh &`, `curl -f .../health &`): its failure is "
	"dropped too;\n"
	"  an EXIT or ERR trap that exits 0 (also `trap \"...; exit $?\" "
	"EXIT`: `$?` expands when `trap` runs);\n"
	"  `$?` in text the outer shell expands first (`bash <<EOF`, `bash -c "
	"\"...\"`): the outer shell's;\n"
	"  `continue-on-error: true` on the step or job, unless a later step "
	"re-raises it (`id:` on the step, then `if: steps.ID.outcome == "
	"'failure'` with `run: exit 1`);\n"
	"  GitLab `allow_failure: true` on the job or in a `rules:` entry that "
	"can apply, `allow_failure: exit_codes` holding the command's failure "
	"code (pytest: 1 to 4), a job's own `when: manual` (allow_failure "
	"then true), the command in `after_script`, whose exit status "
	"GitLab ignores, or in a child pipeline triggered without "
	"`strategy: depend`.\n"
	"\n"
	"Scripts inside a script are followed where they run: `bash -c '...'` "
	"and `sh -c \"...\"` strings, "
	"here-documents fed to a shell (`bash <<'EOF'`), `eval '...'`, trap "
	"handlers, command substitutions (`x=$(pytest)` keeps the status, "
	"`echo \"$(pytest)\"` and `local x=$(pytest)` lose it; bash runs "
	"`$(...)` without -e, dash with it), and function bodies where they "
	"are called; an `sh` script is read as dash reads it. Wrappers are "
	"looked through (`uv run`, `timeout`, "
	"`xargs`, "
	"`docker compose run`, `docker run IMAGE`, `kubectl exec POD --`, and "
	"functions that run `\"$@\"`, such as a `retry` helper); `command -v "
	"pytest` and `pytest --version` run no "
	"test. Composite actions (`action.yml` with `runs.using: composite`) "
	"are checked like workflow steps.\n"
	"\n"
	"Not checked, never guessed: scripts in pwsh, powershell, cmd or "
	"python (a `run:` step on `runs-on: windows-*` runs in pwsh unless a "
	"`shell:` says otherwise; ciguard notes them), "
	"files a script sources or runs (`./ci/test.sh`), "
	"positional parameters other than `\"$@\"`, a loop's rounds after the "
	"third, and GitHub "
	"`if:` expressions other than the re-raise above. Unknown commands "
	"are taken to succeed; a helper named like `die` or `fail` may exit, "
	"so it is not judged.\n"
	"\n"
	"Bad:\n"
	"\n"
	"    - run: pytest -q || true\n"
	"    - run: |\n"
	"        set +e\n"
	"        pytest -q\n"
	"        echo \"exit=$?\"\n"
	"\n"
	"Good:\n"
	"\n"
	"    - run: pytest -q\n"
	"    - run: |\n"
	"        set +e\n"
	"        pytest -q; rc=$?\n"
	"        ./collect-logs.sh\n"
	"        exit $rc\n",
    .hint = "let a failing critical command fail the job",
    .check = check,
};
