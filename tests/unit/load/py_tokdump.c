/*
 * Print the tokens of each Python file named on the command line, one a
 * line, as tests/unit/load/py_tokens.py compares them with Python's own
 * tokenize module: "KIND line col end_line end_col" with 0-based columns
 * (as tokenize reports them), then "END" after each file. Exit 2 when a
 * file cannot be read or tokenized.
 */
#include <stdio.h>
#include <stdlib.h>

#include "load/load.h"

static int dump(const char *path)
{
	struct cg_py_tokens toks;
	struct cg_buf text = CG_BUF_INIT;
	char chunk[65536];
	size_t n;
	FILE *f = fopen(path, "rb");
	int err = 0;

	if (!f) {
		fprintf(stderr, "cannot open '%s'\n", path);
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (cg_buf_add(&text, chunk, n) < 0)
			break;
	fclose(f);
	if ((err = cg_py_tokenize(&toks, text.buf, text.len)) < 0) {
		fprintf(stderr, "%s: %s\n", path, cg_error_last());
		goto out;
	}
	for (size_t k = 0; k < toks.n; k++) {
		const struct cg_py_token *t = &toks.toks[k];

		printf("%s %u %u %u %u\n", cg_py_tok_name(t->kind), t->line,
		       t->col - 1, t->end_line, t->end_col - 1);
	}
	printf("END\n");
out:
	cg_py_tokens_release(&toks);
	cg_buf_release(&text);
	return err;
}

int main(int argc, char **argv)
{
	int status = 0;

	for (int i = 1; i < argc; i++)
		if (dump(argv[i]) < 0)
			status = 2;
	return status;
}
