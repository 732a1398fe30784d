/*
 * Markdown -> GFM tables with positions (see load.h). Only tables: the
 * model reads tables that document the service connectivity matrix, and
 * nothing else of a Markdown file.
 *
 * The text is walked line by line. A line opens a table when it holds a
 * `|`, the next line is a delimiter row and both have the same number of
 * cells (GFM's rule); the table then takes every following line up to a
 * blank one or one without `|`. Fenced code blocks, indented code (four
 * spaces or a tab, outside a table) and HTML comments are skipped, so a
 * table shown as an example in a code block is not a table. Rows and
 * cells are bounded (CG_MD_MAX_TABLES, CG_MD_MAX_CELLS); everything lives
 * in the document's arena.
 */
#include <stdlib.h>
#include <string.h>

#include "load/load.h"
#include "core/banned.h"

struct line {
	size_t start, end; /* without the newline */
};

static bool blank(const char *s, size_t a, size_t b)
{
	for (; a < b; a++)
		if (s[a] != ' ' && s[a] != '\t' && s[a] != '\r')
			return false;
	return true;
}

static size_t indent(const char *s, size_t a, size_t b)
{
	size_t n = 0;

	for (; a < b && (s[a] == ' ' || s[a] == '\t'); a++)
		n += s[a] == '\t' ? 4 - n % 4 : 1;
	return n;
}

/* A fence opener/closer: three or more ` or ~ after at most 3 spaces. */
static size_t fence(const char *s, size_t a, size_t b, char *ch)
{
	size_t n = 0;

	if (indent(s, a, b) > 3)
		return 0;
	while (a < b && s[a] == ' ')
		a++;
	if (a >= b || (s[a] != '`' && s[a] != '~'))
		return 0;
	*ch = s[a];
	while (a + n < b && s[a + n] == *ch)
		n++;
	return n >= 3 ? n : 0;
}

static const char *find(const char *s, size_t n, const char *what)
{
	size_t w = strlen(what);

	for (size_t i = 0; i + w <= n; i++)
		if (!memcmp(s + i, what, w))
			return s + i;
	return NULL;
}

static bool has_pipe(const char *s, size_t a, size_t b)
{
	for (; a < b; a++)
		if (s[a] == '|' && (a == 0 || s[a - 1] != '\\'))
			return true;
	return false;
}

/* Raw cells of a row: [start, end) of each, trimmed. */
static size_t split(const char *s, size_t a, size_t b, size_t *starts,
		    size_t *ends, size_t max)
{
	size_t n = 0, cell;

	while (a < b && (s[a] == ' ' || s[a] == '\t'))
		a++;
	while (b > a &&
	       (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r'))
		b--;
	if (a < b && s[a] == '|')
		a++;
	if (b > a && s[b - 1] == '|' && (b - 1 == a || s[b - 2] != '\\'))
		b--;
	cell = a;
	for (size_t i = a; i <= b; i++) {
		size_t cs = cell, ce = i;

		if (i < b && s[i] == '\\' && i + 1 < b) {
			i++;
			continue;
		}
		if (i < b && s[i] != '|')
			continue;
		while (cs < ce && (s[cs] == ' ' || s[cs] == '\t'))
			cs++;
		while (ce > cs && (s[ce - 1] == ' ' || s[ce - 1] == '\t'))
			ce--;
		if (n < max) {
			starts[n] = cs;
			ends[n] = ce;
		}
		n++;
		cell = i + 1;
	}
	return n;
}

static bool delimiter_cell(const char *s, size_t a, size_t b)
{
	size_t dashes = 0;

	if (a < b && s[a] == ':')
		a++;
	if (b > a && s[b - 1] == ':')
		b--;
	for (; a < b; a++) {
		if (s[a] != '-')
			return false;
		dashes++;
	}
	return dashes > 0;
}

static size_t delimiter_row(const char *s, size_t a, size_t b)
{
	size_t st[CG_MD_MAX_CELLS], en[CG_MD_MAX_CELLS], n;

	if (!has_pipe(s, a, b) && !delimiter_cell(s, a, b))
		return 0;
	n = split(s, a, b, st, en, CG_MD_MAX_CELLS);
	for (size_t i = 0; i < n && i < CG_MD_MAX_CELLS; i++)
		if (!delimiter_cell(s, st[i], en[i]))
			return 0;
	return n;
}

static bool punct(char c)
{
	return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') ||
	       (c >= '[' && c <= '`') || (c >= '{' && c <= '~');
}

/* The cell's text: escapes undone, backticks dropped, emphasis around the
 * whole cell, a link's text, an autolink's URL. */
static char *cell_text(struct cg_arena *arena, const char *s, size_t a,
		       size_t b)
{
	char *out = cg_arena_alloc(arena, b - a + 1);
	size_t n = 0, lo, hi;

	for (size_t i = a; i < b; i++) {
		if (s[i] == '\\' && i + 1 < b && punct(s[i + 1])) {
			out[n++] = s[++i];
			continue;
		}
		if (s[i] == '`')
			continue;
		out[n++] = s[i];
	}
	out[n] = '\0';
	lo = 0;
	hi = n;
	while (hi - lo >= 2 && out[lo] == out[hi - 1] &&
	       (out[lo] == '*' || out[lo] == '_'))
		lo++, hi--;
	if (hi - lo >= 2 && out[lo] == '<' && out[hi - 1] == '>')
		lo++, hi--;
	if (hi > lo && out[lo] == '[' && out[hi - 1] == ')') {
		char *mid = strstr(out + lo, "](");

		if (mid && mid < out + hi)
			hi = (size_t)(mid - out), lo++;
	}
	while (lo < hi && (out[lo] == ' ' || out[lo] == '\t'))
		lo++;
	while (hi > lo && (out[hi - 1] == ' ' || out[hi - 1] == '\t'))
		hi--;
	out[hi] = '\0';
	return out + lo;
}

static void fill_row(struct cg_arena *arena, const char *s,
		     const struct line *l, struct cg_md_row *row)
{
	size_t st[CG_MD_MAX_CELLS], en[CG_MD_MAX_CELLS];
	size_t n = split(s, l->start, l->end, st, en, CG_MD_MAX_CELLS);

	if (n > CG_MD_MAX_CELLS)
		n = CG_MD_MAX_CELLS;
	row->start = l->start;
	row->end = l->end;
	row->ncells = n;
	row->cells = cg_arena_alloc(arena, (n ? n : 1) * sizeof(*row->cells));
	for (size_t i = 0; i < n; i++) {
		row->cells[i].start = st[i];
		row->cells[i].end = en[i];
		row->cells[i].text = cell_text(arena, s, st[i], en[i]);
	}
}

static size_t header_cells(const char *s, const struct line *l)
{
	size_t st[CG_MD_MAX_CELLS], en[CG_MD_MAX_CELLS];

	if (!has_pipe(s, l->start, l->end))
		return 0;
	return split(s, l->start, l->end, st, en, CG_MD_MAX_CELLS);
}

int cg_md_load(struct cg_md_doc *out, const struct cg_src *src)
{
	const char *s = src->text;
	struct line *lines = NULL;
	size_t nlines = 0, alloc = 0, tables_alloc = 0;
	bool in_comment = false;
	char fch = 0;
	size_t flen = 0;

	memset(out, 0, sizeof(*out));
	cg_arena_init(&out->arena);
	for (size_t a = 0; a <= src->len;) {
		const char *nl = memchr(s + a, '\n', src->len - a);
		size_t e = nl ? (size_t)(nl - s) : src->len;

		CG_GROW(lines, alloc, nlines + 1);
		lines[nlines].start = a;
		lines[nlines].end = e > a && s[e - 1] == '\r' ? e - 1 : e;
		nlines++;
		if (!nl)
			break;
		a = e + 1;
	}
	for (size_t i = 0; i < nlines; i++) {
		const struct line *l = &lines[i];
		size_t n, ncols;
		char ch;

		if (flen) { /* inside a fenced block: wait for its closer */
			size_t k = fence(s, l->start, l->end, &ch);

			if (k >= flen && ch == fch &&
			    blank(s, l->start + indent(s, l->start, l->end) + k,
				  l->end))
				flen = 0;
			continue;
		}
		if (in_comment) {
			const char *c =
			    find(s + l->start, l->end - l->start, "-->");

			if (c)
				in_comment = false;
			continue;
		}
		if ((n = fence(s, l->start, l->end, &ch))) {
			fch = ch;
			flen = n;
			continue;
		}
		if (indent(s, l->start, l->end) >= 4)
			continue;
		{
			const char *o =
			    find(s + l->start, l->end - l->start, "<!--");

			if (o && !find(o, (size_t)(s + l->end - o), "-->")) {
				in_comment = true;
				continue;
			}
		}
		if (i + 1 >= nlines || !(ncols = header_cells(s, l)) ||
		    delimiter_row(s, lines[i + 1].start, lines[i + 1].end) !=
			ncols ||
		    indent(s, lines[i + 1].start, lines[i + 1].end) >= 4)
			continue;
		if (out->ntables >= CG_MD_MAX_TABLES)
			break;
		CG_GROW(out->tables, tables_alloc, out->ntables + 1);
		{
			struct cg_md_table *t = &out->tables[out->ntables++];
			size_t j = i + 2, rows_alloc = 0;

			memset(t, 0, sizeof(*t));
			fill_row(&out->arena, s, l, &t->header);
			for (; j < nlines; j++) {
				const struct line *r = &lines[j];

				if (blank(s, r->start, r->end) ||
				    !has_pipe(s, r->start, r->end))
					break;
				if (t->nrows == rows_alloc) {
					struct cg_md_row *nr;

					rows_alloc =
					    rows_alloc ? 2 * rows_alloc : 16;
					nr = cg_arena_alloc(&out->arena,
							    rows_alloc *
								sizeof(*nr));
					if (t->nrows)
						memcpy(nr, t->rows,
						       t->nrows * sizeof(*nr));
					t->rows = nr;
				}
				fill_row(&out->arena, s, r,
					 &t->rows[t->nrows++]);
			}
			i = j - 1;
		}
	}
	free(lines);
	return 0;
}

void cg_md_release(struct cg_md_doc *d)
{
	free(d->tables);
	cg_arena_release(&d->arena);
	memset(d, 0, sizeof(*d));
}
