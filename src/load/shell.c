/*
 * Shell loader: the text of a CI `run:`/`script:` block -> lists, and-or
 * lists, pipelines and commands with byte offsets.
 *
 * A recursive-descent parser over a pull lexer with one token of
 * lookahead, as bash's own grammar is LALR(1) over a context-sensitive
 * lexer: reserved words are words the parser recognises in command
 * position, the lexer never decides that. Word lexing is where the shell
 * nests: `$(...)` is lexed by running the parser itself on the inside
 * (so `case` arms, quotes, comments and heredocs inside it are right) and
 * the raw text is kept in the word. `${{ ... }}` is found before anything
 * else, in every quoting context, because GitHub substitutes it before the
 * shell runs.
 *
 * Memory: every node lives in the script's arena with exact-size arrays.
 * While a construct is being parsed its elements wait on typed scratch
 * stacks (one heap buffer each); nested constructs push above and pop back
 * before the parent pushes again, so a construct's elements are always
 * contiguous and are copied out once. Word text is built the same way on a
 * stack of bytes. The stacks are kept per thread from one script to the
 * next: a run parses thousands of small scripts, and growing nine stacks
 * from nothing for each was a quarter of the parse's instructions. Nothing
 * else on the heap survives cg_sh_parse.
 *
 * Safety: every recursion goes through enter(), bounded by max_depth
 * (clamped to CG_SH_DEPTH_CAP so the C stack cannot overflow); past it the
 * parse unwinds and no tree is kept. Every loop consumes input or stops;
 * every read of `text` is bounds-checked (it need not be NUL-terminated).
 * Work is linear: each byte is lexed once, except that a `((`/`$((` that
 * turns out not to be arithmetic is rescanned as a subshell/command
 * substitution (bounded by the nesting depth), and an arithmetic scan that
 * runs off the end of the script turns those scans off for the rest of it.
 *
 * Where bash's grammar bends, this follows bash 5: `((` is arithmetic only
 * if its inner group closes with `))`; `${` nests on `${` only, not on a
 * bare `{`; digits right after a redirection operator are its target, not
 * an fd; extglob groups `@(..)` stay in their word. Invalid scripts are
 * parsed leniently (a stray token is skipped and `incomplete` set).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "load/load.h"
#include "core/banned.h"

enum tok_kind {
	T_EOF,
	T_WORD,
	T_IONUM, /* the digits of `2>` */
	T_NEWLINE,
	T_SEMI,
	T_AMP,
	T_AND,
	T_OR,
	T_PIPE,
	T_PIPE_AMP,
	T_LPAREN,
	T_RPAREN,
	T_DSEMI,
	T_SEMI_AMP,
	T_DSEMI_AMP,
	T_REDIR,
};

struct tok {
	enum tok_kind kind;
	size_t start, end;
	struct cg_sh_word word; /* T_WORD */
	bool assign;		/* T_WORD: starts with NAME=, NAME+=, ... */
	enum cg_sh_redir_kind redir; /* T_REDIR */
	int fd;			     /* T_IONUM */
};

/* A scratch stack of bytes; see the design comment. */
struct vec {
	unsigned char *p;
	size_t len, alloc;
};

struct heredoc {
	struct heredoc *next;
	const char *delim;
	size_t delim_len;
	bool strip_tabs;
	bool done;
	size_t body_start, body_end;
	struct cg_sh_redir *dst; /* set once the command is copied out */
};

struct redir_build {
	struct cg_sh_redir r;
	struct heredoc *hd;
};

struct op_build {
	size_t start, end;
	enum cg_sh_op op;
};

struct arm_build {
	struct cg_sh_list *list;
	struct cg_sh_word *patterns;
	uint32_t npatterns;
};

struct elif_build {
	size_t start;
	struct cg_sh_list *cond, *then;
};

struct wstate {
	bool quoted, expands, dash_bad;
};

enum list_mode {
	LIST_TOP,      /* until EOF; stray tokens are skipped */
	LIST_SUBST,    /* until `)` or EOF; stray tokens are skipped */
	LIST_COMPOUND, /* until any token that cannot start a command */
};

struct ps {
	bool arena_shared;
	const char *s;
	size_t len, pos;
	struct cg_arena *arena;
	unsigned depth, max_depth;
	int err;
	bool incomplete;
	bool gh_naive;	/* a `${{` ran off the end with quote tracking */
	bool arith_eof; /* an arithmetic scan ran off the end */
	bool has_peek;
	struct tok peek;
	size_t last_end; /* end of the last consumed token */
	struct heredoc *hd_head, **hd_tail;
	unsigned discard; /* inside $(...): parse, but keep no tree */
	size_t dash_stop; /* see cg_sh_script */
	bool dash_exact;
	struct cg_sh_list discarded;
	unsigned char *chunk; /* sh_alloc's current chunk */
	size_t chunk_left, chunk_next;
	struct vec text, words, redirs, cmds, pipes, andors, ops, arms, elifs;
};

static const char empty_text[] = "";

/* A bash-only construct at byte `at` that dash's parser refuses; exact:
 * with a syntax error on that line (see cg_sh_script). */
static void bash_only(struct ps *p, size_t at, bool exact)
{
	if (at < p->dash_stop) {
		p->dash_stop = at;
		p->dash_exact = exact;
	}
}

/* The scratch stacks between parses, per thread (check --jobs parses on
 * several); freed when the thread exits, the main thread's at exit. */
#define NSTACKS 9
struct scratch {
	struct vec stacks[NSTACKS];
	bool registered; /* with scratch_key, to be freed at thread exit */
};

static _Thread_local struct scratch thread_scratch;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static pthread_key_t scratch_key;
static bool scratch_key_ok;

static struct cg_sh_list *parse_list(struct ps *p, enum list_mode mode);
static void parse_command(struct ps *p, struct cg_sh_cmd *c);
static void lex_parts(struct ps *p, struct wstate *w, size_t start, bool regex,
		      size_t *out_end);
static void lex_double(struct ps *p, struct wstate *w);

/* ------------------------------------------------------------- helpers */

static void vec_push(struct vec *v, const void *x, size_t n)
{
	CG_GROW(v->p, v->alloc, v->len + n);
	memcpy(v->p + v->len, x, n);
	v->len += n;
}

/*
 * Node memory: bump allocation from chunks taken from the arena, growing
 * geometrically. Small scripts use one small chunk; big ones soon get
 * chunks large enough for malloc to map them directly, which is far cheaper
 * to fault in than the arena's 64 KiB blocks. Chunks come zeroed.
 */
#define CHUNK_MIN 256
#define CHUNK_MAX (4u << 20)

static void *sh_alloc_aligned(struct ps *p, size_t n, size_t align)
{
	size_t pad;
	void *r;

	if (n > CHUNK_MAX / 4 || p->arena_shared)
		return cg_arena_alloc(p->arena, n);
	pad = (align - ((uintptr_t)p->chunk & (align - 1))) & (align - 1);
	if (!p->chunk || p->chunk_left < n + pad) {
		size_t size = p->chunk_next;

		while (size < n)
			size *= 2;
		p->chunk = cg_arena_alloc(p->arena, size);
		p->chunk_left = size;
		if (size < CHUNK_MAX)
			p->chunk_next = size * 2;
		pad = 0;
	}
	r = p->chunk + pad;
	p->chunk += n + pad;
	p->chunk_left -= n + pad;
	return r;
}

static void *sh_alloc(struct ps *p, size_t n)
{
	return sh_alloc_aligned(p, n, sizeof(void *));
}

static char *sh_strndup(struct ps *p, const char *s, size_t n)
{
	char *r;

	if (p->arena_shared)
		return cg_arena_strndup(p->arena, s, n);
	r = sh_alloc_aligned(p, n + 1, 1);

	memcpy(r, s, n);
	r[n] = '\0';
	return r;
}

/* Copy the elements above `mark` into the arena and pop them. */
static void *vec_take(struct ps *p, struct vec *v, size_t mark, size_t elsize,
		      uint32_t *out_n)
{
	size_t bytes = v->len - mark;
	void *arr = NULL;

	/* fits: every element took at least a byte of the script */
	*out_n = p->discard ? 0 : (uint32_t)(bytes / elsize);
	if (bytes && !p->discard) {
		arr = sh_alloc(p, bytes);
		memcpy(arr, v->p + mark, bytes);
	}
	v->len = mark;
	return arr;
}

static int at(const struct ps *p, size_t i)
{
	return i < p->len ? (unsigned char)p->s[i] : -1;
}

/* The character at pos after any backslash-newline line continuations. */
static int cur(struct ps *p)
{
	while (p->pos + 1 < p->len && p->s[p->pos] == '\\' &&
	       p->s[p->pos + 1] == '\n')
		p->pos += 2;
	return at(p, p->pos);
}

static void put(struct ps *p, int c)
{
	unsigned char ch = (unsigned char)c;

	vec_push(&p->text, &ch, 1);
}

static void put_raw(struct ps *p, size_t from, size_t to)
{
	if (to > from)
		vec_push(&p->text, p->s + from, to - from);
}

static bool enter(struct ps *p)
{
	if (p->err)
		return false;
	if (p->depth >= p->max_depth) {
		p->err = cg_error_set(
		    CG_ELIMIT, "shell script nests deeper than %u levels",
		    p->max_depth);
		return false;
	}
	p->depth++;
	return true;
}

static void leave(struct ps *p)
{
	p->depth--;
}

static bool is_name_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_name_char(int c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

static bool is_meta(int c)
{
	switch (c) {
	case ' ':
	case '\t':
	case '\n':
	case ';':
	case '&':
	case '|':
	case '(':
	case ')':
	case '<':
	case '>':
		return true;
	default:
		return false;
	}
}

/* A byte that stands for itself in an unquoted word. */
static bool is_ordinary(char c)
{
	return !is_meta((unsigned char)c) && c != '\\' && c != '\'' &&
	       c != '"' && c != '$' && c != '`';
}

/* Length of a NAME=, NAME+= or NAME[sub]= prefix of s[0..n), else 0. */
static size_t assign_prefix(const char *s, size_t n)
{
	size_t i = 1;

	if (!n || !is_name_start((unsigned char)s[0]))
		return 0;
	while (i < n && is_name_char((unsigned char)s[i]))
		i++;
	if (i < n && s[i] == '[') {
		const char *close = memchr(s + i, ']', n - i);

		if (!close)
			return 0;
		i = (size_t)(close - s) + 1;
	}
	if (i < n && s[i] == '+')
		i++;
	if (i < n && s[i] == '=')
		return i + 1;
	return 0;
}

static struct cg_sh_word word_from_text(struct ps *p, size_t mark, size_t start,
					size_t end, const struct wstate *w)
{
	struct cg_sh_word word;

	word.len = p->text.len - mark;
	word.text =
	    word.len ? sh_strndup(p, (const char *)p->text.p + mark, word.len)
		     : empty_text;
	p->text.len = mark;
	word.start = start;
	word.end = end;
	word.quoted = w->quoted;
	word.expands = w->expands;
	word.dash_bad = w->dash_bad;
	return word;
}

/* A word made of the raw bytes [start, end). */
static struct cg_sh_word word_raw(struct ps *p, size_t start, size_t end)
{
	struct cg_sh_word word = {0};

	word.len = end - start;
	word.text = sh_strndup(p, p->s + start, word.len);
	word.start = start;
	word.end = end;
	word.expands = memchr(word.text, '$', word.len) ||
		       memchr(word.text, '`', word.len);
	return word;
}

static struct cg_sh_word word_empty(size_t at_off)
{
	struct cg_sh_word word = {0};

	word.text = empty_text;
	word.start = word.end = at_off;
	return word;
}

/* ------------------------------------------------------------ heredocs */

/* Read the bodies of the pending heredocs; pos is just past a newline. */
static void read_heredocs(struct ps *p)
{
	while (p->hd_head) {
		struct heredoc *hd = p->hd_head;

		p->hd_head = hd->next;
		if (!p->hd_head)
			p->hd_tail = &p->hd_head;
		hd->body_start = p->pos;
		for (;;) {
			size_t ls = p->pos, le, ts;
			const char *nl;

			if (ls >= p->len) {
				hd->body_end = p->len;
				p->incomplete = true;
				break;
			}
			nl = memchr(p->s + ls, '\n', p->len - ls);
			le = nl ? (size_t)(nl - p->s) : p->len;
			ts = ls;
			if (hd->strip_tabs)
				while (ts < le && p->s[ts] == '\t')
					ts++;
			p->pos = nl ? le + 1 : p->len;
			if (le - ts == hd->delim_len &&
			    !memcmp(p->s + ts, hd->delim, hd->delim_len)) {
				hd->body_end = ls;
				break;
			}
		}
		hd->done = true;
		if (hd->dst) {
			hd->dst->body_start = hd->body_start;
			hd->dst->body_end = hd->body_end;
		}
	}
}

static void consume_newline(struct ps *p)
{
	p->pos++;
	read_heredocs(p);
}

/* --------------------------------------------------------- word lexing */

/*
 * `${{ ... }}` at pos: appended raw. It ends at the first `}}` outside a
 * '...' string literal of the expression language; if quotes make that run
 * off the end, quote tracking is dropped for the rest of the script (which
 * keeps the scan linear) and the first `}}` ends it.
 */
static void lex_gh(struct ps *p, struct wstate *w)
{
	size_t st = p->pos, i = st + 3, end = p->len;
	bool found = false;

	w->expands = true;
	if (!p->gh_naive) {
		bool in_str = false;

		for (; i + 1 < p->len; i++) {
			if (p->s[i] == '\'') {
				in_str = !in_str;
			} else if (!in_str && p->s[i] == '}' &&
				   p->s[i + 1] == '}') {
				end = i + 2;
				found = true;
				break;
			}
		}
		if (!found)
			p->gh_naive = true;
	}
	for (i = st + 3; !found && i + 1 < p->len; i++) {
		const char *q = memchr(p->s + i, '}', p->len - 1 - i);

		if (!q)
			break;
		i = (size_t)(q - p->s);
		if (p->s[i + 1] == '}') {
			end = i + 2;
			found = true;
		}
	}
	if (!found)
		p->incomplete = true;
	put_raw(p, st, end);
	p->pos = end;
}

static bool at_gh(const struct ps *p, size_t i)
{
	return at(p, i) == '$' && at(p, i + 1) == '{' && at(p, i + 2) == '{';
}

static void lex_single(struct ps *p, struct wstate *w)
{
	size_t run;

	w->quoted = true;
	p->pos++;
	for (;;) {
		int c = at(p, p->pos);

		if (c < 0) {
			p->incomplete = true;
			return;
		}
		if (c == '\'') {
			p->pos++;
			return;
		}
		if (c == '$' && at_gh(p, p->pos)) {
			lex_gh(p, w);
			continue;
		}
		run = p->pos + 1;
		while (run < p->len && p->s[run] != '\'' && p->s[run] != '$')
			run++;
		put_raw(p, p->pos, run);
		p->pos = run;
	}
}

/* `\xHH` (e is 'x') or `\NNN` (e is the first octal digit), pos just past
 * e: the byte it stands for, or -1 for a `\x` without hex digits. */
static int ansi_c_number(struct ps *p, int e)
{
	int v = 0, n = 0, d;

	if (e != 'x') {
		v = e - '0';
		while (n < 2 && (d = at(p, p->pos)) >= '0' && d <= '7') {
			v = v * 8 + (d - '0');
			p->pos++;
			n++;
		}
		return v & 0xff;
	}
	while (n < 2 && (d = cg_hex_value(at(p, p->pos))) >= 0) {
		v = v * 16 + d;
		p->pos++;
		n++;
	}
	return n ? v : -1;
}

/* $'...': backslash escapes as bash's ANSI-C quoting has them. */
static void lex_ansi_c(struct ps *p, struct wstate *w)
{
	w->quoted = true;
	p->pos++;
	for (;;) {
		int c = at(p, p->pos), n;

		if (c < 0) {
			p->incomplete = true;
			return;
		}
		p->pos++;
		if (c == '\'')
			return;
		if (c == '\\' && at(p, p->pos) >= 0) {
			int e = at(p, p->pos++);

			switch (e) {
			case 'n':
				put(p, '\n');
				break;
			case 't':
				put(p, '\t');
				break;
			case 'r':
				put(p, '\r');
				break;
			case 'a':
				put(p, '\a');
				break;
			case 'b':
				put(p, '\b');
				break;
			case 'e':
			case 'E':
				put(p, 033);
				break;
			case 'f':
				put(p, '\f');
				break;
			case 'v':
				put(p, '\v');
				break;
			case '\\':
			case '\'':
			case '"':
			case '?':
				put(p, e);
				break;
			case 'x':
			case '0':
			case '1':
			case '2':
			case '3':
			case '4':
			case '5':
			case '6':
			case '7':
				n = ansi_c_number(p, e);
				if (n < 0) {
					put(p, '\\');
					n = e;
				}
				put(p, n);
				break;
			default:
				put(p, '\\');
				put(p, e);
				break;
			}
			continue;
		}
		put(p, c);
	}
}

static void lex_backtick(struct ps *p, struct wstate *w)
{
	size_t st = p->pos, mark = p->text.len;

	w->expands = true;
	p->pos++;
	for (;;) {
		int c = at(p, p->pos);

		if (c < 0) {
			p->incomplete = true;
			break;
		}
		if (c == '`') {
			p->pos++;
			break;
		}
		if (c == '\\') {
			p->pos += at(p, p->pos + 1) >= 0 ? 2 : 1;
			continue;
		}
		if (c == '$' && at_gh(p, p->pos)) {
			lex_gh(p, w);
			continue;
		}
		p->pos++;
	}
	p->text.len = mark;
	put_raw(p, st, p->pos);
}

enum arith { ARITH_OK, ARITH_NOT, ARITH_EOF };

/*
 * Scan an arithmetic `((` ... `))` whose text starts at `from` (just past
 * the two parens). Parens are counted flat, quotes skipped; the inner group
 * closing with `)` not followed by `)` means it is not arithmetic (bash's
 * rule), e.g. `$( (cd x) )` written without the spaces.
 */
static enum arith scan_arith(struct ps *p, size_t from, size_t *out_end)
{
	size_t depth = 2, i;

	for (i = from; i < p->len; i++) {
		const char *q;

		switch (p->s[i]) {
		case '(':
			depth++;
			break;
		case ')':
			if (--depth == 1) {
				if (at(p, i + 1) == ')') {
					*out_end = i + 2;
					return ARITH_OK;
				}
				return ARITH_NOT;
			}
			break;
		case '\\':
			i++;
			break;
		case '\'':
		case '`':
			q = memchr(p->s + i + 1, p->s[i], p->len - i - 1);
			if (!q)
				i = p->len;
			else
				i = (size_t)(q - p->s);
			break;
		case '"':
			for (i++; i < p->len && p->s[i] != '"'; i++)
				if (p->s[i] == '\\')
					i++;
			break;
		default:
			break;
		}
	}
	p->arith_eof = true;
	return ARITH_EOF;
}

static void lex_dollar(struct ps *p, struct wstate *w, bool in_dq);

/*
 * `${...}` at pos (the `$`): quotes and expansions inside, nested `${`
 * through lex_dollar. A bare `{` does not nest: bash ends `${x:-{a}` at
 * the first `}`.
 */
/*
 * `${` at byte i: is it an expansion dash refuses ("Bad substitution")?
 * POSIX has ${N}, ${#N}, and ${N} followed by :- := :? :+ - = ? + % %% #
 * ##, for N a name, digits or one of @*#?-$!0.
 */
static bool dash_bad_brace(const struct ps *p, size_t i)
{
	size_t k = i + 2;
	int c = at(p, k);

	if (c == '!' && at(p, k + 1) != '}')
		return true; /* ${!x}, ${!prefix*} */
	if (c == '#' && at(p, k + 1) != '}' && at(p, k + 1) >= 0 &&
	    !strchr(":-=?+%#", at(p, k + 1)))
		k++; /* ${#x}: the length */
	c = at(p, k);
	if (is_name_start(c)) {
		while (is_name_char(at(p, k)))
			k++;
	} else if (c >= '0' && c <= '9') {
		while ((c = at(p, k)) >= '0' && c <= '9')
			k++;
	} else if (c >= 0 && strchr("@*#?-$!0", c)) {
		k++;
	} else {
		return false; /* not an expansion dash reads either way */
	}
	c = at(p, k);
	if (c == ':')
		return !(at(p, k + 1) >= 0 && strchr("-=?+", at(p, k + 1)));
	return c >= 0 && strchr("/^,@[", c);
}

static void lex_brace(struct ps *p, struct wstate *w, bool in_dq)
{
	size_t st = p->pos, mark = p->text.len;

	if (dash_bad_brace(p, st))
		w->dash_bad = true;
	if (!enter(p))
		return;
	p->pos += 2;
	while (!p->err) {
		int c = cur(p);

		if (c < 0) {
			p->incomplete = true;
			break;
		}
		if (c == '}') {
			p->pos++;
			break;
		} else if (c == '\\') {
			p->pos += at(p, p->pos + 1) >= 0 ? 2 : 1;
		} else if (c == '\'' && !in_dq) {
			lex_single(p, w);
		} else if (c == '"') {
			lex_double(p, w);
		} else if (c == '$') {
			lex_dollar(p, w, in_dq);
		} else if (c == '`') {
			lex_backtick(p, w);
		} else {
			p->pos++;
		}
	}
	leave(p);
	p->text.len = mark;
	put_raw(p, st, p->pos);
}

/* `$(` or `<(`/`>(` at st, pos just past the `(`: parse the inside. */
static void lex_subst(struct ps *p, size_t st)
{
	/* the outer parser has not consumed this word yet */
	size_t mark = p->text.len, last_end = p->last_end;

	if (!enter(p))
		return;
	/* parsed for where it ends (quotes, case arms, heredocs inside);
	 * the struct has no place for the tree, so none is built */
	p->discard++;
	parse_list(p, LIST_SUBST);
	p->discard--;
	if (p->has_peek && p->peek.kind == T_RPAREN) {
		p->has_peek = false;
	} else {
		/* EOF (or an error): the peeked token is the end */
		p->has_peek = false;
		p->incomplete = true;
	}
	leave(p);
	p->last_end = last_end;
	p->text.len = mark;
	put_raw(p, st, p->pos);
}

/* `$[ ... ]`, the old arithmetic form: pos moves past the matching `]`. */
static void skip_dollar_bracket(struct ps *p)
{
	size_t st = p->pos, nest = 0, i;

	for (i = st; i < p->len; i++) {
		if (p->s[i] == '[') {
			nest++;
		} else if (p->s[i] == ']' && --nest == 0) {
			i++;
			break;
		}
	}
	if (nest)
		p->incomplete = true;
	p->pos = i;
}

/* `$` at pos: an expansion, kept literally. */
static void lex_dollar(struct ps *p, struct wstate *w, bool in_dq)
{
	size_t st = p->pos;
	int c = at(p, st + 1);

	if (c == '{' && at(p, st + 2) == '{') {
		lex_gh(p, w);
		return;
	}
	w->expands = true;
	if (c == '{') {
		lex_brace(p, w, in_dq);
	} else if (c == '(') {
		size_t end;

		if (at(p, st + 2) == '(' && !p->arith_eof &&
		    scan_arith(p, st + 3, &end) == ARITH_OK) {
			put_raw(p, st, end);
			p->pos = end;
			return;
		}
		p->pos = st + 2;
		lex_subst(p, st);
	} else if (c == '[') {
		p->pos++;
		skip_dollar_bracket(p);
		put_raw(p, st, p->pos);
	} else if (c == '\'' && !in_dq) {
		p->pos++;
		lex_ansi_c(p, w);
	} else if (c == '"' && !in_dq) {
		p->pos++;
		lex_double(p, w);
	} else {
		put(p, '$');
		p->pos++;
	}
}

static void lex_double(struct ps *p, struct wstate *w)
{
	w->quoted = true;
	p->pos++;
	while (!p->err) {
		int c = at(p, p->pos), n;
		size_t run;

		if (c < 0) {
			p->incomplete = true;
			return;
		}
		switch (c) {
		case '"':
			p->pos++;
			return;
		case '\\':
			n = at(p, p->pos + 1);
			if (n == '\n') {
				p->pos += 2;
			} else if (n == '$' || n == '`' || n == '"' ||
				   n == '\\') {
				put(p, n);
				p->pos += 2;
			} else {
				put(p, '\\');
				p->pos++;
			}
			break;
		case '$':
			lex_dollar(p, w, true);
			break;
		case '`':
			lex_backtick(p, w);
			break;
		default:
			run = p->pos + 1;
			while (run < p->len && p->s[run] != '"' &&
			       p->s[run] != '\\' && p->s[run] != '$' &&
			       p->s[run] != '`')
				run++;
			put_raw(p, p->pos, run);
			p->pos = run;
			break;
		}
	}
}

/* Skip blanks, line continuations and comments. */
static int skip_blanks(struct ps *p)
{
	for (;;) {
		int c = cur(p);

		if (c == ' ' || c == '\t') {
			p->pos++;
		} else if (c == '#') {
			const char *nl =
			    memchr(p->s + p->pos, '\n', p->len - p->pos);

			p->pos = nl ? (size_t)(nl - p->s) : p->len;
		} else {
			return c;
		}
	}
}

/* `NAME=(` at pos: the array's elements, kept literally. */
static void lex_array(struct ps *p, struct wstate *w)
{
	size_t st = p->pos, mark = p->text.len;

	bash_only(p, st, true);
	if (!enter(p))
		return;
	p->pos++;
	while (!p->err) {
		int c = skip_blanks(p);
		size_t end;

		if (c < 0) {
			p->incomplete = true;
			break;
		}
		if (c == ')') {
			p->pos++;
			break;
		}
		if (c == '\n')
			consume_newline(p);
		else if (is_meta(c))
			p->pos++; /* not valid here; skipped */
		else
			lex_parts(p, w, p->pos, false, &end);
	}
	leave(p);
	p->text.len = mark;
	put_raw(p, st, p->pos);
}

/*
 * An extglob group `@(a|b)` (also `!( +( *( ?(`) at the `(`, kept literally.
 * Only valid with `shopt -s extglob` (always on inside `[[ ]]`); without
 * it a word cannot go on with `(`, so this never misreads a valid script.
 */
static void lex_extglob(struct ps *p)
{
	size_t nest = 0, i;

	for (i = p->pos; i < p->len; i++) {
		char c = p->s[i];

		if (c == '(') {
			nest++;
		} else if (c == ')') {
			if (--nest == 0) {
				i++;
				break;
			}
		} else if (c == '\\') {
			i++;
		} else if (c == '\'') {
			const char *q =
			    memchr(p->s + i + 1, '\'', p->len - i - 1);

			i = q ? (size_t)(q - p->s) : p->len;
		} else if (c == '\n') {
			break;
		}
	}
	if (i > p->len)
		i = p->len;
	if (nest)
		p->incomplete = true;
	put_raw(p, p->pos, i);
	p->pos = i;
}

/*
 * The parts of one word from pos, appended to p->text quote-removed.
 * `start` is where the word began; `regex` lexes the right side of `=~`
 * in `[[ ]]`, where parens and `|` belong to the word. *out_end is just
 * past the last byte of the word.
 */
static void lex_parts(struct ps *p, struct wstate *w, size_t start, bool regex,
		      size_t *out_end)
{
	size_t end = p->pos, parens = 0;

	while (!p->err) {
		int c = cur(p);

		if (c < 0)
			break;
		if (regex && c != '\n' &&
		    (parens || c == '(' || c == '|' || c == '<' || c == '>')) {
			if (c == '(') {
				/* dash: a `(` inside a word */
				bash_only(p, p->pos, true);
				parens++;
			} else if (c == ')') {
				parens--;
			} else if (!parens || !is_meta(c) || c == '\\') {
				goto ordinary;
			}
			put(p, c);
			p->pos++;
			end = p->pos;
			continue;
		}
		if (is_meta(c)) {
			if (c == '(' && p->pos > start &&
			    assign_prefix(p->s + start, p->pos - start) ==
				p->pos - start) {
				lex_array(p, w);
				end = p->pos;
				continue;
			}
			if ((c == '<' || c == '>') && p->pos == start &&
			    at(p, p->pos + 1) == '(') {
				bash_only(p, p->pos, true);
				w->expands = true;
				p->pos += 2;
				lex_subst(p, start);
				end = p->pos;
				continue;
			}
			if (c == '(' && p->pos > start &&
			    memchr("@!+*?", p->s[p->pos - 1], 5)) {
				bash_only(p, p->pos, true);
				lex_extglob(p);
				end = p->pos;
				continue;
			}
			break;
		}
	ordinary:
		switch (c) {
		case '\\':
			w->quoted = true;
			p->pos++;
			if (p->pos < p->len)
				put(p, p->s[p->pos++]);
			else
				put(p, '\\');
			break;
		case '\'':
			lex_single(p, w);
			break;
		case '"':
			lex_double(p, w);
			break;
		case '$':
			lex_dollar(p, w, false);
			break;
		case '`':
			lex_backtick(p, w);
			break;
		default: {
			size_t run = p->pos + 1;

			while (run < p->len && is_ordinary(p->s[run]))
				run++;
			put_raw(p, p->pos, run);
			p->pos = run;
			break;
		}
		}
		end = p->pos;
	}
	*out_end = end;
}

static void lex_word(struct ps *p, struct tok *t)
{
	size_t mark = p->text.len, start = p->pos, end, i;
	struct wstate w = {false, false, false};
	int next;

	lex_parts(p, &w, start, false, &end);
	t->kind = T_WORD;
	t->start = start;
	t->end = end;
	t->word = word_from_text(p, mark, start, end, &w);
	t->assign = assign_prefix(p->s + start, end - start) > 0;

	/* `2>file`, `{fd}>&-`: an fd number directly before `<` or `>` */
	next = at(p, p->pos);
	if ((next != '<' && next != '>') || p->pos != end || w.quoted ||
	    w.expands)
		return;
	if (end > start && end - start <= 9) {
		int fd = 0;

		for (i = start; i < end && p->s[i] >= '0' && p->s[i] <= '9';
		     i++)
			fd = fd * 10 + (p->s[i] - '0');
		if (i == end) {
			t->kind = T_IONUM;
			t->fd = fd;
			return;
		}
	}
	if (end - start >= 3 && p->s[start] == '{' && p->s[end - 1] == '}' &&
	    is_name_start((unsigned char)p->s[start + 1])) {
		for (i = start + 1; i < end - 1; i++)
			if (!is_name_char((unsigned char)p->s[i]))
				return;
		t->kind = T_IONUM;
		t->fd = -2;
	}
}

/* ---------------------------------------------------------------- lexer */

static void lex_next(struct ps *p, struct tok *t)
{
	int c;

	/* every field a token kind uses is set below */
	t->assign = false;
	t->fd = -1;
	c = skip_blanks(p);
	t->start = t->end = p->pos;
	if (p->err || c < 0) {
		t->kind = T_EOF;
		return;
	}
	if (c == '\n') {
		p->pos++;
		t->kind = T_NEWLINE;
		t->end = p->pos;
		read_heredocs(p);
		return;
	}
	if ((c == '<' || c == '>') && at(p, p->pos + 1) == '(') {
		lex_word(p, t);
		return;
	}
	if (!is_meta(c)) {
		lex_word(p, t);
		return;
	}
	p->pos++;
	switch (c) {
	case ';':
		t->kind = T_SEMI;
		if (cur(p) == ';') {
			p->pos++;
			t->kind = T_DSEMI;
			if (cur(p) == '&') {
				bash_only(p, t->start, true);
				p->pos++;
				t->kind = T_DSEMI_AMP;
			}
		} else if (cur(p) == '&') {
			bash_only(p, t->start, true);
			p->pos++;
			t->kind = T_SEMI_AMP;
		}
		break;
	case '&':
		t->kind = T_AMP;
		if (cur(p) == '&') {
			p->pos++;
			t->kind = T_AND;
		} else if (cur(p) == '>') {
			p->pos++;
			t->kind = T_REDIR;
			t->redir = CG_SH_REDIR_OUT_ERR;
			if (cur(p) == '>') {
				p->pos++;
				t->redir = CG_SH_REDIR_APPEND_ERR;
			}
		}
		break;
	case '|':
		t->kind = T_PIPE;
		if (cur(p) == '|') {
			p->pos++;
			t->kind = T_OR;
		} else if (cur(p) == '&') {
			bash_only(p, p->pos - 1, true);
			p->pos++;
			t->kind = T_PIPE_AMP;
		}
		break;
	case '(':
		t->kind = T_LPAREN;
		break;
	case ')':
		t->kind = T_RPAREN;
		break;
	case '<':
		t->kind = T_REDIR;
		t->redir = CG_SH_REDIR_IN;
		if (cur(p) == '<') {
			p->pos++;
			t->redir = CG_SH_REDIR_HEREDOC;
			if (cur(p) == '<') {
				p->pos++;
				t->redir = CG_SH_REDIR_HERESTRING;
			} else if (cur(p) == '-') {
				p->pos++;
				t->redir = CG_SH_REDIR_HEREDOC_STRIP;
			}
		} else if (cur(p) == '&') {
			p->pos++;
			t->redir = CG_SH_REDIR_DUP_IN;
		} else if (cur(p) == '>') {
			p->pos++;
			t->redir = CG_SH_REDIR_RDWR;
		}
		break;
	case '>':
		t->kind = T_REDIR;
		t->redir = CG_SH_REDIR_OUT;
		if (cur(p) == '>') {
			p->pos++;
			t->redir = CG_SH_REDIR_APPEND;
		} else if (cur(p) == '&') {
			p->pos++;
			t->redir = CG_SH_REDIR_DUP_OUT;
		} else if (cur(p) == '|') {
			p->pos++;
			t->redir = CG_SH_REDIR_CLOBBER;
		}
		break;
	default:
		break;
	}
	t->end = p->pos;
}

static struct tok *peek(struct ps *p)
{
	if (p->err) {
		memset(&p->peek, 0, sizeof(p->peek));
		p->peek.kind = T_EOF;
		p->peek.start = p->peek.end = p->pos;
		p->has_peek = true;
	} else if (!p->has_peek) {
		struct tok t;

		/* into a local: lexing a word can run the parser (`$(`),
		 * which peeks too */
		lex_next(p, &t);
		p->peek = t;
		p->has_peek = true;
	}
	return &p->peek;
}

static void consume(struct ps *p)
{
	p->has_peek = false;
	p->last_end = p->peek.end;
}

/* Forget the peeked token and lex again from `at_off` (no side effects:
 * only used for `(`). */
static void rewind_to(struct ps *p, size_t at_off)
{
	p->has_peek = false;
	p->pos = at_off;
}

static void skip_newlines(struct ps *p)
{
	while (peek(p)->kind == T_NEWLINE)
		consume(p);
}

/* ---------------------------------------------------------------- parser */

static bool is_plain(const struct tok *t, const char *rw)
{
	/* the cheap tests first: most words are asked about several
	 * reserved words, and differ from each at once */
	if (t->kind != T_WORD || t->word.quoted || t->word.expands ||
	    !t->word.len || t->word.text[0] != rw[0])
		return false;
	return t->word.len == strlen(rw) &&
	       !memcmp(t->word.text, rw, t->word.len);
}

/* A reserved word that ends a list in command position. */
static bool is_closer(const struct tok *t)
{
	static const char *const closers[] = {"then", "else", "elif", "fi",
					      "do",   "done", "esac", "}"};

	if (t->kind != T_WORD || t->word.quoted || t->word.expands ||
	    t->word.len > 4)
		return false;
	for (size_t i = 0; i < sizeof(closers) / sizeof(closers[0]); i++)
		if (is_plain(t, closers[i]))
			return true;
	return false;
}

static bool starts_command(const struct tok *t)
{
	switch (t->kind) {
	case T_WORD:
		return !is_closer(t);
	case T_IONUM:
	case T_REDIR:
	case T_LPAREN:
		return true;
	default:
		return false;
	}
}

/* Expect the reserved word `rw`; on a mismatch the construct is left
 * unterminated. Returns whether it was there. */
static bool expect_rw(struct ps *p, struct cg_sh_cmd *c, const char *rw)
{
	struct tok *t = peek(p);

	if (!is_plain(t, rw)) {
		p->incomplete = true;
		c->end = p->last_end > c->end ? p->last_end : c->end;
		return false;
	}
	c->end = t->end;
	consume(p);
	return true;
}

static struct cg_sh_list *wrap_cmd(struct ps *p, const struct cg_sh_cmd *c)
{
	struct cg_sh_list *l;
	struct cg_sh_andor *ao;
	struct cg_sh_pipeline *pl;
	struct cg_sh_cmd *copy;

	if (p->discard)
		return &p->discarded;
	l = sh_alloc(p, sizeof(*l));
	ao = sh_alloc(p, sizeof(*ao));
	pl = sh_alloc(p, sizeof(*pl));
	copy = sh_alloc(p, sizeof(*copy));
	*copy = *c;
	pl->cmds = copy;
	pl->n = 1;
	pl->start = ao->start = c->start;
	pl->end = ao->end = c->end;
	ao->pipes = pl;
	ao->n = 1;
	l->items = ao;
	l->n = 1;
	return l;
}

static void parse_redir(struct ps *p, struct cg_sh_cmd *c)
{
	struct redir_build rb;
	struct tok *t = peek(p);

	memset(&rb, 0, sizeof(rb));
	rb.r.fd = -1;
	rb.r.start = t->start;
	if (t->kind == T_IONUM) {
		rb.r.fd = t->fd;
		consume(p);
		t = peek(p);
	}
	if (t->kind != T_REDIR) {
		/* an fd number always precedes `<` or `>`; defensive */
		p->incomplete = true;
		rb.r.end = p->last_end;
		rb.r.target = word_empty(rb.r.end);
		goto out;
	}
	rb.r.kind = t->redir;
	rb.r.end = t->end;
	consume(p);
	t = peek(p);
	/* digits before `>` are a target here (the 1 of `2>&1>file`) */
	if (t->kind != T_WORD && t->kind != T_IONUM) {
		p->incomplete = true;
		rb.r.target = word_empty(rb.r.end);
		goto out;
	}
	rb.r.target = t->word;
	rb.r.end = t->end;
	consume(p);
	if (rb.r.kind == CG_SH_REDIR_HEREDOC ||
	    rb.r.kind == CG_SH_REDIR_HEREDOC_STRIP) {
		struct heredoc *hd = sh_alloc(p, sizeof(*hd));

		hd->delim = rb.r.target.text;
		hd->delim_len = rb.r.target.len;
		hd->strip_tabs = rb.r.kind == CG_SH_REDIR_HEREDOC_STRIP;
		*p->hd_tail = hd;
		p->hd_tail = &hd->next;
		rb.hd = hd;
	}
out:
	vec_push(&p->redirs, &rb, sizeof(rb));
	if (rb.r.end > c->end)
		c->end = rb.r.end;
}

static void take_redirs(struct ps *p, struct cg_sh_cmd *c, size_t mark)
{
	size_t n = (p->redirs.len - mark) / sizeof(struct redir_build), i;
	const struct redir_build *rb;

	if (!n || p->discard) {
		p->redirs.len = mark;
		return;
	}
	c->redirs = sh_alloc(p, n * sizeof(*c->redirs));
	c->nredirs = n;
	rb = (const struct redir_build *)(p->redirs.p + mark);
	for (i = 0; i < n; i++) {
		c->redirs[i] = rb[i].r;
		if (!rb[i].hd)
			continue;
		if (rb[i].hd->done) {
			c->redirs[i].body_start = rb[i].hd->body_start;
			c->redirs[i].body_end = rb[i].hd->body_end;
		} else {
			rb[i].hd->dst = &c->redirs[i];
		}
	}
	p->redirs.len = mark;
}

static void parse_trailing_redirs(struct ps *p, struct cg_sh_cmd *c,
				  size_t mark)
{
	for (;;) {
		struct tok *t = peek(p);

		if (t->kind != T_IONUM && t->kind != T_REDIR)
			break;
		parse_redir(p, c);
	}
	take_redirs(p, c, mark);
}

static void push_word(struct ps *p, const struct cg_sh_word *w)
{
	vec_push(&p->words, w, sizeof(*w));
}

/* `[[ ... ]]` once `[[` is consumed: its contents become words. */
static void parse_cond(struct ps *p, struct cg_sh_cmd *c)
{
	bool skip_nl = true, regex_next = false;

	while (!p->err) {
		int c0 = skip_blanks(p);
		size_t st = p->pos, end, mark;
		struct wstate w = {false, false, false};
		struct cg_sh_word word;

		if (c0 < 0) {
			p->incomplete = true;
			break;
		}
		if (c0 == '\n') {
			if (!skip_nl) {
				p->incomplete = true;
				break;
			}
			consume_newline(p);
			continue;
		}
		if (is_meta(c0) &&
		    !(regex_next &&
		      (c0 == '(' || c0 == '|' || c0 == '<' || c0 == '>')) &&
		    !((c0 == '<' || c0 == '>') && at(p, st + 1) == '(')) {
			p->pos++;
			if ((c0 == '&' || c0 == '|') && cur(p) == c0)
				p->pos++;
			word = word_raw(p, st, p->pos);
			push_word(p, &word);
			c->end = p->pos;
			skip_nl = c0 == '&' || c0 == '|' || c0 == '(';
			continue;
		}
		mark = p->text.len;
		lex_parts(p, &w, st, regex_next, &end);
		word = word_from_text(p, mark, st, end, &w);
		push_word(p, &word);
		c->end = end;
		if (!w.quoted && !w.expands && word.len == 2 &&
		    !memcmp(word.text, "]]", 2))
			break;
		regex_next =
		    !w.quoted && word.len == 2 && !memcmp(word.text, "=~", 2);
		skip_nl = !w.quoted && word.len == 1 && word.text[0] == '!';
	}
	p->last_end = c->end;
}

/* `((` at `st` with the arithmetic ending at `end`: SIMPLE "((" e "))". */
static void arith_words(struct ps *p, size_t st, size_t end, bool closed)
{
	struct cg_sh_word w = word_raw(p, st, st + 2);

	push_word(p, &w);
	w = word_raw(p, st + 2, closed ? end - 2 : end);
	push_word(p, &w);
	if (closed) {
		w = word_raw(p, end - 2, end);
		push_word(p, &w);
	}
}

static void take_words(struct ps *p, struct cg_sh_cmd *c, size_t mark)
{
	c->words =
	    vec_take(p, &p->words, mark, sizeof(struct cg_sh_word), &c->nwords);
}

static void parse_funcdef_body(struct ps *p, struct cg_sh_cmd *c)
{
	struct cg_sh_cmd body;

	skip_newlines(p);
	if (!starts_command(peek(p))) {
		p->incomplete = true;
		return;
	}
	parse_command(p, &body);
	c->body[1] = wrap_cmd(p, &body);
	c->end = body.end;
}

static void parse_simple(struct ps *p, struct cg_sh_cmd *c)
{
	size_t wmark = p->words.len, rmark = p->redirs.len, nassign = 0;
	size_t nwords = 0;
	uint32_t nall;
	struct cg_sh_word *all;
	bool cond = false;

	c->kind = CG_SH_SIMPLE;
	for (;;) {
		struct tok *t = peek(p);

		if (t->kind == T_IONUM || t->kind == T_REDIR) {
			parse_redir(p, c);
			continue;
		}
		if (t->kind != T_WORD)
			break;
		push_word(p, &t->word);
		c->end = t->end;
		if (!nwords && t->assign) {
			nassign++;
			consume(p);
			continue;
		}
		nwords++;
		if (nwords == 1 && !nassign && p->redirs.len == rmark &&
		    is_plain(t, "[[")) {
			consume(p);
			parse_cond(p, c);
			cond = true;
			break;
		}
		consume(p);
		if (nwords == 1 && !nassign && p->redirs.len == rmark &&
		    peek(p)->kind == T_LPAREN) {
			/* name() compound-command */
			consume(p);
			if (peek(p)->kind == T_RPAREN)
				consume(p);
			else
				p->incomplete = true;
			take_words(p, c, wmark);
			c->kind = CG_SH_FUNCDEF;
			if (enter(p)) {
				parse_funcdef_body(p, c);
				leave(p);
			}
			return;
		}
	}
	take_redirs(p, c, rmark);
	all = vec_take(p, &p->words, wmark, sizeof(*all), &nall);
	if (nassign && nall) {
		c->assigns = all;
		c->nassigns = nassign;
	}
	if (nall > nassign) {
		c->words = all + nassign;
		c->nwords = nall - nassign;
	}
	if (cond)
		parse_trailing_redirs(p, c, p->redirs.len);
}

static void parse_group(struct ps *p, struct cg_sh_cmd *c, bool paren)
{
	c->kind = paren ? CG_SH_SUBSHELL : CG_SH_GROUP;
	c->end = peek(p)->end;
	consume(p);
	c->body[0] = parse_list(p, LIST_COMPOUND);
	if (paren) {
		struct tok *t = peek(p);

		if (t->kind == T_RPAREN) {
			c->end = t->end;
			consume(p);
		} else {
			p->incomplete = true;
			c->end = p->last_end;
		}
	} else {
		expect_rw(p, c, "}");
	}
}

static void parse_if(struct ps *p, struct cg_sh_cmd *c)
{
	size_t mark = p->elifs.len, i;
	uint32_t n;
	struct elif_build *elifs;
	struct cg_sh_list *else_part = NULL;

	c->kind = CG_SH_IF;
	c->end = peek(p)->end;
	consume(p);
	c->body[0] = parse_list(p, LIST_COMPOUND);
	if (!expect_rw(p, c, "then"))
		return;
	c->body[1] = parse_list(p, LIST_COMPOUND);
	for (;;) {
		struct tok *t = peek(p);
		struct elif_build e;

		if (is_plain(t, "else")) {
			consume(p);
			else_part = parse_list(p, LIST_COMPOUND);
			break;
		}
		if (!is_plain(t, "elif"))
			break;
		e.start = t->start;
		consume(p);
		e.cond = parse_list(p, LIST_COMPOUND);
		e.then = NULL;
		if (is_plain(peek(p), "then")) {
			consume(p);
			e.then = parse_list(p, LIST_COMPOUND);
		} else {
			p->incomplete = true;
		}
		vec_push(&p->elifs, &e, sizeof(e));
		if (!e.then)
			break;
	}
	expect_rw(p, c, "fi");
	elifs = vec_take(p, &p->elifs, mark, sizeof(*elifs), &n);
	/* build the elif chain inside out, without recursion */
	for (i = n; i-- > 0;) {
		struct cg_sh_cmd nested;

		memset(&nested, 0, sizeof(nested));
		nested.kind = CG_SH_IF;
		nested.start = elifs[i].start;
		nested.end = c->end;
		nested.body[0] = elifs[i].cond;
		nested.body[1] = elifs[i].then;
		nested.body[2] = else_part;
		else_part = wrap_cmd(p, &nested);
	}
	c->body[2] = else_part;
}

static void parse_while(struct ps *p, struct cg_sh_cmd *c, bool until)
{
	c->kind = until ? CG_SH_UNTIL : CG_SH_WHILE;
	c->end = peek(p)->end;
	consume(p);
	c->body[0] = parse_list(p, LIST_COMPOUND);
	if (!expect_rw(p, c, "do"))
		return;
	c->body[1] = parse_list(p, LIST_COMPOUND);
	expect_rw(p, c, "done");
}

/* The `do list done` (or bash's `{ list }`) of a for loop. */
static void parse_loop_body(struct ps *p, struct cg_sh_cmd *c)
{
	struct tok *t;

	skip_newlines(p);
	t = peek(p);
	if (is_plain(t, "{")) {
		consume(p);
		c->body[1] = parse_list(p, LIST_COMPOUND);
		expect_rw(p, c, "}");
		return;
	}
	if (!expect_rw(p, c, "do"))
		return;
	c->body[1] = parse_list(p, LIST_COMPOUND);
	expect_rw(p, c, "done");
}

static void parse_for(struct ps *p, struct cg_sh_cmd *c)
{
	size_t wmark = p->words.len;
	struct tok *t;

	c->kind = CG_SH_FOR;
	c->end = peek(p)->end;
	/* dash has neither: `select x in a` on a line of its own is a
	 * command it runs, then `do` a syntax error */
	if (is_plain(peek(p), "select"))
		bash_only(p, c->start, false);
	consume(p);
	t = peek(p);
	if (t->kind == T_LPAREN && at(p, t->start + 1) == '(') {
		bash_only(p, c->start, true);
		size_t st = t->start, end = p->len;
		enum arith a =
		    p->arith_eof ? ARITH_EOF : scan_arith(p, st + 2, &end);

		if (a == ARITH_NOT) {
			/* `for (` ... is not shell; skip the paren */
			consume(p);
			p->incomplete = true;
			take_words(p, c, wmark);
			return;
		}
		rewind_to(p, end);
		arith_words(p, st, end, a == ARITH_OK);
		if (a != ARITH_OK)
			p->incomplete = true;
		c->end = p->last_end = end;
		if (peek(p)->kind == T_SEMI)
			consume(p);
	} else if (t->kind == T_WORD) {
		push_word(p, &t->word);
		c->end = t->end;
		consume(p);
		skip_newlines(p);
		if (is_plain(peek(p), "in")) {
			consume(p);
			while ((t = peek(p))->kind == T_WORD) {
				push_word(p, &t->word);
				c->end = t->end;
				consume(p);
			}
		}
		if (peek(p)->kind == T_SEMI)
			consume(p);
	} else {
		p->incomplete = true;
		take_words(p, c, wmark);
		return;
	}
	take_words(p, c, wmark);
	parse_loop_body(p, c);
}

static void parse_case(struct ps *p, struct cg_sh_cmd *c)
{
	size_t wmark = p->words.len, amark = p->arms.len, i;
	uint32_t n;
	struct arm_build *arms;
	struct tok *t;

	c->kind = CG_SH_CASE;
	c->end = peek(p)->end;
	consume(p);
	t = peek(p);
	if (t->kind != T_WORD) {
		p->incomplete = true;
		return;
	}
	push_word(p, &t->word);
	c->end = t->end;
	consume(p);
	take_words(p, c, wmark);
	skip_newlines(p);
	if (!expect_rw(p, c, "in"))
		return;
	for (;;) {
		struct arm_build arm;
		size_t pmark = p->words.len;

		skip_newlines(p);
		t = peek(p);
		if (is_plain(t, "esac")) {
			c->end = t->end;
			consume(p);
			break;
		}
		if (t->kind == T_LPAREN) {
			consume(p);
			t = peek(p);
		}
		if (t->kind != T_WORD) {
			p->incomplete = true;
			c->end = p->last_end;
			break;
		}
		for (;;) {
			t = peek(p);
			if (t->kind != T_WORD)
				break;
			push_word(p, &t->word);
			consume(p);
			if (peek(p)->kind != T_PIPE)
				break;
			consume(p);
		}
		arm.patterns = vec_take(p, &p->words, pmark,
					sizeof(*arm.patterns), &arm.npatterns);
		if (peek(p)->kind != T_RPAREN) {
			p->incomplete = true;
			c->end = p->last_end;
			break;
		}
		consume(p);
		arm.list = parse_list(p, LIST_COMPOUND);
		vec_push(&p->arms, &arm, sizeof(arm));
		c->end = p->last_end;
		t = peek(p);
		if (t->kind == T_DSEMI || t->kind == T_SEMI_AMP ||
		    t->kind == T_DSEMI_AMP) {
			c->end = t->end;
			consume(p);
			continue;
		}
		skip_newlines(p);
		if (!is_plain(peek(p), "esac")) {
			p->incomplete = true;
			break;
		}
	}
	arms = vec_take(p, &p->arms, amark, sizeof(*arms), &n);
	if (!n)
		return;
	c->narms = n;
	c->arms = sh_alloc(p, n * sizeof(*c->arms));
	c->arm_patterns = sh_alloc(p, n * sizeof(*c->arm_patterns));
	c->arm_npatterns = sh_alloc(p, n * sizeof(*c->arm_npatterns));
	for (i = 0; i < n; i++) {
		c->arms[i] = arms[i].list;
		c->arm_patterns[i] = arms[i].patterns;
		c->arm_npatterns[i] = arms[i].npatterns;
	}
}

static void parse_function(struct ps *p, struct cg_sh_cmd *c)
{
	size_t wmark = p->words.len;
	struct tok *t;

	c->kind = CG_SH_FUNCDEF;
	c->end = peek(p)->end;
	consume(p);
	t = peek(p);
	if (t->kind != T_WORD) {
		p->incomplete = true;
		return;
	}
	push_word(p, &t->word);
	c->end = t->end;
	consume(p);
	take_words(p, c, wmark);
	/* dash: `function f()` is a syntax error at the `(`; `function f {`
	 * one too when its `}` is on the same line (checked below), else
	 * dash runs `function f {` as a command, then the body's */
	if (peek(p)->kind == T_LPAREN)
		bash_only(p, c->start, true);
	else
		bash_only(p, c->start, false);
	if (peek(p)->kind == T_LPAREN) {
		consume(p);
		if (peek(p)->kind == T_RPAREN)
			consume(p);
		else
			p->incomplete = true;
	}
	parse_funcdef_body(p, c);
	if (p->dash_stop == c->start && !p->dash_exact &&
	    !memchr(p->s + c->start, '\n', c->end - c->start))
		p->dash_exact = true;
}

/* `((` at the peeked `(`: an arithmetic command, or a subshell. */
static bool parse_arith_cmd(struct ps *p, struct cg_sh_cmd *c)
{
	size_t st = peek(p)->start, end = p->len, wmark = p->words.len;
	enum arith a;

	if (at(p, st + 1) != '(' || p->arith_eof)
		return false;
	a = scan_arith(p, st + 2, &end);
	if (a == ARITH_NOT)
		return false;
	if (a == ARITH_EOF)
		return false; /* the subshell parse says what is missing */
	rewind_to(p, end);
	c->kind = CG_SH_SIMPLE;
	c->end = p->last_end = end;
	arith_words(p, st, end, true);
	take_words(p, c, wmark);
	return true;
}

static void parse_command(struct ps *p, struct cg_sh_cmd *c)
{
	struct tok *t = peek(p);
	size_t rmark = p->redirs.len;

	memset(c, 0, sizeof(*c));
	c->start = c->end = t->start;
	if (t->kind == T_LPAREN && parse_arith_cmd(p, c)) {
		parse_trailing_redirs(p, c, rmark);
		return;
	}
	t = peek(p);
	if (t->kind == T_WORD && !t->word.quoted && !t->word.expands &&
	    t->word.len <= 8) {
		static const char *const kw[] = {"{",	  "if",	     "while",
						 "until", "for",     "select",
						 "case",  "function"};
		size_t k;

		for (k = 0; k < sizeof(kw) / sizeof(kw[0]); k++)
			if (is_plain(t, kw[k]))
				break;
		if (k == sizeof(kw) / sizeof(kw[0])) {
			parse_simple(p, c);
			return;
		}
		if (!enter(p))
			return;
		switch (k) {
		case 0:
			parse_group(p, c, false);
			break;
		case 1:
			parse_if(p, c);
			break;
		case 2:
		case 3:
			parse_while(p, c, k == 3);
			break;
		case 4:
		case 5:
			parse_for(p, c);
			break;
		case 6:
			parse_case(p, c);
			break;
		default:
			parse_function(p, c);
			break;
		}
		leave(p);
		if (c->kind != CG_SH_FUNCDEF)
			parse_trailing_redirs(p, c, rmark);
		return;
	}
	if (t->kind == T_LPAREN) {
		if (!enter(p))
			return;
		parse_group(p, c, true);
		leave(p);
		parse_trailing_redirs(p, c, rmark);
		return;
	}
	parse_simple(p, c);
}

static void parse_pipeline(struct ps *p, struct cg_sh_pipeline *pl)
{
	size_t cmark = p->cmds.len, omark = p->ops.len, nops, i;
	struct op_build *ops;
	struct cg_sh_cmd c;
	struct tok *t = peek(p);

	memset(pl, 0, sizeof(*pl));
	pl->start = pl->end = t->start;
	for (;;) {
		t = peek(p);
		if (is_plain(t, "!")) {
			/* dash takes one `!` only */
			if (pl->negated)
				bash_only(p, t->start, true);
			pl->negated = !pl->negated;
		} else if (is_plain(t, "time") && !pl->timed) {
			pl->timed = true;
			pl->end = t->end;
			consume(p);
			if (is_plain(peek(p), "-p")) {
				pl->end = peek(p)->end;
				consume(p);
			}
			continue;
		} else {
			break;
		}
		pl->end = t->end;
		consume(p);
	}
	if (!starts_command(peek(p))) {
		memset(&c, 0, sizeof(c));
		c.start = c.end = pl->end;
	} else {
		parse_command(p, &c);
	}
	/* dash has no `time` keyword: a command `time` whose arguments
	 * cannot go on with a compound command (`time ( a )` stops at the
	 * `(`; `time { a; }` at the `}`, unless `time {` ends its line) */
	if (pl->timed && c.kind != CG_SH_SIMPLE)
		bash_only(
		    p, pl->start,
		    c.kind == CG_SH_SUBSHELL ||
			!memchr(p->s + pl->start, '\n', c.end - pl->start));
	vec_push(&p->cmds, &c, sizeof(c));
	pl->end = c.end;
	for (;;) {
		struct op_build op;

		t = peek(p);
		if (t->kind != T_PIPE && t->kind != T_PIPE_AMP)
			break;
		op.start = t->start;
		op.end = t->end;
		op.op = CG_SH_OP_PIPE;
		consume(p);
		skip_newlines(p);
		if (!starts_command(peek(p))) {
			p->incomplete = true;
			break;
		}
		parse_command(p, &c);
		vec_push(&p->ops, &op, sizeof(op));
		vec_push(&p->cmds, &c, sizeof(c));
		pl->end = c.end;
	}
	pl->cmds = vec_take(p, &p->cmds, cmark, sizeof(*pl->cmds), &pl->n);
	nops = (p->ops.len - omark) / sizeof(*ops);
	/* the vector is NULL until its first push: no arithmetic on it */
	ops = nops ? (struct op_build *)(p->ops.p + omark) : NULL;
	if (nops && !p->discard) {
		pl->pipe_start = sh_alloc(p, nops * sizeof(*pl->pipe_start));
		pl->pipe_end = sh_alloc(p, nops * sizeof(*pl->pipe_end));
		for (i = 0; i < nops; i++) {
			pl->pipe_start[i] = ops[i].start;
			pl->pipe_end[i] = ops[i].end;
		}
	}
	p->ops.len = omark;
}

static void parse_andor(struct ps *p, struct cg_sh_andor *ao)
{
	size_t pmark = p->pipes.len, omark = p->ops.len, nops, i;
	struct op_build *ops;
	struct cg_sh_pipeline pl;

	memset(ao, 0, sizeof(*ao));
	parse_pipeline(p, &pl);
	vec_push(&p->pipes, &pl, sizeof(pl));
	ao->start = pl.start;
	ao->end = pl.end;
	for (;;) {
		struct tok *t = peek(p);
		struct op_build op;

		if (t->kind != T_AND && t->kind != T_OR)
			break;
		op.start = t->start;
		op.end = t->end;
		op.op = t->kind == T_AND ? CG_SH_OP_AND : CG_SH_OP_OR;
		consume(p);
		skip_newlines(p);
		if (!starts_command(peek(p))) {
			p->incomplete = true;
			break;
		}
		parse_pipeline(p, &pl);
		vec_push(&p->ops, &op, sizeof(op));
		vec_push(&p->pipes, &pl, sizeof(pl));
		ao->end = pl.end;
	}
	ao->pipes = vec_take(p, &p->pipes, pmark, sizeof(*ao->pipes), &ao->n);
	nops = (p->ops.len - omark) / sizeof(*ops);
	/* the vector is NULL until its first push: no arithmetic on it */
	ops = nops ? (struct op_build *)(p->ops.p + omark) : NULL;
	if (nops && !p->discard) {
		ao->ops = sh_alloc(p, nops * sizeof(*ao->ops));
		ao->op_start = sh_alloc(p, nops * sizeof(*ao->op_start));
		ao->op_end = sh_alloc(p, nops * sizeof(*ao->op_end));
		for (i = 0; i < nops; i++) {
			ao->ops[i] = ops[i].op;
			ao->op_start[i] = ops[i].start;
			ao->op_end[i] = ops[i].end;
		}
	}
	p->ops.len = omark;
}

static struct cg_sh_list *parse_list(struct ps *p, enum list_mode mode)
{
	size_t mark = p->andors.len;
	struct cg_sh_list *l =
	    p->discard ? &p->discarded : sh_alloc(p, sizeof(*l));

	for (;;) {
		struct tok *t = peek(p);
		struct cg_sh_andor ao;

		if (t->kind == T_NEWLINE) {
			consume(p);
			continue;
		}
		if (t->kind == T_EOF)
			break;
		if (!starts_command(t)) {
			if (mode == LIST_COMPOUND ||
			    (mode == LIST_SUBST && t->kind == T_RPAREN))
				break;
			/* a separator with no command before it, or a
			 * closing word or paren without its opener */
			consume(p);
			p->incomplete = true;
			continue;
		}
		parse_andor(p, &ao);
		t = peek(p);
		if (t->kind == T_SEMI || t->kind == T_NEWLINE) {
			consume(p);
		} else if (t->kind == T_AMP) {
			ao.background = true;
			consume(p);
		}
		vec_push(&p->andors, &ao, sizeof(ao));
	}
	l->items = vec_take(p, &p->andors, mark, sizeof(*l->items), &l->n);
	return l;
}

/* ------------------------------------------------------------------ API */

int cg_sh_parse(struct cg_sh_script *out, const char *text, size_t len,
		unsigned max_depth)
{
	return cg_sh_parse_in(out, NULL, text, len, max_depth);
}

static void scratch_release(void *arg)
{
	struct scratch *s = arg;

	for (size_t i = 0; i < NSTACKS; i++)
		free(s->stacks[i].p);
	memset(s, 0, sizeof(*s));
}

static void scratch_key_create(void)
{
	scratch_key_ok = !pthread_key_create(&scratch_key, scratch_release);
}

/* This thread's scratch; NULL when it cannot be freed at thread exit. */
static struct scratch *scratch_get(void)
{
	struct scratch *s = &thread_scratch;

	pthread_once(&scratch_once, scratch_key_create);
	if (!s->registered) {
		if (!scratch_key_ok || pthread_setspecific(scratch_key, s))
			return NULL;
		s->registered = true;
	}
	return s;
}

/*
 * cg_sh_parse_in, or with `subst` the inside of a `$(` that starts at
 * *subst: parsed (no tree kept) up to the `)` that closes it, whose offset
 * goes to *subst (0 when none does).
 */
static int parse_in(struct cg_sh_script *out, struct cg_arena *arena,
		    const char *text, size_t len, unsigned max_depth,
		    size_t *subst)
{
	struct scratch own, *s = scratch_get();
	struct ps p;
	struct heredoc *hd;
	struct vec *vecs[NSTACKS];
	size_t i;

	memset(out, 0, sizeof(*out));
	cg_arena_init(&out->arena);
	out->text = text;
	out->len = text ? len : 0;

	memset(&p, 0, sizeof(p));
	p.dash_stop = SIZE_MAX;
	p.s = text ? text : empty_text;
	p.len = out->len;
	p.arena = arena ? arena : &out->arena;
	/* a shared arena is already large: chunks would only add slack */
	p.arena_shared = arena != NULL;
	p.max_depth = max_depth ? max_depth : CG_SH_DEPTH_DEFAULT;
	if (p.max_depth > CG_SH_DEPTH_CAP)
		p.max_depth = CG_SH_DEPTH_CAP;
	p.hd_tail = &p.hd_head;
	p.chunk_next = CHUNK_MIN;
	while (p.chunk_next < CHUNK_MAX && p.chunk_next < p.len * 4)
		p.chunk_next *= 2;
	/* offsets are 32 bits (load.h); the parse below then stops at once */
	if (p.len > CG_LOAD_MAX_BYTES)
		p.err = cg_error_set(CG_ELIMIT,
				     "shell script longer than %zu bytes",
				     CG_LOAD_MAX_BYTES);

	vecs[0] = &p.text;
	vecs[1] = &p.words;
	vecs[2] = &p.redirs;
	vecs[3] = &p.cmds;
	vecs[4] = &p.pipes;
	vecs[5] = &p.andors;
	vecs[6] = &p.ops;
	vecs[7] = &p.arms;
	vecs[8] = &p.elifs;
	if (!s) {
		memset(&own, 0, sizeof(own));
		s = &own;
	}
	for (i = 0; i < NSTACKS; i++) {
		*vecs[i] = s->stacks[i];
		vecs[i]->len = 0;
	}

	if (subst) {
		p.pos = *subst;
		p.discard++;
		parse_list(&p, LIST_SUBST);
		*subst = !p.err && p.has_peek && p.peek.kind == T_RPAREN
			     ? p.peek.start
			     : 0;
		out->top = sh_alloc(&p, sizeof(*out->top));
	} else {
		out->top = parse_list(&p, LIST_TOP);
	}
	if (p.err) {
		/* unwinding leaves half-built nodes; keep none of them */
		out->top = sh_alloc(&p, sizeof(*out->top));
	}

	/* heredocs whose body never started: empty, at the end */
	for (hd = p.hd_head; hd; hd = hd->next) {
		p.incomplete = true;
		hd->body_start = hd->body_end = p.len;
		if (hd->dst)
			hd->dst->body_start = hd->dst->body_end = p.len;
	}
	out->incomplete = p.incomplete;
	out->dash_stop =
	    p.dash_stop < p.len ? (uint32_t)p.dash_stop : CG_SH_NO_STOP;
	out->dash_exact = p.dash_exact;

	for (i = 0; i < NSTACKS; i++)
		s->stacks[i] = *vecs[i];
	if (s == &own)
		scratch_release(&own);
	return p.err;
}

int cg_sh_parse_in(struct cg_sh_script *out, struct cg_arena *arena,
		   const char *text, size_t len, unsigned max_depth)
{
	return parse_in(out, arena, text, len, max_depth, NULL);
}

size_t cg_sh_subst_end(const char *text, size_t len, size_t start)
{
	struct cg_sh_script tmp;
	size_t at = start;

	if (start >= len)
		return 0; /* nothing parsed, nothing to release */
	if (parse_in(&tmp, NULL, text, len, 0, &at) < 0)
		at = 0;
	cg_sh_release(&tmp);
	return at;
}

void cg_sh_release(struct cg_sh_script *s)
{
	if (!s)
		return;
	cg_arena_release(&s->arena);
	s->top = NULL;
	s->incomplete = false;
}
