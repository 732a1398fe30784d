/* The command-line tool: one function per subcommand. */
#ifndef CG_CLI_H
#define CG_CLI_H

#include <stdbool.h>
#include <stdio.h>

int cmd_check(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_env(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_slots(int argc, char **argv);
int cmd_hooks(int argc, char **argv);
int cmd_matrix(int argc, char **argv);
int cmd_completion(int argc, char **argv);
int cmd_flaky(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_rca(int argc, char **argv);

/* Each command's options (opt.h): its --help, and the completions. */
struct cli_spec;
extern const struct cli_spec cli_check_spec, cli_rules_spec, cli_explain_spec,
    cli_env_spec, cli_matrix_spec, cli_wait_spec, cli_slots_spec,
    cli_hooks_spec, cli_flaky_spec, cli_doctor_spec, cli_rca_spec;

/* The commands of `ciguard` (main.c), for main and the completions. */
struct cli_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const struct cli_spec *spec; /* NULL: takes no options */
	/* its first argument is one of these words (NULL-terminated), or
	 * NULL for a path or free text */
	const char *const *verbs;
	const char *summary; /* one line, for the completions */
};
extern const struct cli_command cli_commands[];
extern const size_t cli_ncommands;

struct cg_check_result;
/*
 * The model of the repository at `root` (NULL: the enclosing git work
 * tree, else the current folder) with `config` (NULL: ROOT/.ciguard.yml
 * when present), read as `ciguard check` reads it, running rule `rule`
 * only. NULL after a one-line message on stderr. Free the result with
 * cg_check_result_free; cg_check_result_model gives the model.
 */
struct cg_check_result *cli_repo_model(const char *root, const char *config,
				       const char *rule);

/* "500ms", "10s", "2m", "1h", "3" (seconds) -> milliseconds; -1 if bad. */
int cli_parse_duration(const char *s, long *out_ms);

/* For a rediss:// URL with ?ssl_cert_reqs=none, warn on stderr that the
 * certificate is not checked ("ciguard: CMD: warning: ..."). */
void cli_warn_unverified(const char *cmd, const char *url);

/* Print "ciguard: <msg>" to stderr; returns 2 (the usage/tool-failure
 * exit code) for `return cli_fail(...)`. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool cli_is_help(const char *arg);

#endif
