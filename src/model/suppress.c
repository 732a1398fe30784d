/*
 * Inline suppressions: `# ciguard: ignore[rule-a,rule-b] reason`. A trailing
 * comment covers its own line; a comment alone on its line covers the next
 * line. Found by scanning the text, because libyaml drops comments. In
 * Markdown, where `#` is a heading, the comment is an HTML one:
 * `<!-- ciguard: ignore[matrix-doc-drift] reason -->`, its reason ending
 * before the `-->`, and none is looked for in fenced code blocks.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_int.h"
#include "core/banned.h"

static const char *skip_blank(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* `p` is just after "ignore["; parse ids up to ']'. */
static void parse_ids(struct cg_suppression *s, const struct cg_src *src,
		      const char *p, const char *end)
{
	size_t alloc = 0;

	while (p < end && *p != ']') {
		const char *id;

		p = skip_blank(p, end);
		id = p;
		while (p < end && *p != ',' && *p != ']' && *p != ' ' &&
		       *p != '\t')
			p++;
		if (p > id) {
			size_t k = s->nids;

			CG_GROW(s->ids, alloc, k + 1);
			s->id_pos =
			    cg_xrealloc(s->id_pos, alloc * sizeof(*s->id_pos));
			s->ids[k] = cg_xstrndup(id, (size_t)(p - id));
			s->id_pos[k] = cg_src_pos(src, (size_t)(id - src->text),
						  (size_t)(p - src->text));
			s->nids++;
		}
		p = skip_blank(p, end);
		if (p < end && *p == ',')
			p++;
	}
	s->used = cg_xcalloc(s->nids ? s->nids : 1, sizeof(*s->used));
}

static void scan_line(struct cg_model *m, const struct cg_src *src,
		      uint32_t line, bool html)
{
	size_t len;
	const char *text = cg_src_line(src, line, &len);
	const char *end = text + len;
	static const char marker[] = "ciguard:";

	for (const char *p = text; p < end; p++) {
		const char *q, *close;
		struct cg_suppression *s;
		bool own_line;

		size_t open = html ? 4 : 1;

		if ((size_t)(end - p) < open ||
		    memcmp(p, html ? "<!--" : "#", open) ||
		    (p > text && p[-1] != ' ' && p[-1] != '\t'))
			continue;
		q = skip_blank(p + open, end);
		if ((size_t)(end - q) < sizeof(marker) - 1 ||
		    memcmp(q, marker, sizeof(marker) - 1))
			continue;
		q = skip_blank(q + sizeof(marker) - 1, end);
		if ((size_t)(end - q) < 7 || memcmp(q, "ignore[", 7))
			continue;
		q += 7;
		close = memchr(q, ']', (size_t)(end - q));
		if (!close)
			continue;
		own_line = skip_blank(text, p) == p;
		CG_GROW(m->suppressions, m->suppressions_alloc,
			m->nsuppressions + 1);
		s = &m->suppressions[m->nsuppressions++];
		memset(s, 0, sizeof(*s));
		s->src = src;
		s->target_line = own_line ? line + 1 : line;
		s->pos = cg_src_pos(src, (size_t)(p - src->text),
				    (size_t)(end - src->text));
		parse_ids(s, src, q, close);
		q = skip_blank(close + 1, end);
		{
			const char *rend = end;

			for (const char *c = q; html && c + 3 <= end; c++)
				if (!memcmp(c, "-->", 3)) {
					rend = c;
					break;
				}
			while (rend > q &&
			       (rend[-1] == ' ' || rend[-1] == '\t'))
				rend--;
			s->reason = cg_xstrndup(q, (size_t)(rend - q));
		}
		return;
	}
}

void cg_collect_suppressions(struct cg_model *m, const struct cg_file *f)
{
	const struct cg_src *src = &f->src;
	bool fence = false;

	if (!strstr(src->text, "ciguard:"))
		return;
	for (uint32_t line = 1; line <= src->nlines; line++) {
		if (f->format == CG_FILE_MARKDOWN) {
			/* an example in a fenced code block is no comment */
			size_t len;
			const char *t = cg_src_line(src, line, &len);
			const char *p = skip_blank(t, t + len);

			if (p - t <= 3 && (size_t)(t + len - p) >= 3 &&
			    (!memcmp(p, "```", 3) || !memcmp(p, "~~~", 3))) {
				fence = !fence;
				continue;
			}
			if (fence)
				continue;
		}
		scan_line(m, src, line, f->format == CG_FILE_MARKDOWN);
	}
}
