/*
 * What a GitHub step writes to the file named by $GITHUB_ENV: the runner
 * reads it after the step, and each `NAME=value` line (or `NAME<<DELIM`
 * block) becomes a variable of every later step of the job. A command's
 * output goes there when one of its output redirections names GITHUB_ENV
 * (`>> $GITHUB_ENV`, `>> "${GITHUB_ENV}"`), a compound command's does for
 * its body (`{ echo A=1; echo B=2; } >> $GITHUB_ENV`), and a pipeline's
 * does when a `tee` in it names GITHUB_ENV (`echo A=1 | tee -a
 * $GITHUB_ENV`). What is read there:
 *   - echo and printf: the words that start `NAME=` (or `NAME<<`), after
 *     the options; printf's format counts (`printf 'A=%s\n' "$x"`);
 *   - cat with a here-document: each line that starts `NAME=`;
 *   - anything else (`env >> $GITHUB_ENV`, `cat ci.env >> $GITHUB_ENV`, an
 *     echo of `$LINE`) writes what cannot be read: the walk says so.
 */
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "core/banned.h"

struct gw {
	const struct cg_script *s;
	cg_github_env_fn fn;
	void *ctx;
	bool readable;
	struct cg_buf line;
};

static bool name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

/* Length of NAME in `NAME=...` (or `NAME<<...`), else 0; *block says
 * it is the `NAME<<DELIM` form. */
static size_t name_len(const char *w, bool *block)
{
	size_t n = 0;

	if (!name_start(w[0]))
		return 0;
	while (name_char(w[n]))
		n++;
	*block = w[n] == '<' && w[n + 1] == '<';
	return w[n] == '=' || *block ? n : 0;
}

static bool to_github_env(const struct cg_sh_cmd *c)
{
	for (size_t i = 0; i < c->nredirs; i++) {
		const struct cg_sh_redir *r = &c->redirs[i];

		if ((r->kind == CG_SH_REDIR_OUT ||
		     r->kind == CG_SH_REDIR_APPEND ||
		     r->kind == CG_SH_REDIR_CLOBBER ||
		     r->kind == CG_SH_REDIR_OUT_ERR ||
		     r->kind == CG_SH_REDIR_APPEND_ERR) &&
		    (r->fd == -1 || r->fd == 1) &&
		    strstr(r->target.text, "GITHUB_ENV"))
			return true;
	}
	return false;
}

static bool tees_github_env(const struct cg_sh_pipeline *p)
{
	for (size_t k = 0; k < p->n; k++) {
		const struct cg_sh_cmd *c = &p->cmds[k];

		if (c->kind != CG_SH_SIMPLE || !c->nwords ||
		    strcmp(cg_path_base(c->words[0].text), "tee"))
			continue;
		for (size_t i = 1; i < c->nwords; i++)
			if (strstr(c->words[i].text, "GITHUB_ENV"))
				return true;
	}
	return false;
}

/* Where NAME of word w starts in the script: past a leading quote. */
static size_t name_offset(const struct cg_script *s, const struct cg_sh_word *w)
{
	size_t at = w->start;

	while (at < w->end && at < s->sh.len &&
	       (s->sh.text[at] == '"' || s->sh.text[at] == '\''))
		at++;
	return at;
}

static void emit(struct gw *g, const char *name, size_t n, size_t at,
		 const char *value, bool literal)
{
	struct cg_github_env_write w;
	char *nm = cg_xstrndup(name, n);

	w.name = nm;
	w.value = value;
	w.literal = literal;
	w.start = at;
	w.end = at + n;
	g->fn(g->ctx, g->s, &w);
	free(nm);
}

/* echo/printf NAME=value words; false when none is read */
static bool words_of(struct gw *g, const struct cg_sh_cmd *c)
{
	bool named = false;

	for (size_t i = 1; i < c->nwords; i++) {
		const struct cg_sh_word *w = &c->words[i];
		bool block;
		size_t n = name_len(w->text, &block);

		if (n) {
			const char *v = block ? NULL : w->text + n + 1;
			char *val = v ? cg_xstrndup(v, strcspn(v, "\n")) : NULL;

			/* printf's format: the value ends at its `\n` */
			if (val && !strcmp(c->words[0].text, "printf") &&
			    strstr(val, "\\n"))
				*strstr(val, "\\n") = '\0';
			emit(g, w->text, n, name_offset(g->s, w), val,
			     val && !w->expands && !strchr(val, '%'));
			free(val);
			named = true;
		} else if (w->text[0] != '-' && !named) {
			return false;
		}
	}
	return named;
}

/* cat <<EOF: the lines of its here-documents */
static bool heredoc_of(struct gw *g, const struct cg_sh_cmd *c)
{
	const char *text = g->s->sh.text;
	bool any = false;

	for (size_t r = 0; r < c->nredirs; r++) {
		const struct cg_sh_redir *rd = &c->redirs[r];
		size_t p = rd->body_start;

		if ((rd->kind != CG_SH_REDIR_HEREDOC &&
		     rd->kind != CG_SH_REDIR_HEREDOC_STRIP) ||
		    rd->body_end > g->s->sh.len)
			continue;
		any = true;
		while (p < rd->body_end) {
			size_t e = p, n, blanks;
			const char *l;
			bool block;

			while (e < rd->body_end && text[e] != '\n')
				e++;
			cg_buf_reset(&g->line);
			cg_buf_add(&g->line, text + p, e - p);
			blanks = strspn(g->line.buf, " \t");
			l = g->line.buf + blanks;
			if ((n = name_len(l, &block)))
				emit(g, l, n, p + blanks,
				     block ? NULL : l + n + 1,
				     !block && (rd->target.quoted ||
						!strchr(l + n + 1, '$')));
			p = e + 1;
		}
	}
	return any;
}

static void walk_list(struct gw *g, const struct cg_sh_list *l, bool to_env,
		      unsigned depth);

static void walk_cmd(struct gw *g, const struct cg_sh_cmd *c, bool to_env,
		     unsigned depth)
{
	const char *b;

	to_env = to_env || to_github_env(c);
	if (c->kind != CG_SH_SIMPLE) {
		for (size_t i = 0; i < 3; i++)
			walk_list(g, c->body[i], to_env, depth + 1);
		for (size_t a = 0; a < c->narms; a++)
			walk_list(g, c->arms[a], to_env, depth + 1);
		return;
	}
	if (!to_env || !c->nwords)
		return;
	b = cg_path_base(c->words[0].text);
	if (!strcmp(b, "tee"))
		return; /* the writer: the text comes down the pipe */
	if (!strcmp(b, "echo") || !strcmp(b, "printf")) {
		if (!words_of(g, c))
			g->readable = false;
	} else if (!strcmp(b, "cat")) {
		if (!heredoc_of(g, c))
			g->readable = false;
	} else if (strcmp(b, "true") && strcmp(b, ":")) {
		g->readable = false;
	}
}

static void walk_list(struct gw *g, const struct cg_sh_list *l, bool to_env,
		      unsigned depth)
{
	if (!l || depth > 200)
		return;
	for (size_t i = 0; i < l->n; i++) {
		const struct cg_sh_andor *ao = &l->items[i];

		for (size_t p = 0; p < ao->n; p++) {
			bool tee = to_env || tees_github_env(&ao->pipes[p]);

			for (size_t k = 0; k < ao->pipes[p].n; k++)
				walk_cmd(g, &ao->pipes[p].cmds[k], tee,
					 depth + 1);
		}
	}
}

static bool walk_script(struct gw *g, const struct cg_script *s, unsigned depth)
{
	if (!s || depth > 32)
		return true;
	g->s = s;
	walk_list(g, s->sh.top, false, 0);
	for (size_t i = 0; i < s->nnested; i++)
		walk_script(g, s->nested[i].script, depth + 1);
	return g->readable;
}

bool cg_github_env_writes(const struct cg_script *s, cg_github_env_fn fn,
			  void *ctx)
{
	struct gw g = {0};
	bool readable;

	g.fn = fn;
	g.ctx = ctx;
	g.readable = true;
	readable = walk_script(&g, s, 0);
	cg_buf_release(&g.line);
	return readable;
}
