/* unused-suppression: emitted by the engine after filtering (check.c). */
#include "rules/rule.h"

const struct cg_rule cg_rule_unused_suppression = {
    .id = "unused-suppression",
    .layer = CG_LAYER_FULL,
    .severity = CG_SEV_NOTE,
    .summary = "a suppression comment that suppressed nothing",
    .explain = "`# ciguard: ignore[rule] reason` silences one finding: as a "
	       "trailing comment on its own line, alone on a line for the next "
	       "line. When the finding is gone (fixed, moved, or the id is "
	       "misspelt), the comment only hides the next real problem on "
	       "that line. It is reported in the full layer, for rules that "
	       "ran.\n"
	       "\n"
	       "Bad:\n"
	       "\n"
	       "    - run: pytest -q  # ciguard: ignore[masked-failure] flaky\n"
	       "\n"
	       "Good (the comment removed once the `|| true` is gone):\n"
	       "\n"
	       "    - run: pytest -q\n",
    .hint = "remove the comment, or fix the rule id",
    .check = NULL,
};
