/* See shell_eval.h. Only builtins with a known status are evaluated. */
#include <stdlib.h>
#include <string.h>

#include "rules/shell_eval.h"
#include "core/banned.h"

static enum cg_outcome eval_list(const struct cg_sh_list *l, bool errexit,
				 enum cg_outcome last, unsigned depth);

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static enum cg_outcome exit_status(const struct cg_sh_cmd *c,
				   enum cg_outcome last)
{
	const char *arg;

	if (c->nwords < 2) /* `exit` alone: the last status */
		return last == CG_OUT_FAIL ? CG_OUT_EXIT_FAIL
		       : last == CG_OUT_OK ? CG_OUT_EXIT_OK
					   : CG_OUT_UNKNOWN;
	arg = c->words[1].text;
	if (!strcmp(arg, "$?"))
		return last == CG_OUT_FAIL ? CG_OUT_EXIT_FAIL
		       : last == CG_OUT_OK ? CG_OUT_EXIT_OK
					   : CG_OUT_UNKNOWN;
	if (all_digits(arg))
		return strtol(arg, NULL, 10) % 256 == 0 ? CG_OUT_EXIT_OK
							: CG_OUT_EXIT_FAIL;
	return CG_OUT_UNKNOWN;
}

static enum cg_outcome eval_cmd(const struct cg_sh_cmd *c, bool errexit,
				enum cg_outcome last, unsigned depth)
{
	enum cg_outcome r;
	const char *w;

	if (depth > 64)
		return CG_OUT_UNKNOWN;
	switch (c->kind) {
	case CG_SH_SIMPLE:
		/* `|| failed=1`, `|| rc=$?`: the failure is kept in a
		 * variable for later; whether it is looked at we cannot say */
		if (!c->nwords)
			return c->nassigns ? CG_OUT_UNKNOWN : CG_OUT_OK;
		w = c->words[0].text;
		if (!strcmp(w, "true") || !strcmp(w, ":") ||
		    !strcmp(w, "echo") || !strcmp(w, "printf"))
			return CG_OUT_OK;
		if (!strcmp(w, "false"))
			return CG_OUT_FAIL;
		if (!strcmp(w, "exit") || !strcmp(w, "return"))
			return exit_status(c, last);
		return CG_OUT_UNKNOWN;
	case CG_SH_GROUP:
		return eval_list(c->body[0], errexit, last, depth + 1);
	case CG_SH_SUBSHELL:
		r = eval_list(c->body[0], errexit, last, depth + 1);
		if (r == CG_OUT_EXIT_OK)
			return CG_OUT_OK;
		if (r == CG_OUT_EXIT_FAIL)
			return CG_OUT_FAIL;
		return r;
	default:
		return CG_OUT_UNKNOWN;
	}
}

static enum cg_outcome eval_pipeline(const struct cg_sh_pipeline *p,
				     bool errexit, enum cg_outcome last,
				     unsigned depth)
{
	enum cg_outcome r;

	if (!p->n)
		return CG_OUT_UNKNOWN;
	r = eval_cmd(&p->cmds[p->n - 1], errexit, last, depth);
	if (p->n > 1) { /* each part runs in a subshell */
		if (r == CG_OUT_EXIT_OK)
			r = CG_OUT_OK;
		else if (r == CG_OUT_EXIT_FAIL)
			r = CG_OUT_FAIL;
	}
	if (p->negated) {
		if (r == CG_OUT_OK)
			r = CG_OUT_FAIL;
		else if (r == CG_OUT_FAIL)
			r = CG_OUT_OK;
	}
	return r;
}

/* Continue an and-or list after pipeline `p` ended with `status`. */
static struct cg_sim run_rest(const struct cg_sh_andor *ao, size_t p,
			      enum cg_outcome status, bool errexit,
			      unsigned depth)
{
	struct cg_sim sim = {status, -1, p + 1 == ao->n};

	for (size_t j = p + 1; j < ao->n; j++) {
		enum cg_sh_op op = ao->ops[j - 1];
		enum cg_outcome r;

		if ((op == CG_SH_OP_AND) != (sim.outcome == CG_OUT_OK))
			continue; /* skipped */
		r = eval_pipeline(&ao->pipes[j], errexit, sim.outcome, depth);
		if (op == CG_SH_OP_OR &&
		    (r == CG_OUT_OK || r == CG_OUT_EXIT_OK))
			sim.flip_op = (int)(j - 1);
		sim.outcome = r;
		sim.from_last = j + 1 == ao->n;
		if (r == CG_OUT_EXIT_OK || r == CG_OUT_EXIT_FAIL ||
		    r == CG_OUT_UNKNOWN)
			return sim;
	}
	return sim;
}

struct cg_sim cg_sim_failure(const struct cg_sh_andor *ao, size_t p,
			     bool errexit)
{
	return run_rest(ao, p, CG_OUT_FAIL, errexit, 0);
}

static bool is_exit(enum cg_outcome o)
{
	return o == CG_OUT_EXIT_OK || o == CG_OUT_EXIT_FAIL;
}

/*
 * Commands in sequence. A command we cannot evaluate (`cat log`) does not
 * stop the evaluation: what follows may decide anyway (`exit 1`). Under
 * errexit such a command may itself have ended the script with a failure,
 * so only a failing end is then certain.
 */
static enum cg_outcome eval_list(const struct cg_sh_list *l, bool errexit,
				 enum cg_outcome last, unsigned depth)
{
	enum cg_outcome status = last;
	bool unsure = false;

	if (!l)
		return CG_OUT_UNKNOWN;
	for (size_t i = 0; i < l->n; i++) {
		const struct cg_sh_andor *ao = &l->items[i];
		struct cg_sim sim;

		if (!ao->n || ao->background)
			continue;
		status = eval_pipeline(&ao->pipes[0], errexit, status, depth);
		if (status == CG_OUT_UNKNOWN) {
			if (ao->n > 1)
				return CG_OUT_UNKNOWN; /* && and || follow */
			unsure = true;
			continue;
		}
		if (!is_exit(status)) {
			sim = run_rest(ao, 0, status, errexit, depth);
			status = sim.outcome;
			if (status == CG_OUT_UNKNOWN)
				return CG_OUT_UNKNOWN;
			if (errexit && status == CG_OUT_FAIL && sim.from_last)
				status = CG_OUT_EXIT_FAIL;
		}
		if (is_exit(status))
			break;
	}
	if (unsure && errexit && status != CG_OUT_EXIT_FAIL)
		return CG_OUT_UNKNOWN;
	return status;
}

enum cg_outcome cg_eval_list(const struct cg_sh_list *l, bool errexit,
			     enum cg_outcome last)
{
	return eval_list(l, errexit, last, 0);
}
