/* Scripts embedded in YAML scalars: parse and map back to the file. */
#include <stdlib.h>
#include <string.h>

#include "model/model_int.h"
#include "core/banned.h"

#define SCRIPT_MAX_DEPTH 200

struct cg_script *cg_script_new(struct cg_model *m, const struct cg_src *src,
				const struct cg_node *node)
{
	struct cg_script *s;

	if (!cg_node_is_scalar(node))
		return NULL;
	s = cg_xcalloc(1, sizeof(*s));
	s->src = src;
	s->node = node;
	if (cg_sh_parse_in(&s->sh, &m->arena, node->str, node->len,
			   SCRIPT_MAX_DEPTH) < 0) {
		struct cg_pos p = node->pos;

		cg_model_note(m, "%s:%u:%u: script not checked: %s", src->path,
			      p.line, p.col, cg_error_last());
		cg_script_free(s);
		return NULL;
	}
	return s;
}

void cg_script_free(struct cg_script *s)
{
	if (!s)
		return;
	cg_sh_release(&s->sh);
	free(s->offsets);
	free(s);
}

static size_t file_offset(const struct cg_script *cs, size_t off)
{
	/* the map is built on the first finding: most scripts never need it
	 * (the model is read-only for rules; this cache is the exception) */
	struct cg_script *s = (struct cg_script *)cs;

	if (!s->offsets_done) {
		s->offsets_done = true;
		if (cg_scalar_offsets(s->src, s->node, &s->offsets) < 0)
			s->offsets = NULL;
	}
	if (!s->offsets)
		return s->node->start;
	if (off > s->node->len)
		off = s->node->len;
	return s->offsets[off];
}

struct cg_pos cg_script_pos(const struct cg_script *s, size_t start, size_t end)
{
	size_t fs = file_offset(s, start);
	size_t fe;

	/* the end is just past the last byte, which may sit on a later line
	 * than the byte after it (a folded line break) */
	fe = end > start ? file_offset(s, end - 1) + 1 : fs;
	if (fe > s->src->len)
		fe = s->src->len;
	return cg_src_pos(s->src, fs, fe < fs ? fs : fe);
}
