/*
 * --format text: reads like a compiler's diagnostics.
 *
 *	path:line:col: severity: message [rule]
 *	<the source line>
 *	      ^~~~
 *	  hint: ...
 *
 * and a summary line at the end. Columns count code points, so the caret
 * line has one character per code point of the source line before the
 * caret; tabs are copied from the source line so both reach the same screen
 * column whatever the terminal's tab width. A tab inside the underline is
 * filled up to the next 8-column tab stop. A long line (minified JSON, a
 * 5 MB one-liner) is cut to a window of SHOW_MAX code points around the
 * caret, marked with "...", and only that window is walked. Control
 * characters from the checked files print as '?' so a file cannot send
 * escape sequences to the terminal; escape codes are written only when
 * colour is on.
 */
#include <stdint.h>
#include <string.h>

#include "report/report.h"
#include "report/shared.h"
#include "core/banned.h"

#define SHOW_MAX 200	/* code points of a source line shown at most */
#define SHOW_BEFORE 100 /* of them before the caret when the line is cut */
#define TAB_STOP 8

struct style {
	const char *location, *error, *warning, *note, *caret, *reset;
};

static const struct style plain = {"", "", "", "", "", ""};
static const struct style ansi = {
    "\033[1m",	  /* bold */
    "\033[1;31m", /* red */
    "\033[1;35m", /* magenta */
    "\033[1;36m", /* cyan */
    "\033[1;32m", /* green */
    "\033[0m",
};

static const char *severity_style(const struct style *st, enum cg_severity s)
{
	switch (s) {
	case CG_SEV_ERROR:
		return st->error;
	case CG_SEV_WARNING:
		return st->warning;
	case CG_SEV_NOTE:
	case CG_SEV_OFF:
		break;
	}
	return st->note;
}

static bool is_continuation(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

/*
 * The byte offset `n` code points after byte `i` of s[0..len), stopping at
 * the end; `*moved` (if not NULL) gets how many code points were crossed.
 */
static size_t advance(const char *s, size_t len, size_t i, size_t n,
		      size_t *moved)
{
	size_t k = 0;

	while (k < n && i < len) {
		i++;
		while (i < len && is_continuation(s[i]))
			i++;
		k++;
	}
	if (moved)
		*moved = k;
	return i;
}

/* The length of the well-formed UTF-8 sequence at s[i] (a lead byte and
 * its continuation bytes, no overlong form, no surrogate), else 0. */
static size_t utf8_at(const unsigned char *s, size_t len, size_t i)
{
	size_t n = s[i] >= 0xc2 && s[i] <= 0xdf	  ? 2
		   : s[i] >= 0xe0 && s[i] <= 0xef ? 3
		   : s[i] >= 0xf0 && s[i] <= 0xf4 ? 4
						  : 0;

	return n && len - i >= n && cg_utf8_valid((const char *)s + i, n) ? n
									  : 0;
}

/*
 * Write s[0..len) with C0 controls (but tab), DEL and C1 controls as '?':
 * one '?' per code point, so columns still line up. Bytes that are not
 * UTF-8 (a file the reader took as bytes: a WireMock mapping saved as
 * Latin-1) print as one '?' per byte that starts a character and nothing
 * for a stray continuation byte, as columns count them, so what is
 * written is always UTF-8.
 */
static void put_clean(FILE *out, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t run = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];
		size_t bad = 0, n;
		bool mark = true;

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			bad = 1;
		else if (c == 0xc2 && i + 1 < len && s[i + 1] >= 0x80 &&
			 s[i + 1] <= 0x9f)
			bad = 2;
		else if (c >= 0x80 && (n = utf8_at(s, len, i)) > 0) {
			i += n - 1;
			continue;
		} else if (c >= 0x80) {
			bad = 1;
			mark = c >= 0xc0;
		}
		if (!bad)
			continue;
		fwrite(s + run, 1, i - run, out);
		if (mark)
			fputc('?', out);
		i += bad - 1;
		run = i + 1;
	}
	fwrite(s + run, 1, len - run, out);
}

static void put_str(FILE *out, const char *s)
{
	put_clean(out, s, strlen(s));
}

static size_t next_tab_stop(size_t screen_col)
{
	return (screen_col / TAB_STOP + 1) * TAB_STOP;
}

/* The source line of `d` and a caret line under [col, end_col). */
static void show_source(FILE *out, const struct style *st,
			const struct cg_diag *d, const struct cg_src *src)
{
	const struct cg_pos *p = &d->pos;
	size_t len, moved, col, end, first, start_b, end_b, i, k;
	size_t screen_col = 0;
	const char *line = cg_src_line(src, p->line, &len);
	bool mark_first = true;

	if (!line)
		return;
	col = p->col ? p->col : 1;
	/* a column past the end points just after the last character */
	advance(line, len, 0, col - 1, &moved);
	if (moved < col - 1)
		col = moved + 1;
	if (p->end_line > p->line)
		end = SIZE_MAX; /* spans lines: underline to the end of this */
	else if (p->end_line == p->line && p->end_col > col)
		end = p->end_col;
	else
		end = col + 1;

	advance(line, len, 0, SHOW_MAX + 1, &moved);
	first =
	    (moved <= SHOW_MAX || col <= SHOW_BEFORE) ? 1 : col - SHOW_BEFORE;
	start_b = advance(line, len, 0, first - 1, NULL);
	end_b = advance(line, len, start_b, SHOW_MAX, NULL);

	if (first > 1) {
		fputs("...", out);
		screen_col = 3;
	}
	put_clean(out, line + start_b, end_b - start_b);
	if (end_b < len)
		fputs("...", out);
	fputc('\n', out);

	if (first > 1)
		fputs("   ", out);
	for (i = start_b, k = first; k < col; k++) {
		if (line[i] == '\t') {
			fputc('\t', out);
			screen_col = next_tab_stop(screen_col);
		} else {
			fputc(' ', out);
			screen_col++;
		}
		i = advance(line, len, i, 1, NULL);
	}
	fputs(st->caret, out);
	do {
		size_t stop = i < end_b && line[i] == '\t'
				  ? next_tab_stop(screen_col)
				  : screen_col + 1;

		fputc(mark_first ? '^' : '~', out);
		mark_first = false;
		for (screen_col++; screen_col < stop; screen_col++)
			fputc('~', out);
		i = advance(line, end_b, i, 1, NULL);
		k++;
	} while (k < end && i < end_b);
	fputs(st->reset, out);
	fputc('\n', out);
}

static void show_finding(FILE *out, const struct style *st,
			 const struct cg_diag *d,
			 const struct cg_report_input *in)
{
	const struct cg_src *src = NULL;

	fputs(st->location, out);
	put_str(out, d->path);
	if (d->pos.line)
		fprintf(out, ":%u:%u", (unsigned)d->pos.line,
			(unsigned)(d->pos.col ? d->pos.col : 1));
	fprintf(out, ":%s %s%s:%s ", st->reset, severity_style(st, d->severity),
		cg_severity_name(d->severity), st->reset);
	put_str(out, d->message);
	fputs(" [", out);
	put_str(out, d->rule);
	fputs("]\n", out);

	if (in->find_src && d->pos.line)
		src = in->find_src(in->find_src_ctx, d->path);
	if (src)
		show_source(out, st, d, src);
	if (d->hint) {
		fputs("  hint: ", out);
		put_str(out, d->hint);
		fputc('\n', out);
	}
}

static void put_count(FILE *out, size_t n, const char *what)
{
	fprintf(out, "%zu %s%s", n, what, n == 1 ? "" : "s");
}

static void show_summary(FILE *out, const struct cg_report_input *in)
{
	struct cg_report_counts c;

	cg_report_count(&c, in);
	if (!c.errors && !c.warnings && !c.notes) {
		fputs("no findings in ", out);
		put_count(out, in->files, "file");
		if (in->suppressed)
			fprintf(out, " (%zu suppressed)", in->suppressed);
		fputc('\n', out);
		return;
	}
	put_count(out, c.errors, "error");
	fputs(", ", out);
	put_count(out, c.warnings, "warning");
	fputs(", ", out);
	put_count(out, c.notes, "note");
	fprintf(out, " (%zu suppressed) in ", in->suppressed);
	put_count(out, in->files, "file");
	fputc('\n', out);
}

int cg_report_text(FILE *out, const struct cg_report_input *in)
{
	const struct style *st = in->color ? &ansi : &plain;

	for (size_t i = 0; i < in->diags->n; i++)
		if (cg_report_shown(&in->diags->items[i]))
			show_finding(out, st, &in->diags->items[i], in);
	show_summary(out, in);
	return cg_report_finish(out);
}
