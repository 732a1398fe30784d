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
int cmd_doctor(int argc, char **argv);

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
