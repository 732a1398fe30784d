/* A growable list of findings (struct cg_diag from ciguard/diag.h). */
#ifndef CG_DIAG_LIST_H
#define CG_DIAG_LIST_H

#include "ciguard/diag.h"

struct cg_diag_list {
	struct cg_diag *items;
	size_t n, alloc;
};

void cg_diag_list_init(struct cg_diag_list *l);
/*
 * Copies path, subject (NULL: ""), hint and message; keeps `rule` as given,
 * so it must outlive the list (a rule's static id). Returns the new entry
 * (valid until the next add).
 */
struct cg_diag *cg_diag_list_add(struct cg_diag_list *l, const char *rule,
				 enum cg_severity sev, const char *path,
				 const struct cg_pos *pos, const char *subject,
				 const char *hint, const char *message);
/* Move every entry of `from` to the end of `to`, in order; `from` is left
 * empty. */
void cg_diag_list_take(struct cg_diag_list *to, struct cg_diag_list *from);
/* By path, line, column, rule, message. */
void cg_diag_list_sort(struct cg_diag_list *l);
/* Drop exact repeats (same rule, path, position, message); sorted input. */
void cg_diag_list_dedupe(struct cg_diag_list *l);
/* Fill every fingerprint; call after sorting. */
void cg_diag_list_fingerprint(struct cg_diag_list *l);
void cg_diag_list_release(struct cg_diag_list *l);

#endif
