/*
 * libFuzzer target for the Dockerfile reader: it must never fail, every
 * CMD/ENTRYPOINT must have its words and a span inside the file, every
 * ENV must have a name, every name and FROM image a span that starts
 * with it (a word may run over a line continuation, so its span may be
 * longer), and every span must lie inside the file, in order.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load/load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "invariant violated: %s\n", what);
		abort();
	}
}

static void in_file(const struct cg_src *src, uint32_t s, uint32_t e)
{
	check(s <= e && e <= src->len, "span outside file");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cg_src src;
	struct cg_dockerfile d;

	if (!cg_utf8_valid((const char *)data, size) ||
	    memchr(data, '\0', size))
		return 0;
	cg_src_init_mem(&src, "Dockerfile", (const char *)data, size);
	check(cg_dockerfile_load(&d, &src) == 0, "load failed");
	for (size_t i = 0; i < d.nstages; i++) {
		const struct cg_df_stage *st = &d.stages[i];

		in_file(&src, st->from_start, st->from_end);
		/* a word may run over a line continuation, so a span
		 * starts with its word but may be longer */
		if (st->from)
			check(st->from_end > st->from_start &&
				  src.text[st->from_start] == st->from[0],
			      "from span does not start with the image");
		const struct cg_df_command *cmds[2] = {&st->cmd,
						       &st->entrypoint};

		for (int c = 0; c < 2; c++) {
			const struct cg_df_command *x = cmds[c];

			if (!x->text)
				continue;
			in_file(&src, x->start, x->end);
			check(x->argc == 0 || x->argv, "argc without argv");
			for (size_t k = 0; k < x->argc; k++)
				check(x->argv[k] != NULL, "NULL word");
		}
		for (size_t k = 0; k < st->nenv; k++) {
			const struct cg_df_env *e = &st->env[k];

			check(e->name && *e->name && e->value,
			      "env without a name or value");
			in_file(&src, e->name_start, e->name_end);
			in_file(&src, e->value_start, e->value_end);
			check(e->name_end > e->name_start &&
				  src.text[e->name_start] == e->name[0],
			      "name span does not start with the name");
		}
	}
	cg_dockerfile_release(&d);
	cg_src_release(&src);
	return 0;
}
