/* Scripts embedded in YAML scalars: parse and map back to the file. */
#include <stdlib.h>
#include <string.h>

#include "model/model_int.h"
#include "core/banned.h"

#define SCRIPT_MAX_DEPTH 200

/* `bash -c '...'` inside `bash -c '...'` ... : this deep at most */
#define NESTED_MAX_DEPTH 4

static const char *const shells[] = {"sh", "bash", "dash", "zsh", "ksh", "ash"};

/* The last path component of a literal word: "/bin/bash" -> "bash". */
static const char *base_name(const struct cg_sh_word *w)
{
	const char *slash = strrchr(w->text, '/');

	return slash ? slash + 1 : w->text;
}

static bool is_shell(const struct cg_sh_word *w)
{
	if (w->expands || w->quoted)
		return false;
	for (size_t i = 0; i < sizeof(shells) / sizeof(*shells); i++)
		if (!strcmp(base_name(w), shells[i]))
			return true;
	return false;
}

/*
 * The word's text is the script's bytes [start + 1, end - 1): a string in
 * single quotes, or in double quotes with nothing the shell would change
 * (no $, `, or backslash).
 */
static bool literal_string(const struct cg_script *s,
			   const struct cg_sh_word *w)
{
	const char *raw = s->sh.text + w->start;
	size_t n = w->end - w->start;

	if (w->expands || n < 2 || w->len != n - 2 || raw[0] != raw[n - 1] ||
	    (raw[0] != '\'' && raw[0] != '"'))
		return false;
	if (memcmp(raw + 1, w->text, w->len) != 0)
		return false;
	return raw[0] == '\'' || !memchr(w->text, '\\', w->len);
}

static void find_nested(struct cg_model *m, struct cg_script *s,
			const struct cg_sh_list *list, unsigned depth);

/*
 * Words i.. of cmd: a shell, its flags, then with -c the script string.
 * `echo bash -c x` and friends print rather than run, so a shell counts
 * only as the command or after a word that is not a printer.
 */
static void nested_at(struct cg_model *m, struct cg_script *s,
		      const struct cg_sh_cmd *cmd, size_t i, unsigned depth)
{
	bool has_c = false, errexit = false, pipefail = false;
	bool want_option = false, option_on = false;
	size_t j;

	for (j = i + 1; j < cmd->nwords; j++) {
		const struct cg_sh_word *w = &cmd->words[j];
		const char *t = w->text;

		if (w->expands)
			return;
		if (want_option) {
			if (!strcmp(t, "pipefail"))
				pipefail = option_on;
			else if (!strcmp(t, "errexit"))
				errexit = option_on;
			want_option = false;
			continue;
		}
		if (!strcmp(t, "--")) {
			j++;
			break;
		}
		if ((t[0] != '-' && t[0] != '+') || !t[1])
			break;
		if (t[1] == '-') { /* --login, --norc, --rcfile FILE, ... */
			if (!strcmp(t, "--rcfile") || !strcmp(t, "--init-file"))
				j++;
			continue;
		}
		for (const char *c = t + 1; *c; c++) {
			if (*c == 'c')
				has_c = true;
			else if (*c == 'e')
				errexit = t[0] == '-';
			else if (*c == 'o') {
				want_option = true;
				option_on = t[0] == '-';
			}
		}
	}
	if (!has_c || j >= cmd->nwords || !literal_string(s, &cmd->words[j]))
		return;
	{
		const struct cg_sh_word *str = &cmd->words[j];
		struct cg_script *n = cg_xcalloc(1, sizeof(*n));
		struct cg_nested_script *ns;

		n->src = s->src;
		n->node = s->node;
		n->parent = s;
		n->base = str->start + 1;
		if (cg_sh_parse_in(&n->sh, &m->arena, s->sh.text + n->base,
				   str->len, SCRIPT_MAX_DEPTH) < 0) {
			cg_script_free(n);
			return;
		}
		s->nested = cg_xrealloc(s->nested,
					(s->nnested + 1) * sizeof(*s->nested));
		ns = &s->nested[s->nnested++];
		memset(ns, 0, sizeof(*ns));
		ns->script = n;
		ns->shell.kind = CG_SHELL_POSIX;
		ns->shell.errexit = errexit;
		ns->shell.pipefail = pipefail;
		ns->shell.describe = cg_arena_strndup(
		    &m->arena, s->sh.text + cmd->words[i].start,
		    cmd->words[j - 1].end - cmd->words[i].start);
		ns->shell.src = s->src;
		ns->shell.by_script = s;
		ns->shell.by_start = cmd->words[i].start;
		ns->shell.by_end = cmd->words[j - 1].end;
		if (depth + 1 < NESTED_MAX_DEPTH)
			find_nested(m, n, n->sh.top, depth + 1);
	}
}

static void find_nested_cmd(struct cg_model *m, struct cg_script *s,
			    const struct cg_sh_cmd *cmd, unsigned depth)
{
	static const char *const printers[] = {"echo",	  "printf", "cat",
					       "grep",	  "which",  "type",
					       "command", "hash"};

	for (size_t b = 0; b < 3; b++)
		if (cmd->body[b])
			find_nested(m, s, cmd->body[b], depth);
	for (size_t a = 0; a < cmd->narms; a++)
		find_nested(m, s, cmd->arms[a], depth);
	if (cmd->kind != CG_SH_SIMPLE || !cmd->nwords)
		return;
	for (size_t k = 0; k < sizeof(printers) / sizeof(*printers); k++)
		if (!strcmp(cmd->words[0].text, printers[k]))
			return;
	for (size_t i = 0; i + 1 < cmd->nwords; i++)
		if (is_shell(&cmd->words[i])) {
			nested_at(m, s, cmd, i, depth);
			return;
		}
}

static void find_nested(struct cg_model *m, struct cg_script *s,
			const struct cg_sh_list *list, unsigned depth)
{
	for (size_t i = 0; list && i < list->n; i++) {
		const struct cg_sh_andor *ao = &list->items[i];

		for (size_t p = 0; p < ao->n; p++)
			for (size_t c = 0; c < ao->pipes[p].n; c++)
				find_nested_cmd(m, s, &ao->pipes[p].cmds[c],
						depth);
	}
}

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
	find_nested(m, s, s->sh.top, 0);
	return s;
}

void cg_script_free(struct cg_script *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nnested; i++)
		cg_script_free(s->nested[i].script);
	free(s->nested);
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
	if (s->parent)
		return cg_script_pos(s->parent, s->base + start, s->base + end);
	size_t fs = file_offset(s, start);
	size_t fe;

	/* the end is just past the last byte, which may sit on a later line
	 * than the byte after it (a folded line break) */
	fe = end > start ? file_offset(s, end - 1) + 1 : fs;
	if (fe > s->src->len)
		fe = s->src->len;
	return cg_src_pos(s->src, fs, fe < fs ? fs : fe);
}
