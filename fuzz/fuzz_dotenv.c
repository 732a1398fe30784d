/*
 * libFuzzer target for the dotenv loader: it must never fail, and every
 * entry must point at its own key (and, when unquoted, its own value) in
 * the source; every problem must have a message and a position in the file.
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

/* Byte offsets of `p`, checked to lie inside the file and in order. */
static void span(const struct cg_src *src, struct cg_pos p, size_t *start,
		 size_t *end)
{
	check(p.line >= 1 && p.line <= src->nlines && p.col >= 1,
	      "position outside file");
	check(p.end_line > p.line ||
		  (p.end_line == p.line && p.end_col >= p.col),
	      "position ends before it starts");
	*start = cg_src_offset(src, p.line, p.col);
	*end = cg_src_offset(src, p.end_line, p.end_col);
	check(*start <= *end && *end <= src->len, "span outside file");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cg_src src;
	struct cg_dotenv env;
	size_t start, end;
	bool has_nul = memchr(data, '\0', size) != NULL;

	if (!cg_utf8_valid((const char *)data, size))
		return 0;
	cg_src_init_mem(&src, ".env", (const char *)data, size);
	check(cg_dotenv_load(&env, &src) == 0, "dotenv load failed");
	for (size_t k = 0; k < env.n; k++) {
		const struct cg_env_entry *e = &env.entries[k];
		size_t klen;

		check(e->key && e->value, "entry without key or value");
		klen = strlen(e->key);
		span(&src, e->key_pos, &start, &end);
		check(klen > 0 && end - start == klen &&
			  !memcmp(src.text + start, e->key, klen),
		      "key_pos is not the key");
		span(&src, e->value_pos, &start, &end);
		if (e->quoted)
			check(end - start >= 2 &&
				  (src.text[start] == '"' ||
				   src.text[start] == '\'') &&
				  src.text[end - 1] == src.text[start],
			      "quoted value_pos is not between quotes");
		else
			check(strlen(e->value) <= end - start &&
				  !memcmp(src.text + start, e->value,
					  end - start),
			      "value_pos is not the value");
		/* (a NUL byte, which only a test can feed, ends a string) */
		check(!e->comment || e->comment[0] != '\0' || has_nul,
		      "empty comment instead of NULL");
	}
	for (size_t k = 0; k < env.nproblems; k++) {
		check(env.problems[k].message && env.problems[k].message[0],
		      "problem without a message");
		span(&src, env.problems[k].pos, &start, &end);
	}
	cg_dotenv_release(&env);
	cg_src_release(&src);
	return 0;
}
