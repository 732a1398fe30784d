/*
 * Scripts as a shell runs them: parse, find the scripts inside (nested),
 * and map script bytes back to the files they came from.
 *
 * A script is one or more parts: a GitHub `run:` is one YAML scalar; a
 * GitLab job's before_script and script items are joined with newlines into
 * one text, as gitlab-runner writes them into one shell script, so a `set
 * +e` in before_script and a `$?` test in a later item are one script's.
 * Each part remembers its scalar; positions go through the part that holds
 * the byte.
 *
 * Nested scripts are literal strings or here-documents that the shell runs
 * as code: `bash -c '...'`, `bash <<'EOF'`, `eval '...'`, `trap '...'
 * EXIT`. Only text whose bytes are the script's own is taken (single
 * quotes; double quotes or an unquoted here-document, where `$x` stays a
 * word of the inner script and `\$x` is the inner shell's, and in a
 * here-document without backslashes a `$(...)` inside the inner script's
 * quotes or in an argument is data of its own length);
 * anything else the outer shell would rewrite is left alone, never
 * guessed.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/model_int.h"
#include "model/loader.h"
#include "core/banned.h"

#define SCRIPT_MAX_DEPTH 200

/* `bash -c '...'` inside `bash -c '...'` ... : this deep at most */
#define NESTED_MAX_DEPTH 4

static bool is_shell(const struct cg_sh_word *w)
{
	return !w->expands && !w->quoted && cg_posix_shell_name(w->text, NULL);
}

/*
 * The word's text is the script's bytes [start + 1, end - 1): a string in
 * single quotes, or in double quotes with nothing the shell would rewrite
 * but expansions (no backslash, no backquote), which stay words inside.
 */
static bool literal_string(const struct cg_script *s,
			   const struct cg_sh_word *w)
{
	const char *raw = s->sh.text + w->start;
	size_t n = w->end - w->start;

	if (n < 2 || w->len != n - 2 || raw[0] != raw[n - 1] ||
	    (raw[0] != '\'' && raw[0] != '"'))
		return false;
	if (memcmp(raw + 1, w->text, w->len) != 0)
		return false;
	return raw[0] == '\'' || (!memchr(w->text, '\\', w->len) &&
				  !memchr(w->text, '`', w->len));
}

/*
 * A double-quoted string with backslashes: inside double quotes a
 * backslash escapes only $ ` " \ and a line break. Returns the text the
 * inner shell gets, with map[i] its byte's offset in s (len + 1 entries),
 * or NULL when it is not one double-quoted string without backquotes.
 */
static char *unescape_double(const struct cg_script *s,
			     const struct cg_sh_word *w, size_t **out_map,
			     size_t *out_len)
{
	const char *raw = s->sh.text + w->start;
	size_t n = w->end - w->start, len = 0;
	char *text;
	size_t *map;

	if (n < 2 || raw[0] != '"' || raw[n - 1] != '"' || memchr(raw, '`', n))
		return NULL;
	text = cg_xmalloc(n);
	map = cg_xcalloc(n, sizeof(*map));
	for (size_t i = 1; i + 1 < n; i++) {
		if (raw[i] == '"') { /* a second string: not one word */
			free(text);
			free(map);
			return NULL;
		}
		if (raw[i] == '\\' && i + 2 < n) {
			char e = raw[i + 1];

			if (e == '\n') {
				i++;
				continue;
			}
			if (e == '$' || e == '`' || e == '"' || e == '\\')
				i++;
		}
		map[len] = w->start + i;
		text[len++] = raw[i];
	}
	map[len] = w->end - 1;
	text[len] = '\0';
	*out_map = map;
	*out_len = len;
	return text;
}

/* A plain word: its text is its raw bytes and nothing expands. */
static bool plain_word(const struct cg_script *s, const struct cg_sh_word *w)
{
	return !w->quoted && !w->expands && w->len == w->end - w->start &&
	       !memcmp(s->sh.text + w->start, w->text, w->len);
}

static void find_nested(struct cg_arena *arena, struct cg_script *s,
			const struct cg_sh_list *list, unsigned depth);
static void find_all_nested(struct cg_arena *arena, struct cg_script *s,
			    unsigned depth);

/* Parse bytes [base, base + len) of `s` as a nested script of `kind`. */
static struct cg_nested_script *
add_nested_text(struct cg_arena *arena, struct cg_script *s,
		enum cg_nested_kind kind, size_t base, size_t len, char *text,
		size_t *map, const struct cg_sh_cmd *cmd, unsigned depth)
{
	struct cg_script *n = cg_xcalloc(1, sizeof(*n));
	struct cg_nested_script *ns;

	n->src = s->src;
	n->node = s->node;
	n->parent = s;
	n->base = base;
	n->joined = text; /* owned by n from here on */
	n->map = map;
	if (cg_sh_parse_in(&n->sh, arena, text ? text : s->sh.text + base, len,
			   SCRIPT_MAX_DEPTH) < 0) {
		cg_script_free(n);
		return NULL;
	}
	s->nested =
	    cg_xrealloc(s->nested, (s->nnested + 1) * sizeof(*s->nested));
	ns = &s->nested[s->nnested++];
	memset(ns, 0, sizeof(*ns));
	ns->kind = kind;
	ns->script = n;
	ns->cmd_start = cmd->start;
	ns->shell.kind = CG_SHELL_POSIX;
	ns->shell.src = cg_script_src(s, cmd->start);
	ns->shell.by_script = s;
	if (depth + 1 < NESTED_MAX_DEPTH)
		find_all_nested(arena, n, depth + 1);
	/* find_nested may have moved s->nested: hand back the new place */
	for (size_t i = 0; i < s->nnested; i++)
		if (s->nested[i].script == n)
			return &s->nested[i];
	return NULL;
}

static struct cg_nested_script *
add_nested(struct cg_arena *arena, struct cg_script *s,
	   enum cg_nested_kind kind, size_t base, size_t len,
	   const struct cg_sh_cmd *cmd, unsigned depth)
{
	return add_nested_text(arena, s, kind, base, len, NULL, NULL, cmd,
			       depth);
}

/* The here-document on the standard input of `cmd`, if any. */
static const struct cg_sh_redir *stdin_heredoc(const struct cg_sh_cmd *cmd)
{
	const struct cg_sh_redir *hd = NULL;

	for (size_t r = 0; r < cmd->nredirs; r++) {
		const struct cg_sh_redir *rd = &cmd->redirs[r];

		if (rd->fd > 0 || rd->fd == -2)
			continue;
		if (rd->kind == CG_SH_REDIR_HEREDOC ||
		    rd->kind == CG_SH_REDIR_HEREDOC_STRIP)
			hd = rd;
		else if (rd->kind == CG_SH_REDIR_IN ||
			 rd->kind == CG_SH_REDIR_HERESTRING ||
			 rd->kind == CG_SH_REDIR_RDWR ||
			 rd->kind == CG_SH_REDIR_DUP_IN)
			hd = NULL; /* a later redirection wins */
	}
	return hd;
}

/* Does cmd redirect its standard input at all? */
static bool stdin_redirected(const struct cg_sh_cmd *cmd)
{
	for (size_t r = 0; r < cmd->nredirs; r++) {
		const struct cg_sh_redir *rd = &cmd->redirs[r];

		if (rd->fd > 0 || rd->fd == -2)
			continue;
		if (rd->kind == CG_SH_REDIR_IN ||
		    rd->kind == CG_SH_REDIR_HEREDOC ||
		    rd->kind == CG_SH_REDIR_HEREDOC_STRIP ||
		    rd->kind == CG_SH_REDIR_HERESTRING ||
		    rd->kind == CG_SH_REDIR_RDWR ||
		    rd->kind == CG_SH_REDIR_DUP_IN)
			return true;
	}
	return false;
}

/*
 * The here-document a shell reads on its standard input: its own
 * (`bash <<'EOF'`), or the one that `cat` prints into the pipe to it
 * (`cat <<'EOF' | bash`), whose stdout is the pipe unless redirected.
 */
static const struct cg_sh_redir *script_heredoc(const struct cg_sh_cmd *cmd,
						const struct cg_sh_cmd *feeder)
{
	if (stdin_redirected(cmd))
		return stdin_heredoc(cmd);
	if (!feeder || feeder->kind != CG_SH_SIMPLE || feeder->nwords != 1 ||
	    strcmp(feeder->words[0].text, "cat") != 0)
		return NULL;
	for (size_t r = 0; r < feeder->nredirs; r++) {
		const struct cg_sh_redir *rd = &feeder->redirs[r];

		if ((rd->fd == -1 || rd->fd == 1) &&
		    (rd->kind == CG_SH_REDIR_OUT ||
		     rd->kind == CG_SH_REDIR_APPEND ||
		     rd->kind == CG_SH_REDIR_CLOBBER ||
		     rd->kind == CG_SH_REDIR_DUP_OUT ||
		     rd->kind == CG_SH_REDIR_OUT_ERR ||
		     rd->kind == CG_SH_REDIR_APPEND_ERR))
			return NULL;
	}
	return stdin_heredoc(feeder);
}

/* Does text[0, len) hold `needle`? */
static bool strnstr_len(const char *text, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++)
		if (!memcmp(text + i, needle, n))
			return true;
	return false;
}

/* Bytes that end a word of the inner script. */
static bool word_break(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == ';' || c == '|' ||
	       c == '&' || c == '(' || c == ')' || c == '<' || c == '>';
}

/* Is [from, to) a NAME=... assignment word? */
static bool assignment_word(const char *raw, size_t from, size_t to)
{
	size_t k = from;

	while (k < to && (raw[k] == '_' || (raw[k] >= 'a' && raw[k] <= 'z') ||
			  (raw[k] >= 'A' && raw[k] <= 'Z') ||
			  (k > from && raw[k] >= '0' && raw[k] <= '9')))
		k++;
	return k > from && k < to && raw[k] == '=';
}

/*
 * Is the word around raw[i] (text from `base`) an argument of a simple
 * command of the inner script: after a command name or another argument,
 * not in command position (after an operator, a reserved word or an
 * assignment, where `x=$(...)` is one too)? Its text is data there,
 * whatever it turns out to be (`echo $(date)`, `export TAG=$(cat tag)`).
 */
static bool argument_word(const char *raw, size_t base, size_t i)
{
	static const char *const reserved[] = {
	    "if",   "then", "else", "elif", "while",   "until",	  "do", "!",
	    "time", "{",    "exec", "eval", "command", "builtin", NULL};
	size_t ws = i, pe, ps;

	while (ws > base && !word_break(raw[ws - 1]))
		ws--;
	pe = ws;
	while (pe > base && (raw[pe - 1] == ' ' || raw[pe - 1] == '\t'))
		pe--;
	if (pe == base || (word_break(raw[pe - 1]) && raw[pe - 1] != '<' &&
			   raw[pe - 1] != '>'))
		return false; /* the start of a command */
	ps = pe;
	while (ps > base && !word_break(raw[ps - 1]))
		ps--;
	if (ps == pe) /* `> $(...)`: a redirection's target */
		return true;
	for (size_t k = 0; reserved[k]; k++)
		if (strlen(reserved[k]) == pe - ps &&
		    !memcmp(raw + ps, reserved[k], pe - ps))
			return false;
	return !assignment_word(raw, ps, pe);
}

/*
 * The text an inner shell reads from an unquoted here-document whose
 * `$(...)` all sit inside quotes of the inner script (`echo "$(ls)"`) or
 * in arguments (`echo $(date)`, argument_word): the outer shell puts each
 * command's output there (POSIX 2.7.4), and the inner shell takes it as
 * data, so each substitution becomes one run of opaque text of its own
 * length (offsets map one to one; its line breaks stay). NULL when one
 * is where its output would be code of the inner script (a command's
 * name, an assignment's value, which a space in the output would turn
 * into a command, a comment), or is an arithmetic `$((`. The caller has
 * ruled out backslashes and backquotes.
 */
static char *quoted_substs(const char *raw, size_t base, size_t len)
{
	size_t end = base + len;
	char *text = cg_xmalloc(len + 1);
	char q = 0; /* the inner script's open quote */

	memcpy(text, raw + base, len);
	text[len] = '\0';
	for (size_t i = base; i < end; i++) {
		char c = raw[i];
		size_t close;

		if (c == '$' && i + 1 < end && raw[i + 1] == '(') {
			if ((!q && !argument_word(raw, base, i)) ||
			    (i + 2 < end && raw[i + 2] == '(') ||
			    !(close = cg_sh_subst_end(raw, end, i + 2)))
				goto unknown;
			for (size_t k = i; k <= close && k < end; k++)
				if (raw[k] != '\n')
					text[k - base] = 'x';
			i = close;
		} else if (!q && c == '#' &&
			   (i == base || raw[i - 1] == ' ' ||
			    raw[i - 1] == '\t' || raw[i - 1] == '\n' ||
			    raw[i - 1] == ';')) {
			while (i < end && raw[i] != '\n') {
				if (raw[i] == '$' && i + 1 < end &&
				    raw[i + 1] == '(')
					goto unknown;
				i++;
			}
		} else if (!q && (c == '\'' || c == '"')) {
			q = c;
		} else if (q == c) {
			q = 0;
		}
	}
	return text;
unknown:
	free(text);
	return NULL;
}

/*
 * The text an inner shell reads from an unquoted here-document with
 * backslashes: the outer shell drops the backslash of `\$` and a line
 * break with its backslash (POSIX 2.7.4); others stay. Returns it with
 * map[i] the offset in raw of its byte i (len + 1 entries), or NULL when
 * the body holds two backslashes in a row (the outer shell makes one,
 * which may escape what follows it) or one before a backquote.
 */
static char *unescape_heredoc(const char *raw, size_t base, size_t len,
			      size_t **out_map, size_t *out_len)
{
	size_t end = base + len, n = 0;
	char *text = cg_xmalloc(len + 1);
	size_t *map = cg_xcalloc(len + 1, sizeof(*map));

	for (size_t i = base; i < end; i++) {
		if (raw[i] == '\\' && i + 1 < end) {
			char e = raw[i + 1];

			if (e == '\\' || e == '`') {
				free(text);
				free(map);
				return NULL;
			}
			if (e == '\n') {
				i++;
				continue;
			}
			if (e == '$')
				i++;
		}
		map[n] = i;
		text[n++] = raw[i];
	}
	map[n] = end;
	text[n] = '\0';
	*out_map = map;
	*out_len = n;
	return text;
}

/* In text the outer shell expands ([start, end) of raw: a here-document,
 * double quotes): is some `$` left to it (*outer), some escaped for the
 * inner shell (`\$`, *inner)? */
static void dollars(const char *raw, size_t start, size_t end, bool *outer,
		    bool *inner)
{
	*outer = *inner = false;
	for (size_t i = start; i < end; i++)
		if (raw[i] == '\\' && i + 1 < end) {
			*inner |= raw[i + 1] == '$';
			i++;
		} else if (raw[i] == '$') {
			*outer = true;
		}
}

/*
 * Word w of cmd as a nested script of `kind` given as one string: single
 * quotes, double quotes (the outer shell drops the backslashes of `\$`
 * and kin first: unescape_double), or, with `plain`, a word with nothing
 * to expand (`trap cleanup EXIT`). In double quotes the outer shell
 * expands each `$` not escaped (outer_expands, outer_some). NULL when it
 * is none of these.
 */
static struct cg_nested_script *
string_nested(struct cg_arena *arena, struct cg_script *s,
	      enum cg_nested_kind kind, const struct cg_sh_word *w,
	      const struct cg_sh_cmd *cmd, bool plain, unsigned depth)
{
	struct cg_nested_script *ns;
	char *text = NULL;
	size_t *map = NULL, len;
	bool inner;

	if (literal_string(s, w)) {
		ns = add_nested(arena, s, kind, w->start + 1, w->len, cmd,
				depth);
	} else if (plain && plain_word(s, w)) {
		return add_nested(arena, s, kind, w->start, w->len, cmd, depth);
	} else if ((text = unescape_double(s, w, &map, &len))) {
		ns = add_nested_text(arena, s, kind, w->start + 1, len, text,
				     map, cmd, depth);
	} else {
		return NULL;
	}
	if (ns && s->sh.text[w->start] == '"') {
		dollars(s->sh.text, w->start + 1, w->end - 1,
			&ns->outer_expands, &inner);
		ns->outer_some = ns->outer_expands && inner;
	}
	return ns;
}

/*
 * Words i.. of cmd: a shell, its flags, then with -c the script string;
 * without -c and without a script file it reads its standard input, which
 * may be a here-document (its own, or one `feeder`, the command before it
 * in a pipeline, prints).
 */
static void shell_at(struct cg_arena *arena, struct cg_script *s,
		     const struct cg_sh_cmd *cmd,
		     const struct cg_sh_cmd *feeder, size_t i, unsigned depth)
{
	struct cg_shell_flags fl;
	const struct cg_sh_redir *hd;
	struct cg_nested_script *ns;
	size_t j, base, len, flags_end;

	cg_shell_flags_of(&fl, CG_FLAGS_INVOKE, cmd, i + 1);
	if (fl.unreadable)
		return; /* flags we cannot read */
	j = fl.operand;
	if (fl.c) {
		if (j >= cmd->nwords)
			return;
		flags_end = cmd->words[j - 1].end;
		ns = string_nested(arena, s, CG_NESTED_SHELL, &cmd->words[j],
				   cmd, false, depth);
	} else {
		char *text = NULL;

		if (j < cmd->nwords)
			return; /* `bash script.sh`: a file we do not read */
		if (!(hd = script_heredoc(cmd, feeder)) ||
		    hd->body_end < hd->body_start)
			return;
		base = hd->body_start;
		len = hd->body_end - hd->body_start;
		/* unquoted: the outer shell expands it; without backslashes
		 * its bytes are still the script's, but for substitutions
		 * (run by heredoc_substs), which must be data of the inner
		 * script (quoted_substs) */
		size_t *map = NULL, tlen = len;
		bool backslash = memchr(s->sh.text + base, '\\', len) != NULL;
		bool subst = strnstr_len(s->sh.text + base, len, "$(");

		if (!hd->target.quoted &&
		    (memchr(s->sh.text + base, '`', len) ||
		     (backslash && subst)))
			return;
		if (!hd->target.quoted && subst &&
		    !(text = quoted_substs(s->sh.text, base, len)))
			return;
		if (!hd->target.quoted && backslash &&
		    !(text =
			  unescape_heredoc(s->sh.text, base, len, &map, &tlen)))
			return;
		flags_end = cmd->words[j - 1].end;
		ns = add_nested_text(arena, s, CG_NESTED_SHELL, base, tlen,
				     text, map, cmd, depth);
		if (ns && !hd->target.quoted) {
			bool inner;

			dollars(s->sh.text, base, base + len,
				&ns->outer_expands, &inner);
			ns->outer_some = ns->outer_expands && inner;
		}
	}
	if (!ns)
		return;
	ns->shell.errexit = fl.errexit == CG_OPT_ON;
	ns->shell.pipefail = fl.pipefail == CG_OPT_ON;
	ns->shell.by_c = fl.c;
	cg_posix_shell_name(cmd->words[i].text, &ns->shell.dash);
	ns->shell.describe =
	    cg_arena_strndup(arena, s->sh.text + cmd->words[i].start,
			     flags_end - cmd->words[i].start);
	ns->shell.by_start = cmd->words[i].start;
	ns->shell.by_end = flags_end;
}

/*
 * util-linux's `script [options] -c CMD [FILE]` (a terminal for CMD, in CI
 * for colours) runs CMD with `$SHELL -c` (bash on the runners) and, unless
 * given -e (--return), exits 0 whatever CMD returned. Its options as
 * getopt reads them: a cluster (`-qec CMD`), long ones, operands between.
 * False when cmd is no such command, or its CMD is a word we cannot read.
 */
static bool script_at(struct cg_arena *arena, struct cg_script *s,
		      const struct cg_sh_cmd *cmd, unsigned depth)
{
	static const char with_arg[] = " --echo --log-io --log-in --log-out "
				       "--log-timing --logging-format "
				       "--output-limit ";
	size_t i = 0, j, at = 0;
	struct cg_nested_script *ns;
	bool ret = false;

	/* most commands name no `script`: no unwrapping for them */
	while (
	    i < cmd->nwords &&
	    (cmd->words[i].len < 6 ||
	     memcmp(cmd->words[i].text + cmd->words[i].len - 6, "script", 6) ||
	     strcmp(cg_path_base(cmd->words[i].text), "script")))
		i++;
	if (i == cmd->nwords)
		return false;
	i = cg_sh_cmd_unwrap(cmd, 0, 0);
	if (i >= cmd->nwords || cmd->words[i].expands || cmd->words[i].quoted ||
	    strcmp(cg_path_base(cmd->words[i].text), "script"))
		return false;
	for (j = i + 1; j < cmd->nwords && !at; j++) {
		const char *w = cmd->words[j].text;

		if (cmd->words[j].expands || !strcmp(w, "--"))
			return false;
		if (w[0] != '-' || !w[1])
			continue; /* the typescript FILE */
		if (w[1] == '-') {
			if (!strcmp(w, "--return"))
				ret = true;
			else if (!strcmp(w, "--command"))
				at = j + 1;
			else if (cg_starts_with(w, "--command="))
				return false;
			else if (cg_opt_listed(with_arg, w))
				j++;
			continue;
		}
		for (size_t k = 1; w[k]; k++) {
			if (w[k] == 'e')
				ret = true;
			if (w[k] == 'c' && w[k + 1])
				return false; /* `-cCMD` */
			if (w[k] == 'c')
				at = j + 1;
			else if (strchr("EBIOTmo", w[k]))
				j += !w[k + 1];
			else if (w[k] != 't')
				continue;
			break;
		}
	}
	/* -e may come after CMD too */
	for (; j < cmd->nwords; j++) {
		const char *w = cmd->words[j].text;

		if (!strcmp(w, "--return") ||
		    (w[0] == '-' && w[1] != '-' && strchr(w, 'e')))
			ret = true;
	}
	if (!at || at >= cmd->nwords ||
	    !(ns = string_nested(arena, s, CG_NESTED_SHELL, &cmd->words[at],
				 cmd, true, depth)))
		return false;
	ns->shell.by_c = true;
	ns->zero_exit = !ret;
	ns->shell.describe =
	    cg_arena_strndup(arena, s->sh.text + cmd->words[i].start,
			     cmd->words[at - 1].end - cmd->words[i].start);
	ns->shell.by_start = cmd->words[i].start;
	ns->shell.by_end = cmd->words[at - 1].end;
	return true;
}

/* `eval 'pytest || true'` or `eval pytest || ...`: run in place. */
static void eval_at(struct cg_arena *arena, struct cg_script *s,
		    const struct cg_sh_cmd *cmd, unsigned depth)
{
	size_t base, len;
	struct cg_nested_script *ns;

	if (cmd->nwords < 2)
		return;
	/* eval "...": its `$` expanded before eval runs */
	if (cmd->nwords == 2 &&
	    (ns = string_nested(arena, s, CG_NESTED_EVAL, &cmd->words[1], cmd,
				false, depth))) {
		/* one string */
	} else {
		for (size_t k = 1; k < cmd->nwords; k++)
			if (!plain_word(s, &cmd->words[k]))
				return;
		base = cmd->words[1].start;
		len = cmd->words[cmd->nwords - 1].end - base;
		if (!(ns = add_nested(arena, s, CG_NESTED_EVAL, base, len, cmd,
				      depth)))
			return;
	}
	ns->shell.describe = "eval";
	ns->shell.by_start = cmd->words[0].start;
	ns->shell.by_end = cmd->words[0].end;
}

/* `trap 'ACTION' EXIT ERR ...`: the action runs when the shell exits, or
 * when a command fails. */
static void trap_at(struct cg_arena *arena, struct cg_script *s,
		    const struct cg_sh_cmd *cmd, unsigned depth)
{
	size_t k = 1;
	bool on_exit = false, on_err = false;
	const struct cg_sh_word *action;
	struct cg_nested_script *ns;

	if (k < cmd->nwords && !strcmp(cmd->words[k].text, "--"))
		k++;
	if (k + 1 >= cmd->nwords)
		return; /* `trap -p`, `trap ACTION` alone, ... */
	action = &cmd->words[k];
	if (!action->len || (action->text[0] == '-' && !action->quoted))
		return; /* `trap - EXIT` resets; `-p`, `-l` print */
	for (size_t i = k + 1; i < cmd->nwords; i++) {
		const char *sig = cmd->words[i].text;

		if (!strcasecmp(sig, "EXIT") || !strcmp(sig, "0") ||
		    !strcasecmp(sig, "SIGEXIT"))
			on_exit = true;
		else if (!strcasecmp(sig, "ERR") || !strcasecmp(sig, "SIGERR"))
			on_err = true;
	}
	if (!on_exit && !on_err)
		return;
	/* trap "...": its `$` expanded when trap runs */
	if (!(ns = string_nested(arena, s, CG_NESTED_TRAP, action, cmd, true,
				 depth)))
		return;
	ns->on_exit = on_exit;
	ns->on_err = on_err;
	ns->shell.describe = "trap";
	ns->shell.by_start = cmd->words[0].start;
	ns->shell.by_end = cmd->words[0].end;
}

/*
 * The end of the `$(` group opened at raw[i] (just past `$(`): the index
 * of its `)`, or 0. Found by the shell parser, as bash finds it: counting
 * parentheses would close `$(pytest; case $? in 0) ...;; esac)` at the
 * pattern's `)`.
 */
static size_t subst_end(const char *raw, size_t n, size_t i)
{
	return cg_sh_subst_end(raw, n, i);
}

/*
 * The old form `...` at raw[i] in word w: a substitution like `$(...)`.
 * Inside it a backslash before $ ` \ (and ", within double quotes:
 * in_double) is dropped before the inner shell parses it; others stay.
 * Returns the index of the closing backquote, or 0 when there is none.
 */
static size_t backtick_at(struct cg_arena *arena, struct cg_script *s,
			  const struct cg_sh_cmd *cmd,
			  const struct cg_sh_word *w, size_t i, bool in_double,
			  unsigned depth)
{
	const char *raw = s->sh.text;
	size_t close, len = 0, *map = NULL;
	char *text = NULL;
	struct cg_nested_script *ns;

	for (close = i + 1; close < w->end && raw[close] != '`'; close++)
		if (raw[close] == '\\')
			close++;
	if (close >= w->end)
		return 0;
	if (memchr(raw + i + 1, '\\', close - (i + 1))) {
		text = cg_xmalloc(close - i);
		map = cg_xcalloc(close - i, sizeof(*map));
		for (size_t k = i + 1; k < close; k++) {
			char e = raw[k + 1];

			if (raw[k] == '\\' && k + 1 < close &&
			    (e == '$' || e == '`' || e == '\\' ||
			     (e == '"' && in_double)))
				k++;
			map[len] = k;
			text[len++] = raw[k];
		}
		map[len] = close;
		text[len] = '\0';
	}
	ns = add_nested_text(arena, s, CG_NESTED_SUBST, i + 1,
			     text ? len : close - (i + 1), text, map, cmd,
			     depth);
	if (ns) {
		/* the old form of $(...): reported as one */
		ns->shell.describe = "$(...)";
		ns->shell.by_start = i;
		ns->shell.by_end = close + 1;
	}
	return close;
}

/* The command substitution `$(` at text byte i, whose `)` is at close:
 * a nested script of cmd. */
static void add_subst(struct cg_arena *arena, struct cg_script *s,
		      const struct cg_sh_cmd *cmd, size_t i, size_t close,
		      unsigned depth)
{
	struct cg_nested_script *ns = add_nested(
	    arena, s, CG_NESTED_SUBST, i + 2, close - (i + 2), cmd, depth);

	if (ns) {
		ns->shell.describe = "$(...)";
		ns->shell.by_start = i;
		ns->shell.by_end = close + 1;
	}
}

/* Word w of cmd, when it is a process substitution `<(...)` or `>(...)`
 * (bash reads one only at the start of a word): a nested script. True
 * when it is one. */
static bool procsub_at(struct cg_arena *arena, struct cg_script *s,
		       const struct cg_sh_cmd *cmd, const struct cg_sh_word *w,
		       unsigned depth)
{
	const char *raw = s->sh.text;
	struct cg_nested_script *ns;
	size_t close;

	if (!w->expands || w->end - w->start < 3 ||
	    (raw[w->start] != '<' && raw[w->start] != '>') ||
	    raw[w->start + 1] != '(')
		return false;
	if (!(close = subst_end(raw, w->end, w->start + 2)))
		return true;
	ns = add_nested(arena, s, CG_NESTED_PROCSUB, w->start + 2,
			close - (w->start + 2), cmd, depth);
	if (ns) {
		ns->shell.describe = raw[w->start] == '<' ? "<(...)" : ">(...)";
		ns->shell.by_start = w->start;
		ns->shell.by_end = close + 1;
	}
	return true;
}

/* The process substitutions in the redirections of cmd (`done <
 * <(pytest)`), of any kind of command. */
static void redir_procsubs(struct cg_arena *arena, struct cg_script *s,
			   const struct cg_sh_cmd *cmd, unsigned depth)
{
	for (size_t r = 0; r < cmd->nredirs; r++) {
		const struct cg_sh_redir *rd = &cmd->redirs[r];

		if (rd->kind != CG_SH_REDIR_HEREDOC &&
		    rd->kind != CG_SH_REDIR_HEREDOC_STRIP)
			procsub_at(arena, s, cmd, &rd->target, depth);
	}
}

/* `$(...)` and `...` in word w of cmd (not `$((` arithmetic, not inside
 * '...'), or w as a whole when it is a process substitution */
static void substs_in(struct cg_arena *arena, struct cg_script *s,
		      const struct cg_sh_cmd *cmd, const struct cg_sh_word *w,
		      unsigned depth)
{
	const char *raw = s->sh.text;
	char quote = 0;

	if (!w->expands || procsub_at(arena, s, cmd, w, depth))
		return;
	for (size_t i = w->start; i + 1 < w->end; i++) {
		char ch = raw[i];
		size_t close;

		if (quote == '\'') {
			if (ch == '\'')
				quote = 0;
			continue;
		}
		if (ch == '\\') {
			i++;
			continue;
		}
		if (ch == '"') {
			quote = quote ? 0 : '"';
			continue;
		}
		if (ch == '\'' && !quote) {
			quote = ch;
			continue;
		}
		if (ch == '`') {
			i = backtick_at(arena, s, cmd, w, i, quote == '"',
					depth);
			if (!i)
				return;
			continue;
		}
		if (ch != '$' || raw[i + 1] != '(' ||
		    (i + 2 < w->end && raw[i + 2] == '('))
			continue;
		if (!(close = subst_end(raw, w->end, i + 2)))
			return;
		add_subst(arena, s, cmd, i, close, depth);
		i = close;
	}
}

/*
 * `$(...)` and `...` in the unquoted here-documents of cmd: the shell that
 * runs cmd expands them before cmd starts (POSIX 2.7.4), as it does its
 * words' (`bash -s <<EOF` then reads what they printed, not them). Quotes
 * are plain text in a here-document; a backslash escapes $ ` \.
 */
static void heredoc_substs(struct cg_arena *arena, struct cg_script *s,
			   const struct cg_sh_cmd *cmd, unsigned depth)
{
	const char *raw = s->sh.text;

	for (size_t r = 0; r < cmd->nredirs; r++) {
		const struct cg_sh_redir *rd = &cmd->redirs[r];
		struct cg_sh_word body;

		if ((rd->kind != CG_SH_REDIR_HEREDOC &&
		     rd->kind != CG_SH_REDIR_HEREDOC_STRIP) ||
		    rd->target.quoted || rd->body_end <= rd->body_start)
			continue;
		memset(&body, 0, sizeof(body));
		body.start = rd->body_start;
		body.end = rd->body_end;
		for (size_t i = body.start; i + 1 < body.end; i++) {
			size_t close;

			if (raw[i] == '\\') {
				i++;
			} else if (raw[i] == '`') {
				if (!(i = backtick_at(arena, s, cmd, &body, i,
						      false, depth)))
					break;
			} else if (raw[i] == '$' && raw[i + 1] == '(' &&
				   !(i + 2 < body.end && raw[i + 2] == '(')) {
				if (!(close = subst_end(raw, body.end, i + 2)))
					break;
				add_subst(arena, s, cmd, i, close, depth);
				i = close;
			}
		}
	}
}

static void find_nested_cmd(struct cg_arena *arena, struct cg_script *s,
			    const struct cg_sh_cmd *cmd,
			    const struct cg_sh_cmd *feeder, unsigned depth)
{
	static const char *const printers[] = {"echo",	  "printf", "cat",
					       "grep",	  "which",  "type",
					       "command", "hash"};

	for (size_t b = 0; b < 3; b++)
		if (cmd->body[b])
			find_nested(arena, s, cmd->body[b], depth);
	for (size_t a = 0; a < cmd->narms; a++)
		find_nested(arena, s, cmd->arms[a], depth);
	redir_procsubs(arena, s, cmd, depth);
	if (cmd->kind == CG_SH_FOR || cmd->kind == CG_SH_CASE) {
		/* `for t in $(pytest --collect-only -q)`, `case $(uname) in`:
		 * the words expand once, before the loop or the arms run */
		for (size_t i = 0; i < cmd->nwords; i++)
			substs_in(arena, s, cmd, &cmd->words[i], depth);
		return;
	}
	if (cmd->kind != CG_SH_SIMPLE)
		return;
	heredoc_substs(arena, s, cmd, depth);
	for (size_t i = 0; i < cmd->nassigns; i++)
		substs_in(arena, s, cmd, &cmd->assigns[i], depth);
	for (size_t i = 0; i < cmd->nwords; i++)
		substs_in(arena, s, cmd, &cmd->words[i], depth);
	if (!cmd->nwords)
		return;
	if (!strcmp(cmd->words[0].text, "eval") && !cmd->words[0].quoted) {
		eval_at(arena, s, cmd, depth);
		return;
	}
	if (!strcmp(cmd->words[0].text, "trap") && !cmd->words[0].quoted) {
		trap_at(arena, s, cmd, depth);
		return;
	}
	if (script_at(arena, s, cmd, depth))
		return;
	/* `echo bash -c x` and friends print rather than run, so a shell
	 * counts only as the command or after a word that is not a printer */
	for (size_t k = 0; k < sizeof(printers) / sizeof(*printers); k++)
		if (cmd->words[0].text[0] == printers[k][0] &&
		    !strcmp(cmd->words[0].text, printers[k]))
			return;
	for (size_t i = 0; i < cmd->nwords; i++)
		if (is_shell(&cmd->words[i])) {
			shell_at(arena, s, cmd, feeder, i, depth);
			return;
		}
}

static void find_nested(struct cg_arena *arena, struct cg_script *s,
			const struct cg_sh_list *list, unsigned depth)
{
	for (size_t i = 0; list && i < list->n; i++) {
		const struct cg_sh_andor *ao = &list->items[i];

		for (size_t p = 0; p < ao->n; p++)
			for (size_t c = 0; c < ao->pipes[p].n; c++)
				find_nested_cmd(arena, s, &ao->pipes[p].cmds[c],
						c ? &ao->pipes[p].cmds[c - 1]
						  : NULL,
						depth);
	}
}

/* A command's nested scripts in the order they run: its `$(...)`, its
 * process substitutions, then what it runs itself. */
static int order_of(enum cg_nested_kind k)
{
	return k == CG_NESTED_SUBST ? 0 : k == CG_NESTED_PROCSUB ? 1 : 2;
}

static int by_command(const void *pa, const void *pb)
{
	const struct cg_nested_script *a = pa, *b = pb;

	if (a->cmd_start != b->cmd_start)
		return a->cmd_start < b->cmd_start ? -1 : 1;
	if (order_of(a->kind) != order_of(b->kind))
		return order_of(a->kind) < order_of(b->kind) ? -1 : 1;
	return a->script->base < b->script->base   ? -1
	       : a->script->base > b->script->base ? 1
						   : 0;
}

/* Nested scripts sorted by their command, for lookups by command. */
static void find_all_nested(struct cg_arena *arena, struct cg_script *s,
			    unsigned depth)
{
	find_nested(arena, s, s->sh.top, depth);
	if (s->nnested > 1)
		qsort(s->nested, s->nnested, sizeof(*s->nested), by_command);
}

/* Parse s->sh from `text`; *note says why on failure (s is freed then). */
static struct cg_script *parse(struct cg_arena *arena, struct cg_script *s,
			       const char *text, size_t len, char **note)
{
	if (cg_sh_parse_in(&s->sh, arena, text, len, SCRIPT_MAX_DEPTH) < 0) {
		struct cg_pos p = s->node->pos;

		*note =
		    cg_xasprintf("%s:%u:%u: script not checked: %s",
				 s->src->path, p.line, p.col, cg_error_last());
		cg_script_free(s);
		return NULL;
	}
	find_all_nested(arena, s, 0);
	return s;
}

/* The model's notes take what parse said, in the order scripts are made. */
static struct cg_script *noted(struct cg_model *m, struct cg_script *s,
			       char *note)
{
	if (note)
		cg_model_note(m, "%s", note);
	free(note);
	return s;
}

struct cg_script *cg_script_build(struct cg_arena *arena,
				  const struct cg_src *src,
				  const struct cg_node *node, char **note)
{
	struct cg_script *s;

	*note = NULL;
	if (!cg_node_is_scalar(node))
		return NULL;
	s = cg_xcalloc(1, sizeof(*s));
	s->src = src;
	s->node = node;
	s->parts = cg_xcalloc(1, sizeof(*s->parts));
	s->nparts = 1;
	s->parts[0].src = src;
	s->parts[0].node = node;
	s->parts[0].len = node->len;
	return parse(arena, s, node->str, node->len, note);
}

static int by_node(const void *a, const void *b)
{
	const struct cg_prepared_script *x = a, *y = b;

	return x->node < y->node ? -1 : x->node > y->node;
}

void cg_prepared_add(struct cg_prepared *p, const struct cg_src *src,
		     const struct cg_node *node)
{
	struct cg_prepared_script *ps;

	if (!cg_node_is_scalar(node))
		return;
	CG_GROW(p->items, p->alloc, p->n + 1);
	ps = &p->items[p->n++];
	memset(ps, 0, sizeof(*ps));
	ps->node = node;
	ps->src = src;
	ps->script = cg_script_build(p->arena, src, node, &ps->note);
	cg_ci_script_facts_ahead(p->config, ps->script);
}

void cg_prepared_sort(struct cg_prepared *p)
{
	if (p->n > 1)
		qsort(p->items, p->n, sizeof(*p->items), by_node);
}

void cg_prepared_release(struct cg_prepared *p)
{
	for (size_t i = 0; i < p->n; i++) {
		if (!p->items[i].taken) {
			cg_script_free(p->items[i].script);
			free(p->items[i].note);
		}
	}
	free(p->items);
	memset(p, 0, sizeof(*p));
}

struct cg_script *cg_script_new(struct cg_model *m, const struct cg_src *src,
				const struct cg_node *node)
{
	struct cg_prepared *p = m->prepared;
	struct cg_script *s;
	char *note = NULL;

	if (p && p->n) {
		struct cg_prepared_script key = {.node = node};
		struct cg_prepared_script *hit =
		    bsearch(&key, p->items, p->n, sizeof(*p->items), by_node);

		if (hit && !hit->taken && hit->src == src) {
			hit->taken = true;
			return noted(m, hit->script, hit->note);
		}
	}
	s = cg_script_build(&m->arena, src, node, &note);
	return noted(m, s, note);
}

/* Does the text hold anything but blanks? (gitlab-runner trims each
 * item and writes no echo for an empty one.) */
static bool blank(const char *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (t[i] != ' ' && t[i] != '\t' && t[i] != '\n' && t[i] != '\r')
			return false;
	return true;
}

struct cg_script *cg_script_join(struct cg_model *m,
				 struct cg_script *const *items, size_t n,
				 bool check_each)
{
	struct cg_buf text = CG_BUF_INIT;
	struct cg_script *s;
	char *note = NULL;
	size_t len;

	if (!n)
		return NULL;
	s = cg_xcalloc(1, sizeof(*s));
	s->src = items[0]->src;
	s->node = items[0]->node;
	s->parts = cg_xcalloc(n, sizeof(*s->parts));
	s->nparts = n;
	for (size_t i = 0; i < n; i++) {
		struct cg_script_part *p = &s->parts[i];
		const struct cg_node *node = items[i]->node;

		/* the runner echoes each item before it runs it, so every
		 * item starts with $? = 0 (`:` does the same here) */
		if (!blank(node->str, node->len))
			cg_buf_addstr(&text, ":\n");
		p->src = items[i]->src;
		p->node = node;
		p->base = text.len;
		p->len = node->len;
		cg_buf_add(&text, node->str, p->len);
		cg_buf_addch(&text, '\n');
		/* FF_ENABLE_BASH_EXIT_CODE_CHECK: after each item, a
		 * non-zero status ends the job with it */
		if (check_each)
			cg_buf_addstr(&text, "ciguard_item_rc=$?; [ "
					     "\"$ciguard_item_rc\" -eq 0 ] || "
					     "exit \"$ciguard_item_rc\"\n");
	}
	len = text.len;
	s->joined = cg_buf_detach(&text, NULL);
	s = parse(&m->arena, s, s->joined, len, &note);
	return noted(m, s, note);
}

void cg_script_free(struct cg_script *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nnested; i++)
		cg_script_free(s->nested[i].script);
	free(s->nested);
	cg_script_facts_free(s->facts_ahead);
	cg_sh_release(&s->sh);
	for (size_t i = 0; i < s->nparts; i++)
		free(s->parts[i].offsets);
	free(s->parts);
	free(s->joined);
	free(s->map);
	free(s);
}

/* The outermost script and the offset in it of byte `off` of `s`. */
static const struct cg_script *outermost(const struct cg_script *s, size_t *off)
{
	while (s->parent) {
		if (s->map)
			*off = s->map[*off < s->sh.len ? *off : s->sh.len];
		else
			*off += s->base;
		s = s->parent;
	}
	return s;
}

static struct cg_script_part *part_at(const struct cg_script *s, size_t off)
{
	size_t lo = 0, hi = s->nparts;

	/* the last part whose base <= off */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->parts[mid].base <= off)
			lo = mid;
		else
			hi = mid;
	}
	return &s->parts[lo];
}

/* Rules run on several threads (check --jobs), and may want the same map
 * at once: it is built under this lock. */
static pthread_mutex_t offsets_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t file_offset(struct cg_script_part *p, size_t off)
{
	/* the map is built on the first finding: most scripts never need it
	 * (the model is read-only for rules; this cache is the exception) */
	pthread_mutex_lock(&offsets_lock);
	if (!p->offsets_done) {
		p->offsets_done = true;
		if (cg_scalar_offsets(p->src, p->node, &p->offsets) < 0)
			p->offsets = NULL;
	}
	pthread_mutex_unlock(&offsets_lock);
	if (!p->offsets)
		return p->node->start;
	if (off > p->node->len)
		off = p->node->len;
	return p->offsets[off];
}

const struct cg_src *cg_script_src(const struct cg_script *s, size_t off)
{
	s = outermost(s, &off);
	return s->nparts ? part_at(s, off)->src : s->src;
}

struct cg_pos cg_script_pos(const struct cg_script *s, size_t start, size_t end)
{
	struct cg_script_part *p;
	size_t fs, fe;

	{
		/* the end maps through its last byte */
		size_t last = end > start ? end - 1 : start;
		bool empty = end <= start;

		outermost(s, &last);
		s = outermost(s, &start);
		end = empty || last < start ? start : last + 1;
	}
	if (!s->nparts)
		return s->node->pos;
	p = part_at(s, start);
	start = start > p->base ? start - p->base : 0;
	end = end > p->base ? end - p->base : 0;
	if (start > p->len)
		start = p->len;
	if (end > p->len)
		end = p->len;
	fs = file_offset(p, start);
	/* the end is just past the last byte, which may sit on a later line
	 * than the byte after it (a folded line break) */
	fe = end > start ? file_offset(p, end - 1) + 1 : fs;
	if (fe > p->src->len)
		fe = p->src->len;
	return cg_src_pos(p->src, fs, fe < fs ? fs : fe);
}

/* The first nested script of `cmd` (s->nested is sorted by command). */
static size_t first_of(const struct cg_script *s, const struct cg_sh_cmd *cmd)
{
	size_t lo = 0, hi = s->nnested;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->nested[mid].cmd_start < cmd->start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct cg_nested_script *cg_script_nested_at(const struct cg_script *s,
						   const struct cg_sh_cmd *cmd)
{
	for (size_t i = first_of(s, cmd);
	     i < s->nnested && s->nested[i].cmd_start == cmd->start; i++)
		if (order_of(s->nested[i].kind) == 2)
			return &s->nested[i];
	return NULL;
}

const struct cg_nested_script *cg_script_substs(const struct cg_script *s,
						const struct cg_sh_cmd *cmd,
						size_t *n)
{
	size_t i = first_of(s, cmd), k = i;

	while (k < s->nnested && s->nested[k].cmd_start == cmd->start &&
	       s->nested[k].kind == CG_NESTED_SUBST)
		k++;
	*n = k - i;
	return k > i ? &s->nested[i] : NULL;
}

const struct cg_nested_script *cg_script_procsubs(const struct cg_script *s,
						  const struct cg_sh_cmd *cmd,
						  size_t *n)
{
	size_t i = first_of(s, cmd), k;

	while (i < s->nnested && s->nested[i].cmd_start == cmd->start &&
	       s->nested[i].kind == CG_NESTED_SUBST)
		i++;
	for (k = i; k < s->nnested && s->nested[k].cmd_start == cmd->start &&
		    s->nested[k].kind == CG_NESTED_PROCSUB;
	     k++)
		;
	*n = k - i;
	return k > i ? &s->nested[i] : NULL;
}
