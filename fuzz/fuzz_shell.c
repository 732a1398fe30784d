/*
 * libFuzzer target for the shell loader: any bytes parse without a crash,
 * a hang or a leak, and the tree's offsets are consistent (abort()
 * otherwise, so the fuzzer keeps the input): every offset lies within the
 * script with start <= end, list items and the operands of `&&`/`||`/`|`
 * come in source order with their operator between them, and every word,
 * redirection and nested list lies inside its command. The depth limit is
 * small so that deep inputs reach CG_ELIMIT quickly.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "load/load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_list(const struct cg_sh_list *l, size_t lo, size_t hi);

/* the length of the script being checked (heredoc bodies lie outside
 * their command) */
static size_t script_len;

/* [start, end] is a range inside [lo, hi]. */
static void check_range(size_t start, size_t end, size_t lo, size_t hi)
{
	if (start > end || start < lo || end > hi)
		abort();
}

static void check_word(const struct cg_sh_word *w, size_t lo, size_t hi)
{
	if (!w->text || w->text[w->len] != '\0')
		abort();
	check_range(w->start, w->end, lo, hi);
}

static void check_words(const struct cg_sh_word *w, size_t n, size_t lo,
			size_t hi)
{
	size_t i;

	if (n && !w)
		abort();
	for (i = 0; i < n; i++) {
		check_word(&w[i], lo, hi);
		if (i && w[i].start < w[i - 1].end)
			abort();
	}
}

static void check_cmd(const struct cg_sh_cmd *c)
{
	size_t i;

	check_words(c->words, c->nwords, c->start, c->end);
	check_words(c->assigns, c->nassigns, c->start, c->end);
	if (c->nredirs && !c->redirs)
		abort();
	for (i = 0; i < c->nredirs; i++) {
		const struct cg_sh_redir *r = &c->redirs[i];

		check_range(r->start, r->end, c->start, c->end);
		check_word(&r->target, r->start, r->end);
		check_range(r->body_start, r->body_end, 0, script_len);
		if (i && r->start < c->redirs[i - 1].end)
			abort();
	}
	for (i = 0; i < 3; i++)
		if (c->body[i])
			check_list(c->body[i], c->start, c->end);
	if (c->narms && (!c->arms || !c->arm_patterns || !c->arm_npatterns))
		abort();
	for (i = 0; i < c->narms; i++) {
		if (!c->arms[i])
			abort();
		check_words(c->arm_patterns[i], c->arm_npatterns[i], c->start,
			    c->end);
		check_list(c->arms[i], c->start, c->end);
	}
}

static void check_pipeline(const struct cg_sh_pipeline *pl, size_t lo,
			   size_t hi)
{
	size_t k;

	if (!pl->n || !pl->cmds)
		abort();
	check_range(pl->start, pl->end, lo, hi);
	for (k = 0; k < pl->n; k++) {
		check_range(pl->cmds[k].start, pl->cmds[k].end, pl->start,
			    pl->end);
		check_cmd(&pl->cmds[k]);
		if (!k)
			continue;
		check_range(pl->pipe_start[k - 1], pl->pipe_end[k - 1],
			    pl->cmds[k - 1].end, pl->cmds[k].start);
		if (pl->pipe_start[k - 1] == pl->pipe_end[k - 1])
			abort();
	}
}

static void check_list(const struct cg_sh_list *l, size_t lo, size_t hi)
{
	size_t i, j;

	if (!l || (l->n && !l->items))
		abort();
	for (i = 0; i < l->n; i++) {
		const struct cg_sh_andor *ao = &l->items[i];

		if (!ao->n || !ao->pipes)
			abort();
		check_range(ao->start, ao->end, lo, hi);
		if (i && ao->start < l->items[i - 1].end)
			abort();
		if (ao->start != ao->pipes[0].start ||
		    ao->end != ao->pipes[ao->n - 1].end)
			abort();
		for (j = 0; j < ao->n; j++) {
			check_pipeline(&ao->pipes[j], ao->start, ao->end);
			if (!j)
				continue;
			if (ao->ops[j - 1] != CG_SH_OP_AND &&
			    ao->ops[j - 1] != CG_SH_OP_OR)
				abort();
			check_range(ao->op_start[j - 1], ao->op_end[j - 1],
				    ao->pipes[j - 1].end, ao->pipes[j].start);
			if (ao->op_end[j - 1] - ao->op_start[j - 1] < 2)
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cg_sh_script s;
	int err = cg_sh_parse(&s, (const char *)data, size, 32);

	if (err != 0 && err != CG_ELIMIT)
		abort();
	script_len = size;
	check_list(s.top, 0, size);
	cg_sh_release(&s);
	return 0;
}
