/*
 * The repository's model for the commands that print what it knows
 * (`ciguard env`, `ciguard matrix`): read as `ciguard check` reads it (the
 * root, .ciguard.yml, the full layer), through cg_check with one rule, so
 * that the root, the configuration and their errors are check's own.
 */
#include <stddef.h>

#include "ciguard/check.h"
#include "cli/cli.h"
#include "core/banned.h"

struct cg_check_result *cli_repo_model(const char *root, const char *config,
				       const char *rule)
{
	const char *only[] = {rule};
	struct cg_check_opts opt = {0};
	struct cg_check_result *res;

	opt.root = root;
	opt.config = config;
	opt.rules = only;
	opt.nrules = 1;
	if (cg_check(&res, &opt) < 0) {
		cli_fail("%s", cg_check_last_error());
		return NULL;
	}
	return res;
}
