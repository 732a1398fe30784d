/*
 * What a shell does with the failure of one critical command: an abstract
 * interpreter over a parsed script, shared by masked-failure and
 * pipe-masks-failure.
 *
 * The question is the one a CI run answers: when this command fails and
 * everything else succeeds, does the shell still exit 0? See shell_flow.c
 * for the semantics modelled and the limits.
 */
#ifndef CG_SHELL_FLOW_H
#define CG_SHELL_FLOW_H

#include "rules/rule.h"
#include "rules/critical.h"

/* Where a failure was lost: the first place its status was dropped. */
enum cg_loss_kind {
	CG_LOSS_NONE,
	CG_LOSS_OR,	     /* `pytest || true`: [start, end) is `|| true` */
	CG_LOSS_AND,	     /* errexit ignores a failure before `&&` */
	CG_LOSS_ERREXIT_OFF, /* errexit off: by `set +e` (s, start, end),
				or by a shell without -e (shell) */
	CG_LOSS_COND,	     /* an if/while/until condition (what) */
	CG_LOSS_NOT,	     /* `! pytest` */
	CG_LOSS_IGNORED,     /* errexit ignored inside a function called
				as a condition (call) or a compound command
				before && / || / in a condition */
	CG_LOSS_PIPE,	     /* not last in a pipeline, no pipefail */
	CG_LOSS_BACKGROUND,  /* `pytest &` whose status nobody collects */
	CG_LOSS_WAIT,	     /* a bare `wait` */
	CG_LOSS_WAIT_LAST,   /* `wait P1 P2`: the last pid's status only */
	CG_LOSS_TRAP,	     /* an EXIT trap that exits 0 */
	CG_LOSS_FIND,	     /* `find -exec pytest {} \;`: find ignores it */
	CG_LOSS_SCRIPT,	     /* `script -c pytest` (no -e): exits 0 */
	CG_LOSS_SUBST,	     /* `echo "$(pytest)"`, `local x=$(pytest)`: the
				command's status replaces the $(...)'s */
	CG_LOSS_PROCSUB,     /* `done < <(pytest)`: nobody reads the status
				of a process substitution */
	CG_LOSS_CODE,	     /* `[ $rc -eq 1 ] && exit 1`: the test at
				[start, end) lets exit code `code` pass */
	CG_LOSS_EXPANDED,    /* `exit $?` in text the outer shell expanded
				(an unquoted here-document, `bash -c "..."`):
				the outer shell's status, at [start, end) */
};

struct cg_loss {
	enum cg_loss_kind kind;
	const struct cg_script *s; /* the script [start, end) is in */
	size_t start, end;
	const struct cg_shell *shell; /* ERREXIT_OFF by a shell, PIPE */
	const char *what;	      /* COND: "if", "while", "until";
					 IGNORED: "||", "&&", "!", "if", ... */
	bool call;		      /* IGNORED: a function call */
	const struct cg_sh_cmd *cmd;  /* PIPE: the last command of the pipe */
	int code;		      /* CODE: the exit code that passes */
	bool expanded; /* TRAP: a double-quoted action, expanded by `trap` */
};

/* A critical command whose failure does not fail the shell. */
struct cg_masked {
	const struct cg_script *s; /* the script the command is in */
	const struct cg_sh_cmd *cmd;
	const char *name; /* its display name ("pytest", "make test") */
	struct cg_loss loss;
};

typedef void (*cg_masked_fn)(void *ctx, const struct cg_masked *mk);

/*
 * What cg_flow_check reuses from one script to the next (its buffers and
 * interpreter states), so that judging thousands of small scripts does not
 * allocate for each. One caller at a time: a rule run makes its own with
 * cg_flow_new and frees it with cg_flow_free (NULL is fine).
 */
struct cg_flow;
struct cg_flow *cg_flow_new(void);
void cg_flow_free(struct cg_flow *fl);

/*
 * For every critical command of `s` (and of the scripts inside it: `bash -c`
 * strings, here-documents fed to a shell, eval, traps, function bodies) run
 * by `shell`: if its failure, with every other command succeeding, still
 * leaves the shell exiting 0, call fn. Work is bounded; past the bound the
 * rest of the script's commands are not judged (never a guess). The
 * cg_masked that fn gets lives until fn returns.
 */
void cg_flow_check(struct cg_flow *fl, const struct cg_script *s,
		   const struct cg_shell *shell, const struct cg_script_at *at,
		   const struct cg_config *config, cg_masked_fn fn, void *ctx);

/*
 * Does `s`, or a script inside it, have a pipeline of two or more
 * commands? cg_flow_check finds a CG_LOSS_PIPE only in such a script, so a
 * caller that wants only those need not run it on the others.
 */
bool cg_flow_has_pipe(const struct cg_script *s);

/*
 * Every script that a CI shell runs as a whole, with that shell and where
 * it runs: a GitHub step's `run:` (POSIX shells), a GitLab job's
 * before_script + script.
 */
void cg_flow_each_script(const struct cg_model *m,
			 void (*fn)(void *ctx, const struct cg_script *s,
				    const struct cg_shell *shell,
				    const struct cg_script_at *at),
			 void *ctx);

#endif
