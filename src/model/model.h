/*
 * model: the repository as rules see it, built once per run from the loaded
 * files. Rules read only this; they never open files or parse text.
 */
#ifndef CG_MODEL_H
#define CG_MODEL_H

#include "core/core.h"
#include "core/diag_list.h"
#include "load/load.h"
#include "model/facts.h"

/* ------------------------------------------------------------ config */

struct cg_config_rule {
	char *id;
	enum cg_severity severity;
	struct cg_pos pos; /* of the rule id key, for "unknown rule" */
};

struct cg_strlist {
	char **items;
	size_t n, alloc;
};

struct cg_config_service {
	char *kind; /* redis, postgres, wiremock, ... */
	struct cg_strlist vars;
};

struct cg_config {
	char *path; /* NULL when there is no config file */
	struct cg_config_rule *rules;
	size_t nrules;
	struct cg_strlist critical_commands;
	struct cg_strlist workers;
	struct cg_config_service *services;
	size_t nservices;
	struct cg_strlist env_required;
	struct cg_strlist env_ignore;
	struct cg_strlist paths_ignore;
};

void cg_config_init(struct cg_config *c);
/*
 * Load and validate `file` (read from disk, path shown as `display`).
 * Returns 0, or CG_EINVAL / CG_EPARSE / CG_EIO with "path:line:col: what"
 * in cg_error_last(). Unknown keys and bad values are errors.
 */
int cg_config_load(struct cg_config *c, const char *file, const char *display);
void cg_config_release(struct cg_config *c);
void cg_strlist_add(struct cg_strlist *l, const char *s);
void cg_strlist_release(struct cg_strlist *l);
bool cg_strlist_has(const struct cg_strlist *l, const char *s);

/* ------------------------------------------------------- suppressions */

struct cg_suppression {
	const struct cg_src *src;
	uint32_t target_line; /* the line it covers */
	struct cg_pos pos;    /* the comment */
	char **ids;	      /* rule ids inside ignore[...] */
	struct cg_pos *id_pos;
	bool *used;
	size_t nids;
	char *reason;
};

/* ----------------------------------------------------------- scripts */

/*
 * A shell script as one shell runs it, parsed, with the map from script
 * offsets back to the files. Most scripts are one YAML scalar (a `run:`);
 * a GitLab job's before_script and script items are joined with newlines
 * into one script, as gitlab-runner does, so each item is a part: bytes
 * [base, base + len) of the text come from `node` of `src`.
 */
struct cg_script_part {
	const struct cg_src *src;
	const struct cg_node *node;
	size_t base, len;
	uint32_t *offsets; /* part byte -> file byte, len + 1 entries; built
			      by the first cg_script_pos */
	bool offsets_done;
};

struct cg_script {
	const struct cg_src *src;   /* the first part's */
	const struct cg_node *node; /* the first part's */
	struct cg_sh_script sh;
	struct cg_script_part *parts;
	size_t nparts;
	char *joined; /* the text when it is not one scalar's, else NULL */
	/* scripts written as literal strings or here-documents inside this
	 * one: `bash -c '...'`, `eval '...'`, `trap '...' EXIT`, `bash <<EOF`
	 * (see cg_nested_script) */
	struct cg_nested_script *nested;
	size_t nnested;
	/* a nested script: its text starts at byte `base` of `parent`'s;
	 * when the outer shell unescaped it (`"pytest \"$X\""`), its text is
	 * `joined` and map[i] is the parent's byte for byte i (len + 1) */
	const struct cg_script *parent;
	size_t base;
	size_t *map;
	/* the process starts and file references of this script (nested
	 * ones included), found ahead by a loader's prepare on a worker
	 * thread (ci_scripts.c); NULL: found when they are asked for */
	struct cg_script_facts *facts_ahead;
};

/* File position of script bytes [start, end), clamped to the part that
 * holds `start`. */
struct cg_pos cg_script_pos(const struct cg_script *s, size_t start,
			    size_t end);
/* The file that script byte `off` comes from. */
const struct cg_src *cg_script_src(const struct cg_script *s, size_t off);
/* The command substitutions in the words of simple command `cmd`, in
 * order: *n of them from the one returned (NULL when none). */
const struct cg_nested_script *cg_script_substs(const struct cg_script *s,
						const struct cg_sh_cmd *cmd,
						size_t *n);
/* The process substitutions of command `cmd` (any kind), in order: *n of
 * them from the one returned (NULL when none). */
const struct cg_nested_script *cg_script_procsubs(const struct cg_script *s,
						  const struct cg_sh_cmd *cmd,
						  size_t *n);
/* The nested script that simple command `cmd` of `s` runs, or NULL. */
const struct cg_nested_script *cg_script_nested_at(const struct cg_script *s,
						   const struct cg_sh_cmd *cmd);

/*
 * One `NAME=value` that a GitHub step's script writes to $GITHUB_ENV,
 * which makes NAME a variable of the later steps of its job
 * (model/github_env.c says what is read).
 */
struct cg_github_env_write {
	const char *name;  /* valid during the call */
	const char *value; /* as written; NULL for a `NAME<<DELIM` block */
	bool literal;	   /* the value holds no expansion */
	size_t start, end; /* the name's bytes in the script */
};
typedef void (*cg_github_env_fn)(void *ctx, const struct cg_script *s,
				 const struct cg_github_env_write *w);
/* Call fn for each NAME=value that `s` (and the scripts nested in it)
 * writes to $GITHUB_ENV, in order. False when it also writes there what
 * cannot be read (`cat ci.env >> $GITHUB_ENV`). */
bool cg_github_env_writes(const struct cg_script *s, cg_github_env_fn fn,
			  void *ctx);

/* How the CI runs a script: the shell and its error options at the start. */
enum cg_shell_kind {
	CG_SHELL_POSIX, /* bash, sh, dash, ... : we parse these */
	CG_SHELL_OTHER, /* pwsh, python, cmd, ... : we don't */
};

struct cg_shell {
	enum cg_shell_kind kind;
	bool errexit;	      /* -e */
	bool pipefail;	      /* -o pipefail */
	bool dash;	      /* sh/dash: $(...) inherits -e, no pipefail */
	const char *describe; /* e.g. "bash -e {0} (GitHub's default)" */
	const struct cg_node
	    *node; /* the `shell:` value that chose it, or NULL */
	const struct cg_src *src; /* file of `node` */
	/* a shell a script started (`bash -c`): the outer script, and the
	 * bytes of the shell name and its flags there; NULL otherwise */
	const struct cg_script *by_script;
	size_t by_start, by_end;
	bool by_c; /* by_script: -c, the script is a string (else stdin) */
};

/*
 * Is `word` (a command name, maybe a path: "/bin/bash") a POSIX shell whose
 * scripts we read: sh, bash, dash, zsh, ksh, ash? *dash (may be NULL) says
 * whether it is sh or dash (Debian's and Ubuntu's /bin/sh is dash).
 */
bool cg_posix_shell_name(const char *word, bool *dash);

/* An option as some words leave it: not named, or turned on or off. */
enum cg_opt {
	CG_OPT_KEEP,
	CG_OPT_ON,
	CG_OPT_OFF,
};

/* Whose words cg_shell_flags_read reads. */
enum cg_flag_syntax {
	CG_FLAGS_INVOKE, /* a shell's command line after its name */
	CG_FLAGS_SET,	 /* `set`'s arguments */
	CG_FLAGS_SHOPT,	 /* `shopt`'s arguments */
};

struct cg_shell_flags {
	/* the last state the words give: -e/+e, -o/+o errexit; -o
	 * pipefail; -E, -o errtrace; `-O` / `shopt -s` inherit_errexit */
	enum cg_opt errexit, pipefail, errtrace, inherit_errexit;
	bool c;		 /* INVOKE: -c, the first operand is the script */
	bool unreadable; /* stopped at flags we cannot read (`-$x`) */
	size_t operand;	 /* the first word after the options (or n) */
};

/*
 * Read shell option flags from words[0..n) the way bash 5 does (see
 * shellopts.c): `bash --norc -eo pipefail -c`, `set -euxo pipefail`,
 * `set +e`, `shopt -so pipefail`. expands[i] (expands may be NULL: none
 * does) says word i holds an expansion: where it starts with `-` or `+`,
 * or an option name is due, its flags are not known, so reading stops
 * there with `unreadable` set, keeping what came before; elsewhere it is
 * the first operand (`bash -c "$cmd"`). Allocates nothing.
 */
void cg_shell_flags_read(struct cg_shell_flags *out, enum cg_flag_syntax syntax,
			 const char *const *words, const bool *expands,
			 size_t n);
/* The same over words from.. of a parsed command (`set`'s arguments,
 * a shell's flags); out->operand is an index into cmd->words. */
void cg_shell_flags_of(struct cg_shell_flags *out, enum cg_flag_syntax syntax,
		       const struct cg_sh_cmd *cmd, size_t from);

/*
 * A script inside a script, as a literal string (quoted, its bytes the
 * script's own: single quotes, or double quotes without backslashes) or a
 * here-document:
 *   SHELL: `bash -c 'pytest || true'`, `sh -ec "..."`, `bash <<'EOF'`: a
 *     new shell runs it, without -e and pipefail unless its flags turn
 *     them on (`bash -ec`, `bash -o pipefail -c`, `bash -e <<EOF`); the
 *     command's status is that shell's;
 *   EVAL: `eval 'pytest || true'`: run by the shell itself, in place;
 *   TRAP: `trap 'rm -f x; exit 0' EXIT`: run by the shell when it exits
 *     (EXIT) or when a command fails where errexit would act (ERR);
 *   SUBST: `x=$(pytest)`: a command substitution in a word of the command,
 *     run in a subshell before it; bash gives it no -e (dash does).
 *   PROCSUB: `diff <(pytest) want`, `done < <(pytest)`: bash's process
 *     substitution in a word or a redirection of the command, run in a
 *     subshell beside it (keeping -e); nobody ever reads its status.
 * shell.by_script and by_start/by_end point at the command's name and
 * flags in the outer script (the shell, `eval` or `trap`).
 */
enum cg_nested_kind {
	CG_NESTED_SHELL,
	CG_NESTED_EVAL,
	CG_NESTED_TRAP,
	CG_NESTED_SUBST,
	CG_NESTED_PROCSUB,
};

struct cg_nested_script {
	enum cg_nested_kind kind;
	struct cg_script *script;
	struct cg_shell shell;
	size_t cmd_start;     /* the simple command that runs it */
	bool on_exit, on_err; /* TRAP: its signals include EXIT, ERR */
	/* The outer shell expanded its `$` before it ran (POSIX 2.7.4,
	 * 2.2.3): an unquoted here-document, a double-quoted `bash -c "..."`,
	 * `eval "..."`, `trap "..." EXIT`. Its `$?`, `$rc`,
	 * `${PIPESTATUS[0]}` are the values at that command (a trap's: where
	 * `trap` ran), not the ones its own commands leave. outer_some: some
	 * `$` were escaped (`\$?`), and are the inner shell's: a command of
	 * it whose `$` are all such reads its own (script->map says which
	 * byte was escaped in the parent). */
	bool outer_expands, outer_some;
	/* SHELL: util-linux `script -c CMD` without -e (--return), which
	 * exits 0 whatever CMD returned */
	bool zero_exit;
};

/* ------------------------------------------ what a command line runs */

/* cg_cmd_unwrap flags: also look into the commands run elsewhere.
 * CONTAINER: CMD of `docker [compose] exec|run X CMD` and `kubectl exec
 * POD -- CMD`; FANOUT: CMD of `find ... -exec CMD` and `xargs CMD`. */
#define CG_UNWRAP_CONTAINER 1u
#define CG_UNWRAP_FANOUT 2u

/*
 * The index of the program that the words w[from..n) run, once the
 * wrappers in front are looked through with their options (those that
 * take an argument skip it too) and, for env and sudo, their NAME=VALUE
 * words: env, sudo, command, exec, time, nohup, setsid, nice, ionice,
 * stdbuf, unbuffer, xvfb-run, timeout DURATION, `poetry|uv|pipenv|pdm|
 * hatch|rye run`, `conda|mamba|micromamba run`, npx/bunx/pnpx/uvx,
 * `npm|pnpm|yarn exec|dlx`, `pipx run`, `bundle exec`, `coverage run` (whose
 * program is the script, or `-m` for a module), and what `flags` add. n when
 * they run nothing: `command -v X`, `docker run -d`, `find` without -exec, a
 * wrapper with nothing after it. A wrapper that is not used as one (`poetry
 * install`, `docker ps`) is the program itself.
 */
size_t cg_cmd_unwrap(const char *const *w, size_t n, size_t from,
		     unsigned flags);
/* cg_cmd_unwrap over the words of simple command `c` (n for another
 * kind of command). */
size_t cg_sh_cmd_unwrap(const struct cg_sh_cmd *c, size_t from, unsigned flags);
/* From word i, past the options of a program: words starting with '-'
 * (and, for those listed in `with_arg` (" -a --bee "), their argument),
 * up to and past a `--`. */
size_t cg_cmd_skip_opts(const char *const *w, size_t n, size_t i,
			const char *with_arg);
/* Is `w` one of the space-separated options in `list` (" -a --bee ")? */
bool cg_opt_listed(const char *list, const char *w);
/* The row of `name` in table t: n rows of `size` bytes, each starting
 * with its name (a `const char *`), sorted by name in strcmp order; -1
 * when it is not there. Every word of every command is looked up in such
 * tables, several times per check. */
long cg_name_index(const void *t, size_t n, size_t size, const char *name);
/* NAME=VALUE, as a shell reads an assignment word (NAME a valid name) */
bool cg_word_is_assignment(const char *w);

enum cg_var_effect {
	CG_VAR_NONE,   /* an option, or a command that exports nothing */
	CG_VAR_EXPORT, /* `export NAME[=value]`, `declare -x` / `typeset -x`
			  / `local -x` (-x alone or in a cluster such as
			  -rx) */
	CG_VAR_UNSET,  /* `unset NAME`; also `export -n NAME` and `declare
			  +x NAME`: the commands it starts no longer get it */
};
/* What word i (>= 1) of simple command c does to the variables of the
 * shell that runs it, as bash reads those builtins. */
enum cg_var_effect cg_sh_var_effect(const struct cg_sh_cmd *c, size_t i);

/* --------------------------------------------------------- Dockerfiles */

struct cg_file;

/* The IMAGE scope of Dockerfile `f` (read by the dockerfile loader) that a
 * build of `target` (a stage name; NULL: the last stage) ends in, or
 * CG_NO_SCOPE when it has no such stage. */
size_t cg_image_stage_scope(const struct cg_model *m, const struct cg_file *f,
			    const char *target);

/* What a container of a Dockerfile stage runs when nothing overrides it:
 * ENTRYPOINT then CMD as docker combines them (a shell form is its words:
 * /bin/sh -c runs them; an ENTRYPOINT of the stage drops a CMD inherited
 * from the base, a shell-form ENTRYPOINT ignores CMD), inherited from an
 * earlier stage it starts FROM. */
struct cg_image_command {
	size_t scope; /* the stage's IMAGE scope */
	const char **argv;
	size_t argc;
	const char *command; /* one line, for messages */
	const struct cg_src *src;
	struct cg_pos pos; /* the CMD (or ENTRYPOINT) arguments */
};

/* The command of IMAGE scope `scope`, or NULL when it runs none that
 * ciguard can see. */
const struct cg_image_command *cg_image_command(const struct cg_model *m,
						size_t scope);

/* ----------------------------------------------------- GitHub Actions */

struct cg_env_var {
	const char *name;
	const struct cg_node *key;   /* position of the name */
	const struct cg_node *value; /* scalar or NULL */
};

struct cg_env_block {
	struct cg_env_var *vars;
	size_t n;
	const struct cg_node *node; /* the env: mapping, or an expression */
};

struct cg_gh_service {
	const char *id;
	const struct cg_node *key;
	const struct cg_node *node;
	const struct cg_node *image;
	const struct cg_node *ports;
	const struct cg_node *options;
	struct cg_env_block env; /* the container's own env */
};

/*
 * A `continue-on-error:` as GitHub reads it. Only a plain YAML `true` is
 * known to be on; an expression is decided at run time and may be true;
 * anything else (a quoted "true", a number) is not read as true, and not
 * as false either.
 */
enum cg_gh_continue_value {
	CG_GH_CONTINUE_ABSENT,
	CG_GH_CONTINUE_FALSE,
	CG_GH_CONTINUE_TRUE,
	CG_GH_CONTINUE_EXPR,  /* `${{ ... }}` */
	CG_GH_CONTINUE_OTHER, /* not a boolean: GitHub rejects it */
};

struct cg_gh_continue {
	enum cg_gh_continue_value value;
	struct cg_pos pos; /* from the key to the end of the value */
};

struct cg_gh_step {
	const struct cg_node *node;
	size_t index;
	const struct cg_node *name;
	const struct cg_node *id;  /* `id:` scalar, or NULL */
	const struct cg_node *run; /* scalar or NULL */
	const struct cg_node *uses;
	const struct cg_node *with;
	const struct cg_node *if_cond;
	struct cg_gh_continue continue_on_error;
	struct cg_env_block env;
	struct cg_shell shell; /* effective, with defaults applied */
	/* where `run:` starts, relative to the workspace ("" itself), with
	 * defaults applied; NULL when not known (an expression) */
	const char *workdir;
	struct cg_script *script; /* parsed `run:` (POSIX shells only) */
	/*
	 * The step always fails when it runs: `script` ends with `exit N`
	 * (N != 0 mod 256) or `false`, and nothing before that can end the
	 * script (no exit, exec, return, trap, source, eval, set -n, no
	 * command whose name is an expansion). Parse errors: false.
	 */
	bool always_fails;
	/*
	 * A later step of the same job (or composite action) that turns this
	 * step's failure back into a failure of the job, or NULL: it
	 * always_fails, has no `continue-on-error:` that may be true, and its
	 * `if:` is
	 * true whenever `steps.<id>.outcome` is 'failure' while the job
	 * otherwise succeeds (outcome is the result before continue-on-error,
	 * conclusion the one after, so `steps.<id>.conclusion` never
	 * re-raises; success() and always() are true there, failure() and
	 * cancelled() false). The expression must read this step's outcome.
	 */
	const struct cg_gh_step *reraised_by;
};

struct cg_gh_job {
	const char *id;
	const struct cg_node *key;
	const struct cg_node *node;
	const struct cg_node *runs_on;
	const struct cg_node *container; /* NULL for a job on the runner */
	struct cg_gh_continue continue_on_error;
	struct cg_env_block env;
	struct cg_gh_service *services;
	size_t nservices;
	struct cg_gh_step *steps;
	size_t nsteps;
};

/*
 * A workflow file, or a composite action: an `action.yml`/`action.yaml`
 * anywhere in the repository with `runs.using: composite`. An action is a
 * workflow with `composite` set and one pseudo-job whose id is "runs", key
 * and node the `runs:` key and mapping, and steps runs.steps; it has no
 * runs-on, container, services, env or defaults, as actions have none.
 * Its `run:` steps must name their `shell:` (there is no default; the
 * model notes a step without one and leaves it unchecked). So a rule that
 * walks workflows' steps sees composite steps too, positions in the
 * action file. Other actions (node, docker) build nothing.
 */
struct cg_gh_workflow {
	const struct cg_src *src;
	const struct cg_node *root;
	bool composite; /* a composite action, not a workflow */
	struct cg_env_block env;
	struct cg_gh_job *jobs;
	size_t njobs;
};

/* --------------------------------------------------------- GitLab CI */

/*
 * An `allow_failure:` that applies to a GitLab job: the job's own (maybe
 * inherited through `extends:`), or one in an entry of its `rules:`, which
 * GitLab uses instead of the job's when that rule matches. The value is
 * `true`, `false`, or `{exit_codes: N}` / `{exit_codes: [N, ...]}`.
 */
enum cg_gl_allow_value {
	CG_GL_ALLOW_FALSE,	/* a plain YAML false */
	CG_GL_ALLOW_TRUE,	/* a plain YAML true */
	CG_GL_ALLOW_EXIT_CODES, /* a mapping with `exit_codes:` */
	CG_GL_ALLOW_OTHER,	/* anything else: GitLab rejects it */
};

struct cg_gl_allow_failure {
	enum cg_gl_allow_value value;
	const struct cg_pair *pair; /* `allow_failure: ...`, key and value */
	struct cg_pos pos;	    /* of `pair`, key to end of value */
	const struct cg_src *src;   /* the file `pair` is in */
	const struct cg_node *rule; /* its `rules:` entry; NULL at job level */
	/* not written: the job says `when: manual`, whose allow_failure
	 * defaults to true (`pair` is the `when:`) */
	bool manual;
	/* `{exit_codes: ...}`: that pair and its position (key to end of
	 * value), whether it is a list, and its integer codes (the
	 * scalar's, or the list's, in order; others left out), in the
	 * model's arena; NULL and 0 for `true`/`false` */
	const struct cg_pair *exit_codes;
	struct cg_pos exit_codes_pos;
	bool codes_list;
	const int *codes;
	size_t ncodes;
	/*
	 * GitLab can use it in some pipeline. GitLab takes the first
	 * `rules:` entry that matches: one without `if:`, `changes:` or
	 * `exists:` always matches and hides the entries after it, and one
	 * with `when: never` creates no job. An entry is live when no entry
	 * before it always matches and it is not `when: never` (conditions
	 * are taken to hold in some pipeline; `when: manual` counts, as
	 * someone may start the job). A rule's allow_failure is effective
	 * when its entry is live; the job's own when the job has no
	 * `rules:`, or when a live entry has no allow_failure of its own
	 * (with `rules:` and no live entry the job never runs).
	 */
	bool effective;
};

/*
 * A variable of GitLab's `variables:` after the merges (included files,
 * `extends:`): the definition that wins, and its value (a `{value: ...}`
 * mapping's `value`), both in file `src`.
 */
struct cg_gl_variable {
	const struct cg_pair *pair;  /* NAME: ... */
	const struct cg_node *value; /* the value node, or NULL */
	const struct cg_src *src;
};

/*
 * A GitLab job with `extends:` and `default:` applied (`default:`, and the
 * old top-level before_script/after_script, only as far as the job's
 * `inherit: default:`, maybe through `extends:`, lets it). The runner joins
 * before_script and script into one shell script that starts with
 * `set -o pipefail` (where the shell has it) and `set -o errexit`
 * (gitlab-runner shells/bash.go), so `scripts` share one shell state. A
 * bridge (`trigger:` without `script:`) runs nothing, nor does a job
 * whose `rules:` never create it: they have no scripts and no services.
 */
struct cg_gl_job {
	const char *id;
	const struct cg_node *key;
	const struct cg_node *node;
	const struct cg_pair *allow_failure; /* key+value, maybe inherited */
	const struct cg_src *allow_failure_src;
	/* every `allow_failure:` of the job: the job-level one above first,
	 * then those of its `rules:` entries in order (`rules:` maybe
	 * inherited, `!reference` followed); an array owned by the model */
	struct cg_gl_allow_failure *allow_failures;
	size_t nallow_failures;
	struct cg_script **scripts; /* before_script items, then script */
	size_t nscripts;
	/* the same items joined into the one script the runner's shell
	 * runs (NULL when there are none) */
	struct cg_script *script;
	/*
	 * The runner tests the exit status after every before_script and
	 * script item and exits with it when it is not 0
	 * (`_runner_exit_code=$?; if [ $_runner_exit_code -ne 0 ]; then exit
	 * $_runner_exit_code; fi`, gitlab-runner shells/bash.go), so a
	 * failure that `set +e` let through still fails the job when it is
	 * an item's last status. True when the feature flag
	 * FF_ENABLE_BASH_EXIT_CODE_CHECK is on as Go's strconv.ParseBool reads
	 * it ("1", "t", "T", "TRUE", "true", "True"; anything else is off) in
	 * the job's merged `variables:`, else in the merged top-level
	 * `variables:` when its `inherit: variables:` lets it take them.
	 * Not seen: the flag set in the runner's config.toml, in project or
	 * group CI/CD variables, or by a `rules:` entry's `variables:`, and
	 * a value that expands another variable (`$X` is off here).
	 */
	bool exit_code_check;
	/* after_script items (own, else default:'s, else top-level, as
	 * above): GitLab runs them in a shell of their own and ignores how
	 * they exit */
	struct cg_script **after;
	size_t nafter;
	/* `services:` (own, else default:'s, else top-level, as above) and
	 * the file it is in */
	const struct cg_node *services;
	const struct cg_src *services_src;
	/* the job's own `variables:`, deep-merged over its templates' (not
	 * the top-level ones), with those `parallel: matrix:` gives (over
	 * the job's) and those of `rules:` entries that can run the job
	 * (names the job lacks); an array owned by the model */
	struct cg_gl_variable *variables;
	size_t nvariables;
	/* `inherit: variables:` false or a list: the top-level variables
	 * the job takes are only `inherited` (copies, owned by the model);
	 * else every one of cg_model.gitlab_variables */
	bool inherit_some_variables;
	struct cg_gl_variable *inherited;
	size_t ninherited;
};

/*
 * A GitLab file: .gitlab-ci.yml (the first) or a file it includes. Each
 * job is in the file whose definition of it wins the merge of included
 * files (the including file over what it includes, a later include over an
 * earlier one), whichever files add keys to it.
 */
struct cg_gl_file {
	const struct cg_src *src;
	const struct cg_node *root;
	struct cg_gl_job *jobs;
	size_t njobs;
	/* the files its `include:` names, in order (indexes into
	 * cg_model.gitlab); owned */
	size_t *includes;
	size_t nincludes;
	/* its pipeline, an index into cg_model.gitlab_pipelines (CG_NO_INDEX
	 * while it is being read). A file that two pipelines include has an
	 * entry in each: their names, variables and defaults are apart. */
	size_t pipeline;
	bool copy; /* the second entry of a file: its facts are the first's */
};

/*
 * A GitLab pipeline: the project's own (.gitlab-ci.yml, index 0), or a
 * child pipeline that a job starts with `trigger: include:` a file of the
 * repository. Each has its own jobs, `default:` and `variables:`.
 */
struct cg_gl_pipeline {
	size_t root; /* its first file, an index into cg_model.gitlab */
	/* its top-level `variables:`, merged over its files */
	struct cg_gl_variable *variables;
	size_t nvariables;
	/* a child's: the pipeline and the job that trigger it, and whether
	 * that job waits for its result (`strategy: depend` or `mirror`) */
	size_t parent;
	const char *trigger_job;
	const struct cg_src *trigger_src;
	struct cg_pos trigger_pos; /* the job's key */
	bool depend;
};

/* ------------------------------------------------------------- model */

/* How a loader's files are parsed (the tag of struct cg_file's result). */
enum cg_file_format {
	CG_FILE_YAML,	    /* one document is expected; more are kept */
	CG_FILE_YAML_MULTI, /* a stream of documents (`---`) */
	CG_FILE_JSON,	    /* strict JSON */
	CG_FILE_DOTENV,	    /* KEY=VALUE lines */
	CG_FILE_MARKDOWN,   /* its GFM tables */
	/* not parsed by the model: the loader's build reads f->src in a
	 * dialect of its own, and keeps why a file does not parse as facts
	 * (it may fill f->tree, which the model releases) */
	CG_FILE_RAW,
};

struct cg_loader;

struct cg_file {
	const struct cg_loader *loader; /* the loader that claimed it */
	struct cg_src src;
	enum cg_file_format format; /* which member of the union is filled */
	union {
		struct cg_tree tree;	   /* YAML, YAML_MULTI, JSON, RAW */
		struct cg_dotenv dotenv;   /* DOTENV */
		struct cg_md_doc markdown; /* MARKDOWN */
	};
	bool loaded; /* parsed; false: a note says why not */
	/* its text is gone (cg_src_drop_text: a Python module the code
	 * rules have seen); cg_model_read_file reads it again */
	bool dropped;
	/* the env scope its loader made for the whole file (env files,
	 * compose files, manifests), else CG_NO_SCOPE */
	size_t scope;
};

enum cg_layer {
	CG_LAYER_QUICK = 1,
	CG_LAYER_FULL = 2,
};

/* A file given in memory instead of read from disk (fuzzing, tests). */
struct cg_mem_file {
	const char *path; /* relative to the root, '/' separated */
	const char *text;
	size_t len;
};

struct cg_model;

struct cg_model_options {
	const char *root; /* the checked folder */
	enum cg_layer layer;
	bool staged;	      /* read files from the git index */
	size_t max_file_size; /* default 8 MiB */
	unsigned jobs;	      /* threads that read files (0, 1: one) */
	const struct cg_config *config;
	/* when nmem_files > 0: the repository is these files, nothing is
	 * read from disk or git (root is only shown) */
	const struct cg_mem_file *mem_files;
	size_t nmem_files;
	/*
	 * Python code, one module at a time. When set, the model calls it
	 * for each module it reads, with `file` its row of facts.python,
	 * while the module's structure (`code`) and source text are there,
	 * and then forgets both (`code` empty, the source an empty text):
	 * the code of a big repository is never in memory at once. Only
	 * that row is complete when it is called, not the model. When
	 * NULL, every structure stays until cg_model_release.
	 */
	void (*code_visit)(void *arg, const struct cg_model *m, size_t file);
	void *code_arg;
};

struct cg_note {
	char *message; /* "path: why it was skipped" */
};

/*
 * A tracked file git reports changed since the last commit. With --staged:
 * `staged`, the index differs from HEAD (every entry, before the first
 * commit), and `unstaged`, the work tree differs from the index. In the
 * full layer without it: `uncommitted`, the work tree differs from HEAD
 * (nothing is known before the first commit). Paths are relative to the
 * root, as the file list's.
 */
struct cg_git_change {
	char *path;
	bool staged, unstaged, uncommitted;
};

struct cg_model {
	struct cg_model_options opt;
	const struct cg_config *config;
	bool in_git;
	/* sorted by path; known is false when git was not asked or failed */
	struct cg_git_change *git_changes;
	size_t ngit_changes;
	bool git_changes_known;
	size_t nfiles_listed;
	/* every file of the repository (read or not), sorted by path */
	char **paths;
	size_t npaths;
	/* in a git work tree, those of `paths` git does not track, sorted
	 * (pointers into paths) */
	char **untracked;
	size_t nuntracked;
	/* the quick layer lists only the untracked files it reads: a path on
	 * disk that is not in `paths` may still be untracked, not ignored */
	bool paths_partial;
	struct base_memo *base_memo; /* which loaders take a file name */
	unsigned char *path_read;    /* per path: a file was read from it */
	struct cg_file **path_file;  /* per path: that file */
	size_t nunlisted_read;	     /* files read that are on no list */

	struct cg_file **files; /* every file read */
	size_t nfiles;
	size_t files_alloc;

	struct cg_gh_workflow *workflows;
	size_t nworkflows, workflows_alloc;

	struct cg_gl_file *gitlab;
	size_t ngitlab, gitlab_alloc;
	struct cg_gl_pipeline *gitlab_pipelines;
	size_t ngitlab_pipelines, gitlab_pipelines_alloc;
	/* the top-level `variables:` of the pipeline's GitLab files, merged:
	 * the project pipeline's once built (each pipeline's are its own) */
	struct cg_gl_variable *gitlab_variables;
	size_t ngitlab_variables;

	struct cg_facts facts;

	/* per Dockerfile stage that runs a command (dockerfile.c) */
	struct cg_image_command *image_commands;
	size_t nimage_commands, image_commands_alloc;

	struct cg_suppression *suppressions;
	size_t nsuppressions;

	struct cg_note *notes; /* files skipped and why */
	size_t nnotes, notes_alloc;
	size_t suppressions_alloc;
	struct cg_arena arena;
	struct cg_ahead *ahead; /* files read ahead on worker threads */
	struct cg_ahead *guess; /* ... and before the file list came */
	struct cg_git_index *staged_index; /* --staged: what is read */
	struct cg_capture git_diffs[2];	   /* running (git_changes_start) */
	struct cg_capture listing;	   /* the quick layer's git ls-files */
	struct cg_buf git_staged;	   /* --staged: `git diff --cached` */
	bool git_staged_known, git_unstaged_asked;
	/* the scripts prepared for the file being built (loader.h) */
	struct cg_prepared *prepared;
};

/*
 * Discover, load and model the repository at opt->root (or opt->mem_files).
 * Returns 0, or CG_EIO/CG_ENOTFOUND when the root itself cannot be read
 * (one bad file is a note, never an error). Release with cg_model_release.
 */
int cg_model_build(struct cg_model *m, const struct cg_model_options *opt);
void cg_model_release(struct cg_model *m);
/* The source of `path`, NULL when the model did not read it; a text the
 * model dropped (cg_file.dropped) is read again first, so one thread at
 * a time. */
const struct cg_src *cg_model_find_src(const struct cg_model *m,
				       const char *path);
void cg_model_note(struct cg_model *m, const char *fmt, ...) CG_PRINTF(2, 3);

#endif
