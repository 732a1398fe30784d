/* The rule table, expanded from rules.def [ctags PARSER_LIST]. */
#include <string.h>

#include "rules/rule.h"
#include "core/banned.h"

const struct cg_rule *const cg_rules[] = {
#define CG_RULE(name) &cg_rule_##name,
#include "rules/rules.def"
#undef CG_RULE
};

const size_t cg_nrules = sizeof(cg_rules) / sizeof(*cg_rules);

const struct cg_rule *cg_rule_find(const char *id)
{
	for (size_t i = 0; i < cg_nrules; i++)
		if (!strcmp(cg_rules[i]->id, id))
			return cg_rules[i];
	return NULL;
}

enum cg_severity cg_rule_severity(const struct cg_rule *r,
				  const struct cg_config *config)
{
	enum cg_severity sev = r->severity;

	if (config)
		for (size_t i = 0; i < config->nrules; i++)
			if (!strcmp(config->rules[i].id, r->id))
				sev = config->rules[i].severity;
	return sev;
}
