/*
 * libFuzzer target for the Markdown table reader: it must never fail, a
 * table's rows lie on lines of the file in order, each cell's raw bytes
 * lie inside its row, and no row holds more than CG_MD_MAX_CELLS cells.
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

static void row(const struct cg_src *src, const struct cg_md_row *r)
{
	check(r->start <= r->end && r->end <= src->len, "row outside file");
	check(r->ncells <= CG_MD_MAX_CELLS, "too many cells");
	for (size_t i = 0; i < r->ncells; i++) {
		const struct cg_md_cell *c = &r->cells[i];

		check(c->text != NULL, "cell without text");
		check(r->start <= c->start && c->start <= c->end &&
			  c->end <= r->end,
		      "cell outside its row");
		check(strlen(c->text) <= c->end - c->start,
		      "cell text longer than the cell");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cg_src src;
	struct cg_md_doc doc;

	if (!cg_utf8_valid((const char *)data, size))
		return 0;
	cg_src_init_mem(&src, "README.md", (const char *)data, size);
	check(cg_md_load(&doc, &src) == 0, "markdown load failed");
	check(doc.ntables <= CG_MD_MAX_TABLES, "too many tables");
	for (size_t t = 0; t < doc.ntables; t++) {
		const struct cg_md_table *tb = &doc.tables[t];
		size_t prev = tb->header.end;

		row(&src, &tb->header);
		for (size_t r = 0; r < tb->nrows; r++) {
			row(&src, &tb->rows[r]);
			check(tb->rows[r].start > prev, "rows out of order");
			prev = tb->rows[r].end;
		}
	}
	cg_md_release(&doc);
	cg_src_release(&src);
	return 0;
}
