/*
 * pipe-masks-failure: `pytest | tee log` where the shell has no pipefail. A
 * pipeline's status is its last command's, so the test failure disappears.
 * The shell's pipefail comes from the step's shell (GitHub's default
 * `bash -e {0}` has none; `shell: bash` has it) and `set -o pipefail`.
 */
#include <stdlib.h>
#include <string.h>

#include "rules/critical.h"
#include "core/banned.h"

static void walk_list(struct cg_script_walk *w, const struct cg_sh_list *list);

static const char *first_word(const struct cg_sh_cmd *c)
{
	if (c->kind == CG_SH_SIMPLE && c->nwords)
		return c->words[0].text;
	return "a command";
}

static void check_pipe(struct cg_script_walk *w, const struct cg_sh_list *list,
		       size_t i, size_t p)
{
	const struct cg_sh_andor *ao = &list->items[i];
	const struct cg_sh_pipeline *pl = &ao->pipes[p];

	for (size_t c = 0; c + 1 < pl->n; c++) {
		const struct cg_sh_cmd *cmd = &pl->cmds[c];
		const struct cg_sh_cmd *last = &pl->cmds[pl->n - 1];
		struct cg_pos pos;
		char *subject, *hint;
		char *how;

		if (!cg_walk_runs_critical(w, cmd) &&
		    (cmd->kind == CG_SH_SIMPLE ||
		     !cg_critical_in_list(cmd->body[0], w->m->config,
					  &w->name)))
			continue;
		if (w->st.pipefail)
			return;
		/* ${PIPESTATUS[0]} read right after: handled by hand */
		if (cg_reads_status(w->s, pl->cmds[0].start, ao->end) ||
		    (i + 1 < list->n &&
		     cg_reads_status(w->s, list->items[i + 1].start,
				     list->items[i + 1].end)))
			return;
		pos = cg_script_pos(w->s, pl->pipe_start[c],
				    pl->pipe_start[c] + 1);
		subject =
		    cg_xasprintf("%s | %s", w->name.buf, first_word(last));
		if (w->shell
			->pipefail) /* on at the start: a set turned it off */
			how = cg_xstrdup("after `set +o pipefail`");
		else if (w->shell->node)
			how = cg_xasprintf("`shell: %s`", w->shell->node->str);
		else if (w->shell->by_script)
			how = cg_xasprintf("`%s`", w->shell->describe);
		else
			how = cg_xasprintf("%s", w->shell->describe);
		hint = cg_xasprintf(
		    "%s", w->shell->pipefail
			      ? "keep pipefail on for the pipeline"
			  : cg_scalar_eq(w->shell->node, "sh")
			      ? "use `shell: bash` (sh may be dash, which "
				"has no pipefail)"
			  : w->shell->node
			      ? "add `set -o pipefail` before the pipeline"
			  : w->shell->by_script
			      ? "run it with `bash -o pipefail -c` (sh may "
				"be dash, which has no pipefail), or start "
				"a bash script with `set -o pipefail;`"
			      : "add `shell: bash` to the step (bash -eo "
				"pipefail), or `set -o pipefail` before the "
				"pipeline");
		cg_report(w->ctx, w->s->src, &pos, subject, hint,
			  "`%s` is piped into `%s` without pipefail (%s): the "
			  "job gets `%s`'s status, so a failure of `%s` passes",
			  w->name.buf, first_word(last), how, first_word(last),
			  w->name.buf);
		free(how);
		free(subject);
		free(hint);
		return;
	}
}

static void walk_cmd(struct cg_script_walk *w, const struct cg_sh_cmd *cmd)
{
	struct cg_shopts saved = w->st;

	if (cmd->kind == CG_SH_SIMPLE) {
		cg_apply_set(cmd, &w->st);
		return;
	}
	for (size_t b = 0; b < 3; b++)
		walk_list(w, cmd->body[b]);
	for (size_t a = 0; a < cmd->narms; a++)
		walk_list(w, cmd->arms[a]);
	if (cmd->kind == CG_SH_SUBSHELL)
		w->st = saved;
}

static void walk_list(struct cg_script_walk *w, const struct cg_sh_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->n; i++) {
		const struct cg_sh_andor *ao = &list->items[i];

		for (size_t p = 0; p < ao->n; p++) {
			check_pipe(w, list, i, p);
			for (size_t c = 0; c < ao->pipes[p].n; c++)
				walk_cmd(w, &ao->pipes[p].cmds[c]);
		}
	}
}

static void walk_script(struct cg_script_walk *w, bool last)
{
	walk_list(w, w->s->sh.top);
}

static void check(struct cg_rule_ctx *ctx, const struct cg_model *m)
{
	cg_walk_scripts(ctx, m, walk_script);
}

const struct cg_rule cg_rule_pipe_masks_failure = {
    .id = "pipe-masks-failure",
    .layer = CG_LAYER_QUICK,
    .severity = CG_SEV_ERROR,
    .summary = "a critical command piped into another without pipefail",
    .explain = "A pipeline's exit status is the status of its last command "
	       "unless the shell runs with `set -o pipefail`. GitHub Actions "
	       "runs a `run:` step with no `shell:` as `bash -e {0}`, which "
	       "has no pipefail, so `pytest | tee test.log` succeeds whenever "
	       "`tee` does, failing tests or not. `shell: bash` runs `bash "
	       "--noprofile --norc -eo pipefail {0}`, which has it; `shell: "
	       "sh` does not. A script given to `bash -c` or `sh -c` as a "
	       "literal string runs without pipefail unless the flags say "
	       "`-o pipefail` (and sh may be dash, which has none).\n"
	       "\n"
	       "Bad:\n"
	       "\n"
	       "    - run: pytest -q | tee test.log\n"
	       "\n"
	       "Good:\n"
	       "\n"
	       "    - shell: bash\n"
	       "      run: pytest -q | tee test.log\n"
	       "\n"
	       "    - run: |\n"
	       "        set -o pipefail\n"
	       "        pytest -q | tee test.log\n",
    .hint = "turn on pipefail for the pipeline",
    .check = check,
};
