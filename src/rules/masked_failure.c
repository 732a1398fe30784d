/*
 * masked-failure: a critical command whose failure cannot fail the job.
 *
 * The script is walked in textual order with the shell's errexit state
 * (the step's shell, then `set -e`/`set +e`). For each and-or list that runs
 * a critical command we simulate what follows a failure:
 *   - `|| true`, `|| :`, `|| exit 0`, `|| echo ...` turn it into success;
 *   - errexit ignores a failure that is not the last pipeline of an and-or
 *     list (`pytest && echo ok` then another line: the script goes on);
 *   - with errexit off the failure is lost unless the command is the last
 *     of the script or the next command reads `$?`/PIPESTATUS.
 * `continue-on-error: true` on a step or job running one is reported at the
 * key.
 */
#include <stdlib.h>
#include <string.h>

#include "rules/critical.h"
#include "rules/shell_eval.h"
#include "core/banned.h"

static void report_or(struct cg_script_walk *w, const struct cg_sh_andor *ao,
		      size_t flip, const char *cmd_name)
{
	size_t start = ao->op_start[flip];
	size_t end =
	    ao->pipes[flip + 1].n
		? ao->pipes[flip + 1].cmds[ao->pipes[flip + 1].n - 1].end
		: ao->op_end[flip];
	char *text = cg_xstrndup(w->s->sh.text + start, end - start);
	char *subject = cg_xasprintf("%s %s", cmd_name, text);
	char *hint = cg_xasprintf("remove `%s`; a failing `%s` must fail "
				  "the job",
				  text, cmd_name);
	struct cg_pos pos = cg_script_pos(w->s, start, end);

	cg_report(w->ctx, w->s->src, &pos, subject, hint,
		  "failure of `%s` is swallowed by `%s`", cmd_name, text);
	free(text);
	free(subject);
	free(hint);
}

static void report_lost(struct cg_script_walk *w, const struct cg_sh_andor *ao,
			size_t p, const char *cmd_name)
{
	struct cg_pos pos;
	char *subject;

	if (w->st.errexit) {
		/* errexit on, but the failure sits before && */
		if (p + 1 >= ao->n)
			return;
		size_t start = ao->op_start[p], end = ao->op_end[p];

		pos = cg_script_pos(w->s, start, end);
		subject = cg_xasprintf("%s &&", cmd_name);
		cg_report(w->ctx, w->s->src, &pos, subject,
			  "put the command on its own line, or end the "
			  "list with `|| exit 1`",
			  "failure of `%s` does not stop the script: `set -e` "
			  "ignores a failure before `&&`, and the next "
			  "command runs",
			  cmd_name);
	} else if (w->st.off_by_set) {
		char *set = cg_xstrndup(w->s->sh.text + w->st.off_start,
					w->st.off_end - w->st.off_start);

		pos = cg_script_pos(w->s, w->st.off_start, w->st.off_end);
		subject = cg_xasprintf("%s %s", set, cmd_name);
		cg_report(w->ctx, w->s->src, &pos, subject,
			  "remove `set +e`, or keep the status and fail "
			  "with it: `rc=$?` ... `exit $rc`",
			  "`%s` turns off exit-on-error: failure of `%s` is "
			  "ignored and the script goes on",
			  set, cmd_name);
		free(set);
	} else if (w->shell->node || w->shell->by_script) {
		/* a `shell:` without -e, or a `bash -c '...'` in the script */
		bool nested = !w->shell->node;

		pos = nested
			  ? cg_script_pos(w->shell->by_script,
					  w->shell->by_start, w->shell->by_end)
			  : w->shell->node->pos;
		subject = cg_xasprintf(nested ? "%s %s" : "shell %s %s",
				       w->shell->describe, cmd_name);
		cg_report(w->ctx, w->shell->src, &pos, subject,
			  nested ? "give it -e (`bash -ec '...'`), or join the "
				   "commands with `&&`"
				 : "add -e to the shell (e.g. `bash -eo "
				   "pipefail {0}`), or use `shell: bash`",
			  nested ? "`%s` runs its script without -e: failure "
				   "of `%s` is ignored and the script goes on"
				 : "shell `%s` runs without -e: failure of "
				   "`%s` is ignored and the script goes on",
			  w->shell->describe, cmd_name);
	} else {
		return;
	}
	free(subject);
}

static void walk_list(struct cg_script_walk *w, const struct cg_sh_list *list,
		      bool last_observed, bool in_cond);

static bool is_word(const struct cg_sh_cmd *c, const char *word)
{
	return c->kind == CG_SH_SIMPLE && c->nwords &&
	       !strcmp(c->words[0].text, word);
}

/*
 * `pytest &`: its status reaches the script only through `wait PID` (or
 * `wait -n`). A bare `wait` returns 0 whatever the jobs returned, and
 * without any wait nobody looks at it.
 */
static void check_background(struct cg_script_walk *w,
			     const struct cg_sh_list *list, size_t i,
			     const struct cg_sh_cmd *cmd)
{
	struct cg_pos pos;
	char *subject;

	for (size_t j = i + 1; j < list->n; j++) {
		const struct cg_sh_andor *ao = &list->items[j];

		for (size_t p = 0; p < ao->n; p++)
			for (size_t c = 0; c < ao->pipes[p].n; c++) {
				const struct cg_sh_cmd *wc =
				    &ao->pipes[p].cmds[c];

				if (!is_word(wc, "wait"))
					continue;
				if (wc->nwords > 1)
					return; /* wait PID: status collected */
				pos = cg_script_pos(w->s, wc->start, wc->end);
				subject =
				    cg_xasprintf("%s & wait", w->name.buf);
				cg_report(
				    w->ctx, w->s->src, &pos, subject,
				    "keep the pid (`pid=$!`) and `wait "
				    "\"$pid\"`, which returns the job's "
				    "status",
				    "a bare `wait` returns 0 whatever `%s` "
				    "(started with `&`) returned",
				    w->name.buf);
				free(subject);
				return;
			}
	}
	pos = cg_script_pos(w->s, cmd->start, cmd->end);
	subject = cg_xasprintf("%s &", w->name.buf);
	cg_report(w->ctx, w->s->src, &pos, subject,
		  "run it in the foreground, or keep the pid (`pid=$!`) and "
		  "`wait \"$pid\"`",
		  "`%s` runs in the background (`&`) and nothing collects its "
		  "status",
		  w->name.buf);
	free(subject);
}

/*
 * `if pytest; then ...; fi`: a failing condition only picks the other
 * branch. When that branch (or its absence) ends in success, the failure is
 * gone: `if ! pytest; then echo failed; fi` passes whatever pytest does.
 */
static void check_if(struct cg_script_walk *w, const struct cg_sh_cmd *ifc)
{
	const struct cg_sh_list *cond = ifc->body[0], *branch;
	const struct cg_sh_andor *ao;
	const struct cg_sh_pipeline *pl;
	const struct cg_sh_cmd *cmd;
	enum cg_outcome out;
	struct cg_pos pos;
	char *subject;

	if (!cond || !cond->n)
		return;
	ao = &cond->items[cond->n - 1];
	if (ao->n != 1 || ao->background || ao->pipes[0].n != 1)
		return;
	pl = &ao->pipes[0];
	cmd = &pl->cmds[0];
	if (!cg_walk_runs_critical(w, cmd))
		return;
	branch = pl->negated ? ifc->body[1] : ifc->body[2];
	out = branch ? cg_eval_list(branch, w->st.errexit, CG_OUT_FAIL)
		     : CG_OUT_OK;
	if (out != CG_OUT_OK && out != CG_OUT_EXIT_OK)
		return;
	pos = cg_script_pos(w->s, cmd->start, cmd->end);
	subject = cg_xasprintf("if %s%s", pl->negated ? "! " : "", w->name.buf);
	cg_report(w->ctx, w->s->src, &pos, subject,
		  "end the failure branch with `exit 1`, or run the command "
		  "on its own line",
		  "failure of `%s` in an `if` condition only selects a branch, "
		  "and that branch lets the script succeed",
		  w->name.buf);
	free(subject);
}

/* Is a failure of pipeline p of `ao` (item i of `list`) seen by anyone? */
static bool failure_observed(struct cg_script_walk *w,
			     const struct cg_sh_list *list, size_t i, size_t p,
			     bool last_observed, struct cg_sim *sim)
{
	const struct cg_sh_andor *ao = &list->items[i];

	*sim = cg_sim_failure(ao, p, w->st.errexit);
	if (sim->outcome == CG_OUT_EXIT_FAIL || sim->outcome == CG_OUT_UNKNOWN)
		return true;
	if (sim->outcome != CG_OUT_FAIL)
		return false; /* turned into success: reported as `||` */
	if (w->st.errexit && sim->from_last)
		return true;
	if (i + 1 == list->n && last_observed)
		return true;
	if (i + 1 < list->n && cg_reads_status(w->s, list->items[i + 1].start,
					       list->items[i + 1].end))
		return true;
	return cg_reads_status(w->s, ao->start, ao->end);
}

static void check_andor(struct cg_script_walk *w, const struct cg_sh_list *list,
			size_t i, bool last_observed, bool in_cond)
{
	const struct cg_sh_andor *ao = &list->items[i];
	bool reported_or = false;

	for (size_t p = 0; p < ao->n; p++) {
		const struct cg_sh_pipeline *pl = &ao->pipes[p];
		struct cg_sim sim = {CG_OUT_UNKNOWN, -1, false};
		bool observed = true, simulated = false;

		for (size_t c = 0; c < pl->n; c++) {
			const struct cg_sh_cmd *cmd = &pl->cmds[c];
			bool in_pipe_tail = c + 1 == pl->n || w->st.pipefail;

			if (cmd->kind == CG_SH_SIMPLE) {
				if (cg_apply_set(cmd, &w->st))
					continue;
				if (!cg_walk_runs_critical(w, cmd))
					continue;
			} else if (cmd->kind == CG_SH_FUNCDEF) {
				walk_list(w, cmd->body[1], true, false);
				continue;
			} else {
				struct cg_shopts saved = w->st;
				bool body_obs;

				if (!simulated) {
					observed = failure_observed(
					    w, list, i, p, last_observed, &sim);
					simulated = true;
				}
				body_obs = observed && in_pipe_tail;

				if (cmd->kind == CG_SH_IF)
					check_if(w, cmd);
				if (cmd->kind == CG_SH_IF ||
				    cmd->kind == CG_SH_WHILE ||
				    cmd->kind == CG_SH_UNTIL)
					walk_list(w, cmd->body[0], true, true);
				for (size_t b = 1; b < 3; b++)
					walk_list(w, cmd->body[b],
						  cmd->kind == CG_SH_WHILE ||
							  cmd->kind ==
							      CG_SH_UNTIL ||
							  cmd->kind == CG_SH_FOR
						      ? false
						      : body_obs,
						  in_cond);
				if (cmd->kind == CG_SH_GROUP ||
				    cmd->kind == CG_SH_SUBSHELL)
					walk_list(w, cmd->body[0], body_obs,
						  in_cond);
				for (size_t a = 0; a < cmd->narms; a++)
					walk_list(w, cmd->arms[a], body_obs,
						  in_cond);
				if (cmd->kind == CG_SH_SUBSHELL)
					w->st = saved;
				if (!cg_critical_in_list(
					cmd->body[0], w->m->config, &w->name) &&
				    !cg_critical_in_list(
					cmd->body[1], w->m->config, &w->name) &&
				    !cg_critical_in_list(
					cmd->body[2], w->m->config, &w->name))
					continue;
				if (cmd->kind != CG_SH_GROUP &&
				    cmd->kind != CG_SH_SUBSHELL)
					continue;
			}
			/* a critical command (or a group running one); the
			 * simulation runs only here, so a long list of other
			 * commands stays linear */
			if (!simulated) {
				observed = failure_observed(
				    w, list, i, p, last_observed, &sim);
				simulated = true;
			}
			if (ao->background) {
				if (cmd->kind == CG_SH_SIMPLE && !in_cond)
					check_background(w, list, i, cmd);
				continue;
			}
			/* `|| true` swallows it even where a pipe without
			 * pipefail already does (pipe-masks-failure) */
			if (sim.outcome == CG_OUT_OK ||
			    sim.outcome == CG_OUT_EXIT_OK) {
				if (!reported_or && sim.flip_op >= 0) {
					report_or(w, ao, (size_t)sim.flip_op,
						  w->name.buf);
					reported_or = true;
				}
				continue;
			}
			if (!in_pipe_tail)
				continue; /* its status is lost in the pipe:
					     pipe-masks-failure says so */
			if (observed || in_cond || ao->background ||
			    cmd->kind != CG_SH_SIMPLE)
				continue;
			report_lost(w, ao, p, w->name.buf);
		}
	}
}

static void walk_list(struct cg_script_walk *w, const struct cg_sh_list *list,
		      bool last_observed, bool in_cond)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->n; i++)
		check_andor(w, list, i, last_observed, in_cond);
}

static void walk_script(struct cg_script_walk *w, bool last)
{
	walk_list(w, w->s->sh.top, last, false);
}

static void report_continue(struct cg_rule_ctx *ctx, const struct cg_src *src,
			    const struct cg_pair *coe, const char *what,
			    const char *cmd)
{
	struct cg_pos pos = coe->key->pos;
	char *subject = cg_xasprintf("continue-on-error %s %s", what, cmd);

	pos.end_line = coe->value->pos.end_line;
	pos.end_col = coe->value->pos.end_col;
	cg_report(ctx, src, &pos, subject,
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

static void check_gitlab(struct cg_rule_ctx *ctx, const struct cg_model *m,
			 struct cg_buf *name)
{
	for (size_t f = 0; f < m->ngitlab; f++)
		for (size_t j = 0; j < m->gitlab[f].njobs; j++) {
			const struct cg_gl_job *job = &m->gitlab[f].jobs[j];
			bool found = false;

			check_after_script(ctx, m, job, name);
			if (!job->nallow_failures)
				continue;
			for (size_t k = 0; k < job->nscripts && !found; k++)
				found = cg_critical_in_script(job->scripts[k],
							      m->config, name,
							      NULL) != NULL;
			if (!found)
				continue;
			/* the job's own allow_failure, then each rule's (a
			 * matching rule's replaces the job's) */
			for (size_t a = 0; a < job->nallow_failures; a++) {
				const struct cg_gl_allow_failure *af =
				    &job->allow_failures[a];
				const struct cg_pair *p = af->pair;
				const char *where =
				    af->rule ? " in a `rules:` entry" : "";
				struct cg_pos pos;
				char *subject;

				if (cg_scalar_bool(p->value) != 1)
					continue;
				pos = p->key->pos;
				pos.end_line = p->value->pos.end_line;
				pos.end_col = p->value->pos.end_col;
				subject = cg_xasprintf("allow_failure%s %s %s",
						       af->rule ? " rules" : "",
						       job->id, name->buf);
				cg_report(
				    ctx, af->src, &pos, subject,
				    "remove `allow_failure: true`, or "
				    "limit it to known exit codes with "
				    "`allow_failure: {exit_codes: [...]}`",
				    "`allow_failure: true`%s lets job '%s' "
				    "pass the pipeline when `%s` fails",
				    where, job->id, name->buf);
				free(subject);
			}
		}
}

static void check(struct cg_rule_ctx *ctx, const struct cg_model *m)
{
	struct cg_buf name = CG_BUF_INIT;
	cg_walk_scripts(ctx, m, walk_script);
	check_gitlab(ctx, m, &name);

	for (size_t wi = 0; wi < m->nworkflows; wi++) {
		const struct cg_gh_workflow *wf = &m->workflows[wi];

		for (size_t j = 0; j < wf->njobs; j++) {
			const struct cg_gh_job *job = &wf->jobs[j];
			const char *job_cmd = NULL;
			char *job_cmd_copy = NULL;

			for (size_t k = 0; k < job->nsteps; k++) {
				const struct cg_gh_step *st = &job->steps[k];
				const struct cg_pair *coe =
				    st->continue_on_error;

				bool coe_true =
				    coe && cg_scalar_bool(coe->value) == 1;

				if (!st->script || (!coe_true && job_cmd) ||
				    (!coe_true && !job->continue_on_error))
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

					report_continue(ctx, wf->src, coe, what,
							name.buf);
					free(what);
				}
			}
			if (job_cmd && job->continue_on_error &&
			    cg_scalar_bool(job->continue_on_error->value) ==
				1) {
				char *what = cg_xasprintf("job '%s'", job->id);

				report_continue(ctx, wf->src,
						job->continue_on_error, what,
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
    .layer = CG_LAYER_QUICK,
    .severity = CG_SEV_ERROR,
    .summary = "a critical command whose failure is swallowed",
    .explain = "A test run, a migration or ciguard itself must fail the CI job "
	       "when it fails. These constructs turn its failure into "
	       "success, so CI stays green while the tests are red:\n"
	       "\n"
	       "  `|| true`, `|| :`, `|| exit 0`, `|| echo ...` after it;\n"
	       "  `set +e` before it (or a custom `shell:` without -e), when "
	       "nothing reads its status afterwards and it is not the last "
	       "command;\n"
	       "  `cmd && other` followed by more commands: `set -e` ignores "
	       "a failure before `&&`;\n"
	       "  `continue-on-error: true` on the step or job that runs it;\n"
	       "  GitLab `allow_failure: true` on its job, or the command in "
	       "`after_script`, whose exit status GitLab ignores.\n"
	       "\n"
	       "A script handed to a new shell as a literal string (`bash -c "
	       "'...'`, `docker compose run app sh -c \"...\"`) is checked "
	       "too, as that shell runs it: without -e unless its flags say "
	       "`-e`, so `bash -c \"pytest; echo done\"` exits 0 when the "
	       "tests fail.\n"
	       "\n"
	       "Bad:\n"
	       "\n"
	       "    - run: pytest -q || true\n"
	       "    - run: |\n"
	       "        set +e\n"
	       "        pytest -q\n"
	       "        echo done\n"
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
