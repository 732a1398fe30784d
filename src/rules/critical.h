/* Shared by the rules that reason about commands inside CI scripts. */
#ifndef CG_CRITICAL_H
#define CG_CRITICAL_H

#include "rules/rule.h"

/*
 * If the simple command `cmd` runs a critical command (a test runner, a
 * migration, ciguard, or one of config->critical_commands), write its
 * display name ("pytest", "python -m pytest", "make test") into `out` and
 * return true. Wrappers (env, sudo, time, timeout, poetry run, uv run,
 * coverage run -m, docker compose exec SVC, ...) are looked through.
 */
bool cg_critical_command(const struct cg_sh_cmd *cmd,
			 const struct cg_config *config, struct cg_buf *out);

/* The first critical command anywhere in `list` (recursively), or NULL. */
const struct cg_sh_cmd *cg_critical_in_list(const struct cg_sh_list *list,
					    const struct cg_config *config,
					    struct cg_buf *name);

/* The first critical command in script `s` or in the scripts it hands to
 * `bash -c` (s->nested), or NULL; *where (when not NULL) is set to the
 * script it is in, for its position. */
const struct cg_sh_cmd *cg_critical_in_script(const struct cg_script *s,
					      const struct cg_config *config,
					      struct cg_buf *name,
					      const struct cg_script **where);

/* Shell option state while walking a script in textual order. */
struct cg_shopts {
	bool errexit, pipefail;
	/* where errexit was last turned off (script offsets), or none */
	bool off_by_set;
	size_t off_start, off_end;
};

/*
 * Apply a `set` builtin's words to `st`; returns true when `cmd` is `set`.
 */
bool cg_apply_set(const struct cg_sh_cmd *cmd, struct cg_shopts *st);

/* Does text [start, end) of the script mention `$?` or PIPESTATUS? */
bool cg_reads_status(const struct cg_script *s, size_t start, size_t end);

/*
 * The scripts CI runs in one shell, with that shell's starting options: a
 * GitHub step's `run:`, or a GitLab job's before_script + script items.
 */
struct cg_script_group {
	struct cg_script *const *scripts;
	size_t n;
	const struct cg_shell *shell;
};

void cg_for_each_script_group(const struct cg_model *m,
			      void (*fn)(void *ctx,
					 const struct cg_script_group *g),
			      void *ctx);

/* A rule's walk through the scripts of one group, in textual order. */
struct cg_script_walk {
	struct cg_rule_ctx *ctx;
	const struct cg_model *m;
	const struct cg_script *s;    /* the script being walked */
	const struct cg_shell *shell; /* the group's shell */
	struct cg_shopts st;	      /* options as the walk goes */
	struct cg_buf name;	      /* scratch: a critical command's name */
};

/*
 * For every script group: start a walk with the shell's options and call
 * `fn` for each of its scripts in order (`last` for the final one). The
 * options carry from one script of a group to the next, as in the CI's
 * shell.
 */
void cg_walk_scripts(struct cg_rule_ctx *ctx, const struct cg_model *m,
		     void (*fn)(struct cg_script_walk *w, bool last));

/*
 * Does simple command `cmd` of the walk's script run a critical command,
 * itself or in the script it hands to `bash -c` (whose exit status is that
 * script's)? Its name goes to w->name.
 */
bool cg_walk_runs_critical(struct cg_script_walk *w,
			   const struct cg_sh_cmd *cmd);

#endif
