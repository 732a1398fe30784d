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

/* Where a CI script runs: item `item` of group `g` of model `m` (m NULL:
 * not known), for the env its commands see (cg_env_lookup_item). */
struct cg_script_at {
	const struct cg_model *m;
	const struct cg_script_group *g;
	size_t item;
};

/*
 * The same for a command whose first word is a variable (`$TEST_CMD`,
 * `${RUNNER} tests`, `"${cmd[@]}"`): the last plain assignment of it
 * before `cmd` in `s`, else its definition in the env the script runs
 * with (`at`, may be NULL: a job's `env:` or `variables:`), when the value
 * is literal text (`TEST_CMD="pytest -q"`, `cmd=(pytest -q)`), split into
 * words as the shell splits an unquoted expansion, stands in for that
 * word.
 */
bool cg_critical_via_var(const struct cg_script *s, const struct cg_sh_cmd *cmd,
			 const struct cg_script_at *at,
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

/* A name and what it is, in a table sorted by name (strcmp order). The
 * rules here look up every command's name in such tables. */
struct cg_name_kind {
	const char *name;
	int kind;
};

/* The kind of `name` in table t[0..n), or `none` when it is not there. */
int cg_name_kind(const struct cg_name_kind *t, size_t n, const char *name,
		 int none);

#endif
