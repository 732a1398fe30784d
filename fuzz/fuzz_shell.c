/*
 * libFuzzer target for the shell loader: any bytes parse without a crash,
 * a hang or a leak, and every offset in the tree lies within the script
 * with start <= end (abort() otherwise, so the fuzzer keeps the input).
 * The depth limit is small so that deep inputs reach CG_ELIMIT quickly.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "load/load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_list(const struct cg_sh_list *l, size_t len);

static void check_range(size_t start, size_t end, size_t len)
{
	if (start > end || end > len)
		abort();
}

static void check_word(const struct cg_sh_word *w, size_t len)
{
	if (!w->text || w->text[w->len] != '\0')
		abort();
	check_range(w->start, w->end, len);
}

static void check_cmd(const struct cg_sh_cmd *c, size_t len)
{
	size_t i, j;

	check_range(c->start, c->end, len);
	if ((c->nwords && !c->words) || (c->nassigns && !c->assigns) ||
	    (c->nredirs && !c->redirs) || (c->narms && !c->arms))
		abort();
	for (i = 0; i < c->nwords; i++)
		check_word(&c->words[i], len);
	for (i = 0; i < c->nassigns; i++)
		check_word(&c->assigns[i], len);
	for (i = 0; i < c->nredirs; i++) {
		check_range(c->redirs[i].start, c->redirs[i].end, len);
		check_range(c->redirs[i].body_start, c->redirs[i].body_end,
			    len);
		check_word(&c->redirs[i].target, len);
	}
	for (i = 0; i < 3; i++)
		if (c->body[i])
			check_list(c->body[i], len);
	for (i = 0; i < c->narms; i++) {
		if (!c->arms[i])
			abort();
		check_list(c->arms[i], len);
		for (j = 0; j < c->arm_npatterns[i]; j++)
			check_word(&c->arm_patterns[i][j], len);
	}
}

static void check_list(const struct cg_sh_list *l, size_t len)
{
	size_t i, j, k;

	if (l->n && !l->items)
		abort();
	for (i = 0; i < l->n; i++) {
		const struct cg_sh_andor *ao = &l->items[i];

		if (!ao->n || !ao->pipes)
			abort();
		check_range(ao->start, ao->end, len);
		for (j = 0; j + 1 < ao->n; j++) {
			if (ao->ops[j] != CG_SH_OP_AND &&
			    ao->ops[j] != CG_SH_OP_OR)
				abort();
			check_range(ao->op_start[j], ao->op_end[j], len);
		}
		for (j = 0; j < ao->n; j++) {
			const struct cg_sh_pipeline *pl = &ao->pipes[j];

			if (!pl->n || !pl->cmds)
				abort();
			check_range(pl->start, pl->end, len);
			for (k = 0; k + 1 < pl->n; k++)
				check_range(pl->pipe_start[k], pl->pipe_end[k],
					    len);
			for (k = 0; k < pl->n; k++)
				check_cmd(&pl->cmds[k], len);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cg_sh_script s;
	int err = cg_sh_parse(&s, (const char *)data, size, 32);

	if (err != 0 && err != CG_ELIMIT)
		abort();
	if (!s.top)
		abort();
	check_list(s.top, size);
	cg_sh_release(&s);
	return 0;
}
