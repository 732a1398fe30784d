/*
 * The light structure of a Python file over its tokens (load.h, "python
 * structure"): defs, lambdas, decorators, calls and their arguments,
 * with/try blocks, string literals, simple assignments and imports.
 *
 * One pass over the tokens, comments and NL skipped. Three stacks carry
 * what is open:
 *
 *   - brackets: each open `(`/`[`/`{` is a frame; a `(` right after a
 *     primary (a name that is no keyword, a `)` or `]`) opens a call,
 *     whose arguments are cut at the frame's own commas and kept on a
 *     stack of pending arguments until the `)` (inner calls close
 *     first, so the pending ones of a frame are always on top). The
 *     callee is the primary chain before the `(`: it starts at the
 *     name, literal or bracket that began the chain, which `.` and
 *     trailers (`(...)`, `[...]`) continue and anything else ends.
 *   - blocks: a def, class, with or try statement opens a block at its
 *     keyword; its header ends at the first `:` outside brackets (and
 *     outside a lambda's parameters). A NEWLINE then INDENT starts an
 *     indented body, which ends at the DEDENT back to the header's level;
 *     otherwise the body is the rest of the line. A def's scope starts
 *     at its colon: defaults, annotations and bases belong to the outer
 *     scope, as Python evaluates them there.
 *   - lambdas: from `lambda` to its `:` are parameters (their commas are
 *     no argument separators); the body ends at a `,`, `for` or `:` at
 *     the lambda's bracket depth, at a closing bracket below it, or at
 *     the end of the statement.
 *
 * Statements are recognised by their first token only: `@`, `def`,
 * `async def|with`, `class`, `with`, `try`, `import`, `from`; and a
 * (dotted) name followed by `=` or `:` is an assignment, whose value is
 * the rest of the statement.
 *
 * Bounds: brackets are at most CG_PY_MAX_BRACKETS deep (the tokenizer's
 * own bound), blocks CG_PY_MAX_BLOCKS, lambdas CG_PY_MAX_LAMBDAS; past
 * them the structure is lost (`truncated`), never memory. Every row is
 * made at one token, so rows are at most linear in the tokens, and text
 * is cut at CG_PY_TEXT_MAX (values at CG_PY_VALUE_MAX) bytes per row.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "load/load.h"
#include "core/banned.h"

#define NONE CG_PY_NONE

enum frame_kind {
	FRAME_GROUP,  /* a bracket that is no call */
	FRAME_CALL,   /* a call's parentheses */
	FRAME_BASES,  /* a class's bases */
	FRAME_PARAMS, /* a def's parameters */
};

struct frame {
	enum frame_kind kind;
	uint32_t open;	    /* the bracket token */
	uint32_t chain;	    /* the primary chain it continues, or NONE */
	uint32_t row;	    /* FRAME_CALL: the call; FRAME_BASES: the def */
	uint32_t pending;   /* its first pending argument */
	uint32_t arg_first; /* first token of the current argument value,
			       NONE before it starts */
	uint32_t kw_tok;    /* `name=` of the current argument, or NONE */
	unsigned star;	    /* of the current argument */
	bool arg_start;	    /* the next token starts an argument */
};

enum block_kind {
	BLOCK_DEF,
	BLOCK_WITH,
	BLOCK_TRY,
};

struct block {
	enum block_kind kind;
	uint32_t row;	    /* the def or try row; WITH: the first item */
	uint32_t nrows;	    /* WITH: its items */
	unsigned level;	    /* indentation level of the header */
	bool header;	    /* its `:` is still to come */
	bool indented;	    /* its body is an indented block */
	bool inline_body;   /* its body is the rest of the line */
	bool awaiting_body; /* after `:` NEWLINE, before the INDENT */
};

struct lambda {
	uint32_t row;
	unsigned depth; /* brackets open at the keyword */
	bool params;	/* before its `:` */
};

struct pending_arg {
	struct cg_py_arg arg;
	uint32_t first, last; /* tokens of the value */
	uint32_t kw;	      /* the keyword's token, or NONE */
};

struct scan {
	struct cg_py_module *m;
	struct cg_arena *arena;
	const char *s;
	size_t len;
	const struct cg_py_token *t;
	uint32_t n;

	unsigned depth;
	unsigned frame_overflow; /* brackets open past the frames */
	unsigned nblocks;
	unsigned nlambdas;
	struct pending_arg *pending; /* the scratch's */
	size_t npending, pending_alloc;

	unsigned level;	     /* indentation: INDENTs minus DEDENTs */
	uint32_t chain;	     /* start of the current primary chain, or NONE */
	uint32_t prev;	     /* the previous significant token, or NONE */
	uint32_t last_call;  /* the call that closed last, or NONE */
	bool stmt_start;     /* the next token starts a statement */
	uint32_t stmt_first; /* first token of the current statement */

	/* decorators waiting for their def */
	uint32_t dec_first, ndec;
	uint32_t dec_tok; /* an open decorator's first token, or NONE */
	/* a def/class whose `(` may come next: its row and name token */
	uint32_t def_pending;
	uint32_t def_name;
	/* the with statement whose header is open: its block, the current
	 * item's first token and its `as` */
	int with_block;
	uint32_t with_item, with_as;
	bool with_async;
	/* the assignment of the current statement */
	uint32_t assign;
	uint32_t assign_value; /* first token of its value, or NONE */
	uint32_t assign_ann;   /* first token of its annotation, or NONE */

	/* the stacks last: a new file clears only what comes before them */
	struct frame frames[CG_PY_MAX_BRACKETS + 1];
	struct block blocks[CG_PY_MAX_BLOCKS];
	struct lambda lambdas[CG_PY_MAX_LAMBDAS];
};

/* ------------------------------------------------------------- tokens */

static inline bool tok_is(const struct scan *sc, uint32_t i, const char *word)
{
	const struct cg_py_token *k = &sc->t[i];
	size_t n = strlen(word); /* a literal: folded where inlined */

	return k->end - k->start == n && sc->s[k->start] == word[0] &&
	       !memcmp(sc->s + k->start, word, n);
}

static bool is_op(const struct scan *sc, uint32_t i, const char *op)
{
	return sc->t[i].kind == CG_PY_OP && tok_is(sc, i, op);
}

static bool is_name(const struct scan *sc, uint32_t i, const char *word)
{
	return sc->t[i].kind == CG_PY_NAME && tok_is(sc, i, word);
}

/* Python's hard keywords (soft ones, `match`, `case`, `type`, are names
 * that may be called), by their first letter, each after its length.
 * Asked for every name. */
static const char *const keywords[128] = {
    ['F'] = "\5False",
    ['N'] = "\4None",
    ['T'] = "\4True",
    ['a'] = "\3and\2as\6assert\5async\5await",
    ['b'] = "\5break",
    ['c'] = "\5class\10continue",
    ['d'] = "\3def\3del",
    ['e'] = "\4elif\4else\6except",
    ['f'] = "\7finally\3for\4from",
    ['g'] = "\6global",
    ['i'] = "\2if\6import\2in\2is",
    ['l'] = "\6lambda",
    ['n'] = "\10nonlocal\3not",
    ['o'] = "\2or",
    ['p'] = "\4pass",
    ['r'] = "\5raise\6return",
    ['t'] = "\3try",
    ['w'] = "\5while\4with",
    ['y'] = "\5yield",
};

static bool is_keyword(const struct scan *sc, uint32_t i)
{
	const struct cg_py_token *k = &sc->t[i];
	size_t n = k->end - k->start;
	const char *s = sc->s + k->start, *w;

	if (k->kind != CG_PY_NAME || n < 2 || n > 8 ||
	    (unsigned char)s[0] >= 128 || !(w = keywords[(unsigned char)s[0]]))
		return false;
	for (; *w; w += 1 + (unsigned char)*w)
		if ((unsigned char)*w == n && !memcmp(s, w + 1, n))
			return true;
	return false;
}

static bool skipped(enum cg_py_tok_kind k)
{
	return k == CG_PY_NL || k == CG_PY_COMMENT;
}

/* The next significant token after i (n when none). */
static uint32_t next_sig(const struct scan *sc, uint32_t i)
{
	for (i++; i < sc->n && skipped(sc->t[i].kind); i++)
		;
	return i;
}

static char closer_of(const struct scan *sc, uint32_t i)
{
	const struct cg_py_token *k = &sc->t[i];
	char c;

	if ((k->kind != CG_PY_OP && k->kind != CG_PY_ERRORTOKEN) ||
	    k->end - k->start != 1)
		return 0;
	c = sc->s[k->start];
	return c == ')' || c == ']' || c == '}' ? c : 0;
}

static struct cg_pos span_pos(const struct scan *sc, uint32_t first,
			      uint32_t last)
{
	struct cg_pos p;

	p.line = sc->t[first].line;
	p.col = sc->t[first].col;
	p.end_line = sc->t[last].end_line;
	p.end_col = sc->t[last].end_col;
	return p;
}

static bool wordy(const struct scan *sc, uint32_t i, bool at_end)
{
	const struct cg_py_token *k = &sc->t[i];
	char c;

	if (k->end == k->start)
		return false;
	c = sc->s[at_end ? k->end - 1 : k->start];
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || (unsigned char)c >= 0x80 ||
	       c == '\'' || c == '"';
}

/*
 * The normalised text of tokens [first, last] (see load.h), in the arena;
 * *cut when longer than CG_PY_TEXT_MAX. "" for an empty range.
 */
static const char *span_text(struct scan *sc, uint32_t first, uint32_t last,
			     bool *cut)
{
	char buf[CG_PY_TEXT_MAX];
	size_t n = 0;
	uint32_t prev = NONE;

	*cut = false;
	if (first == NONE || last == NONE || first > last)
		return "";
	for (uint32_t i = first; i <= last && i < sc->n; i++) {
		const struct cg_py_token *k = &sc->t[i];
		size_t w = k->end - k->start;

		if (i - first > 4 * CG_PY_TEXT_MAX) {
			*cut = true; /* comments and line breaks only */
			break;
		}
		if (skipped(k->kind) || k->kind == CG_PY_NEWLINE ||
		    k->kind == CG_PY_INDENT || k->kind == CG_PY_DEDENT ||
		    k->kind == CG_PY_ENDMARKER)
			continue;
		if (prev != NONE && wordy(sc, prev, true) &&
		    wordy(sc, i, false)) {
			if (n == sizeof(buf)) {
				*cut = true;
				break;
			}
			buf[n++] = ' ';
		}
		if (w > sizeof(buf) - n) {
			memcpy(buf + n, sc->s + k->start, sizeof(buf) - n);
			n = sizeof(buf);
			*cut = true;
			break;
		}
		memcpy(buf + n, sc->s + k->start, w);
		n += w;
		prev = i;
	}
	return cg_arena_strndup(sc->arena, buf, n);
}

static const char *tok_text(struct scan *sc, uint32_t i)
{
	return cg_arena_strndup(sc->arena, sc->s + sc->t[i].start,
				sc->t[i].end - sc->t[i].start);
}

/* ------------------------------------------------------------ strings */

unsigned cg_py_string_flags(const char *s, size_t n)
{
	unsigned flags = 0;
	size_t i;

	for (i = 0; i < n && s[i] != '\'' && s[i] != '"'; i++) {
		switch (s[i] | 0x20) {
		case 'r':
			flags |= CG_PY_STR_RAW;
			break;
		case 'b':
			flags |= CG_PY_STR_BYTES;
			break;
		case 'f':
			flags |= CG_PY_STR_F;
			break;
		case 't':
			flags |= CG_PY_STR_T;
			break;
		case 'u':
			flags |= CG_PY_STR_UNICODE;
			break;
		default:
			break;
		}
	}
	if (i + 2 < n && s[i + 1] == s[i] && s[i + 2] == s[i])
		flags |= CG_PY_STR_TRIPLE;
	return flags;
}

/* Bytes [*body, *body_end) between the quotes of literal s[0..n). */
static bool string_body(const char *s, size_t n, size_t *body, size_t *body_end)
{
	size_t i = 0, q;

	while (i < n && s[i] != '\'' && s[i] != '"')
		i++;
	if (i >= n || i > 2)
		return false;
	q = n - i >= 6 && s[i + 1] == s[i] && s[i + 2] == s[i] ? 3 : 1;
	if (n - i < 2 * q)
		return false;
	*body = i + q;
	*body_end = n - q;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Append the value of literal s[0..n) to buf (at most max bytes). */
static bool string_append(struct cg_buf *b, const char *s, size_t n, size_t max)
{
	size_t body, end;
	unsigned flags = cg_py_string_flags(s, n);
	bool raw = flags & (CG_PY_STR_RAW | CG_PY_STR_F | CG_PY_STR_T);

	if (!string_body(s, n, &body, &end))
		return false;
	for (size_t i = body; i < end && b->len < max; i++) {
		char c = s[i];
		int h1, h2;

		if (c != '\\' || raw || i + 1 >= end) {
			cg_buf_addch(b, c);
			continue;
		}
		c = s[++i];
		switch (c) {
		case '\n':
			break;
		case '\r':
			if (i + 1 < end && s[i + 1] == '\n')
				i++;
			break;
		case 'n':
			cg_buf_addch(b, '\n');
			break;
		case 't':
			cg_buf_addch(b, '\t');
			break;
		case 'r':
			cg_buf_addch(b, '\r');
			break;
		case '\\':
		case '\'':
		case '"':
			cg_buf_addch(b, c);
			break;
		case 'x':
			if (i + 2 < end && (h1 = hexval(s[i + 1])) >= 0 &&
			    (h2 = hexval(s[i + 2])) >= 0) {
				cg_buf_addch(b, h1 * 16 + h2);
				i += 2;
			} else {
				cg_buf_addch(b, '\\');
				cg_buf_addch(b, c);
			}
			break;
		default:
			if (c >= '0' && c <= '7') {
				int v = c - '0';

				for (int k = 0;
				     k < 2 && i + 1 < end && s[i + 1] >= '0' &&
				     s[i + 1] <= '7';
				     k++)
					v = v * 8 + (s[++i] - '0');
				cg_buf_addch(b, v & 0xff);
			} else {
				cg_buf_addch(b, '\\');
				cg_buf_addch(b, c);
			}
			break;
		}
	}
	return true;
}

char *cg_py_string_value(struct cg_arena *arena, const char *text,
			 uint32_t start, uint32_t end, size_t max)
{
	struct cg_buf b = CG_BUF_INIT;
	char *out = NULL;

	if (end > start && string_append(&b, text + start, end - start, max))
		out = cg_arena_strndup(arena, b.buf, b.len < max ? b.len : max);
	cg_buf_release(&b);
	return out;
}

/* --------------------------------------------------------------- rows */

static uint32_t scope(const struct scan *sc)
{
	for (unsigned i = sc->nlambdas; i > 0; i--)
		if (!sc->lambdas[i - 1].params)
			return sc->lambdas[i - 1].row;
	for (unsigned i = sc->nblocks; i > 0; i--) {
		const struct block *b = &sc->blocks[i - 1];

		if (b->kind == BLOCK_DEF && !b->header)
			return b->row;
	}
	return NONE;
}

static uint32_t add_def(struct scan *sc, enum cg_py_def_kind kind,
			uint32_t keyword)
{
	struct cg_py_module *m = sc->m;
	struct cg_py_def *d;

	CG_GROW(m->defs, m->defs_alloc, m->ndefs + 1);
	d = &m->defs[m->ndefs];
	memset(d, 0, sizeof(*d));
	d->kind = kind;
	d->name = kind == CG_PY_DEF_LAMBDA ? "<lambda>" : "";
	d->parent = scope(sc);
	d->first_decorator = (uint32_t)sc->m->ndecorators;
	d->first_base = (uint32_t)sc->m->nargs;
	d->first_param = (uint32_t)sc->m->nparams;
	d->body_first = d->body_end = keyword;
	d->start = d->end = sc->t[keyword].start;
	d->pos = span_pos(sc, keyword, keyword);
	return (uint32_t)m->ndefs++;
}

/* The call that makes up tokens [first, last] whole (after an `await`),
 * or NONE. */
static uint32_t whole_call(const struct scan *sc, uint32_t first, uint32_t last)
{
	const struct cg_py_call *c;

	if (first == NONE || last == NONE || sc->last_call == NONE)
		return NONE;
	if (is_name(sc, first, "await"))
		first = next_sig(sc, first);
	c = &sc->m->calls[sc->last_call];
	return c->first_tok == first && c->end_tok == last + 1 ? sc->last_call
							       : NONE;
}

/* Tokens [first, last] are string literals only: the first one's row. */
static uint32_t whole_string(struct scan *sc, uint32_t first, uint32_t last,
			     const char **value)
{
	struct cg_buf b = CG_BUF_INIT;
	uint32_t row = NONE;

	*value = NULL;
	if (first == NONE || last == NONE || first > last)
		return NONE;
	for (uint32_t i = first; i <= last; i++)
		if (sc->t[i].kind != CG_PY_STRING && !skipped(sc->t[i].kind))
			return NONE;
	for (uint32_t i = first; i <= last; i++)
		if (sc->t[i].kind == CG_PY_STRING)
			string_append(&b, sc->s + sc->t[i].start,
				      sc->t[i].end - sc->t[i].start,
				      CG_PY_VALUE_MAX);
	*value =
	    cg_arena_strndup(sc->arena, b.buf,
			     b.len < CG_PY_VALUE_MAX ? b.len : CG_PY_VALUE_MAX);
	cg_buf_release(&b);
	/* the string rows are made as their tokens pass: the first of
	 * these is `last - first` rows back at most; find it by token */
	for (size_t r = sc->m->nstrings; r > 0; r--)
		if (sc->m->strings[r - 1].tok == first) {
			row = (uint32_t)(r - 1);
			break;
		} else if (sc->m->strings[r - 1].tok < first) {
			break;
		}
	return row;
}

/* ---------------------------------------------------------- arguments */

static void arg_end(struct scan *sc, struct frame *f)
{
	struct pending_arg *p;
	uint32_t last = sc->prev;

	if (f->arg_first == NONE || last == NONE || last < f->arg_first) {
		f->arg_first = NONE;
		f->kw_tok = NONE;
		f->star = 0;
		return;
	}
	CG_GROW(sc->pending, sc->pending_alloc, sc->npending + 1);
	p = &sc->pending[sc->npending++];
	memset(p, 0, sizeof(*p));
	p->first = f->arg_first;
	p->last = last;
	p->kw = f->kw_tok;
	p->arg.keyword = f->kw_tok != NONE ? tok_text(sc, f->kw_tok) : NULL;
	p->arg.star = f->star;
	p->arg.text = span_text(sc, f->arg_first, last, &p->arg.cut);
	p->arg.call = whole_call(sc, f->arg_first, last);
	p->arg.string = whole_string(sc, f->arg_first, last, &p->arg.value);
	p->arg.start = sc->t[f->arg_first].start;
	p->arg.end = sc->t[last].end;
	p->arg.pos = span_pos(sc, f->arg_first, last);
	f->arg_first = NONE;
	f->kw_tok = NONE;
	f->star = 0;
}

/* Move a frame's pending arguments to the module; returns the first. */
static uint32_t flush_args(struct scan *sc, struct frame *f, uint32_t *n)
{
	struct cg_py_module *m = sc->m;
	uint32_t first = (uint32_t)m->nargs;
	size_t k = sc->npending - f->pending;

	CG_GROW(m->args, m->args_alloc, m->nargs + k);
	for (size_t i = 0; i < k; i++)
		m->args[m->nargs++] = sc->pending[f->pending + i].arg;
	sc->npending = f->pending;
	*n = (uint32_t)k;
	return first;
}

/* A def's parameters from its frame's pending arguments: `x=1` came as
 * keyword x with text 1; `r: T = d` as one text, split here at its `:`
 * and `=` outside brackets. */
static void flush_params(struct scan *sc, struct frame *f)
{
	struct cg_py_module *m = sc->m;
	struct cg_py_def *d = &m->defs[f->row];

	d->first_param = (uint32_t)m->nparams;
	for (size_t i = f->pending; i < sc->npending; i++) {
		const struct pending_arg *p = &sc->pending[i];
		struct cg_py_param *r;
		uint32_t colon = NONE, eq = NONE, name = p->first;
		unsigned depth = 0;
		bool cut;

		if (!p->arg.keyword && sc->t[p->first].kind != CG_PY_NAME)
			continue; /* `/` */
		for (uint32_t k = p->first; !p->arg.keyword && k <= p->last;
		     k++) {
			char c = sc->t[k].end > sc->t[k].start
				     ? sc->s[sc->t[k].start]
				     : 0;

			if (sc->t[k].kind != CG_PY_OP)
				continue;
			if (c == '(' || c == '[' || c == '{')
				depth++;
			else if ((c == ')' || c == ']' || c == '}') && depth)
				depth--;
			else if (!depth && colon == NONE && is_op(sc, k, ":"))
				colon = k;
			else if (!depth && eq == NONE && is_op(sc, k, "="))
				eq = k;
		}
		CG_GROW(m->params, m->params_alloc, m->nparams + 1);
		r = &m->params[m->nparams++];
		memset(r, 0, sizeof(*r));
		r->star = p->arg.star;
		if (p->arg.keyword) {
			r->name = p->arg.keyword;
			r->default_text = p->arg.text;
			r->pos = span_pos(sc, p->kw, p->kw);
		} else {
			r->name = tok_text(sc, name);
			r->pos = span_pos(sc, name, name);
			if (colon != NONE && colon < p->last)
				r->annotation = span_text(
				    sc, colon + 1,
				    eq != NONE ? eq - 1 : p->last, &cut);
			if (eq != NONE && eq < p->last)
				r->default_text =
				    span_text(sc, eq + 1, p->last, &cut);
		}
		d->nparams++;
	}
	sc->npending = f->pending;
}

/* ------------------------------------------------------------- frames */

/* Tokens [first, last] are NAME(.NAME)*. */
static bool dotted_span(const struct scan *sc, uint32_t first, uint32_t last)
{
	bool want_name = true;

	for (uint32_t k = first; k <= last; k++) {
		if (skipped(sc->t[k].kind))
			continue;
		if (want_name ? sc->t[k].kind != CG_PY_NAME || is_keyword(sc, k)
			      : !is_op(sc, k, "."))
			return false;
		want_name = !want_name;
	}
	return !want_name;
}

static void end_lambdas_at(struct scan *sc, unsigned depth, uint32_t at);

static void open_frame(struct scan *sc, uint32_t i)
{
	struct frame *f;
	uint32_t prev = sc->prev;
	bool primary =
	    prev != NONE &&
	    ((sc->t[prev].kind == CG_PY_NAME && !is_keyword(sc, prev)) ||
	     closer_of(sc, prev) == ')' || closer_of(sc, prev) == ']');
	char c = sc->s[sc->t[i].start];

	if (sc->depth > CG_PY_MAX_BRACKETS - 1) {
		sc->frame_overflow++;
		sc->m->truncated = true;
		sc->chain = NONE;
		return;
	}
	f = &sc->frames[sc->depth++];
	memset(f, 0, sizeof(*f));
	f->open = i;
	f->kind = FRAME_GROUP;
	f->row = NONE;
	f->pending = (uint32_t)sc->npending;
	f->arg_first = NONE;
	f->kw_tok = NONE;
	f->chain = NONE;
	if (c == '(' && sc->def_pending != NONE && prev == sc->def_name) {
		bool cls = sc->m->defs[sc->def_pending].kind == CG_PY_DEF_CLASS;

		f->kind = cls ? FRAME_BASES : FRAME_PARAMS;
		f->row = sc->def_pending;
		f->arg_start = true;
		sc->def_pending = NONE;
	} else if (primary && sc->chain != NONE) {
		f->chain = sc->chain;
		if (c == '(') {
			struct cg_py_module *m = sc->m;
			struct cg_py_call *call;
			uint32_t first = sc->chain;
			uint32_t last = prev;

			CG_GROW(m->calls, m->calls_alloc, m->ncalls + 1);
			call = &m->calls[m->ncalls];
			memset(call, 0, sizeof(*call));
			call->callee = span_text(sc, first, last, &call->cut);
			call->dotted = dotted_span(sc, first, last);
			if (sc->t[last].kind == CG_PY_NAME) {
				uint32_t dot = NONE;

				size_t mn = sc->t[last].end - sc->t[last].start;
				size_t cn = strlen(call->callee);

				/* the callee's text ends with it (when not cut)
				 */
				call->method =
				    !call->cut && cn >= mn &&
					    !memcmp(call->callee + cn - mn,
						    sc->s + sc->t[last].start,
						    mn)
					? call->callee + cn - mn
					: tok_text(sc, last);
				for (uint32_t k = last; k > first; k--)
					if (!skipped(sc->t[k - 1].kind)) {
						dot = k - 1;
						break;
					}
				if (dot != NONE && is_op(sc, dot, ".") &&
				    dot > first) {
					bool cut;

					call->receiver =
					    span_text(sc, first, dot - 1, &cut);
				}
			}
			{
				uint32_t before = NONE;

				for (uint32_t k = first; k > 0; k--)
					if (!skipped(sc->t[k - 1].kind)) {
						before = k - 1;
						break;
					}
				call->awaited = before != NONE &&
						is_name(sc, before, "await");
			}
			call->func = scope(sc);
			call->first_arg = (uint32_t)m->nargs;
			call->first_tok = first;
			call->end_tok = i + 1;
			call->start = sc->t[first].start;
			call->end = sc->t[i].end;
			call->pos = span_pos(sc, first, i);
			f->kind = FRAME_CALL;
			f->row = (uint32_t)m->ncalls++;
			f->arg_start = true;
		}
	}
	sc->chain = NONE;
}

static void close_frame(struct scan *sc, uint32_t i)
{
	struct frame *f;
	uint32_t n;

	if (sc->frame_overflow) {
		sc->frame_overflow--;
		sc->chain = NONE;
		return;
	}
	if (sc->depth == 0) {
		sc->chain = NONE;
		return;
	}
	end_lambdas_at(sc, sc->depth, i);
	f = &sc->frames[sc->depth - 1];
	if (f->kind == FRAME_PARAMS) {
		arg_end(sc, f);
		flush_params(sc, f);
	} else if (f->kind == FRAME_CALL || f->kind == FRAME_BASES) {
		uint32_t first;

		arg_end(sc, f);
		first = flush_args(sc, f, &n);
		if (f->kind == FRAME_CALL) {
			struct cg_py_call *call = &sc->m->calls[f->row];

			call->first_arg = first;
			call->nargs = n;
			call->end_tok = i + 1;
			call->end = sc->t[i].end;
			call->pos.end_line = sc->t[i].end_line;
			call->pos.end_col = sc->t[i].end_col;
			sc->last_call = f->row;
		} else {
			sc->m->defs[f->row].first_base = first;
			sc->m->defs[f->row].nbases = n;
		}
	} else {
		sc->npending = f->pending;
	}
	sc->depth--;
	/* a trailer continues its chain; a group starts one */
	sc->chain = f->chain != NONE ? f->chain : f->open;
}

/* ------------------------------------------------------------ lambdas */

/* The end of a body that started at `first` and ends before token `at`:
 * just past its last significant token. */
static uint32_t body_end(const struct scan *sc, uint32_t first, uint32_t at)
{
	return sc->prev != NONE && sc->prev >= first && sc->prev < at
		   ? sc->prev + 1
		   : first;
}

static void end_lambda(struct scan *sc, uint32_t at)
{
	struct lambda *l = &sc->lambdas[--sc->nlambdas];
	struct cg_py_def *d = &sc->m->defs[l->row];
	uint32_t last = sc->prev;

	if (l->params)
		d->body_first = at;
	d->body_end = body_end(sc, d->body_first, at);
	d->end = last != NONE && sc->t[last].end > d->start ? sc->t[last].end
							    : d->start;
}

/* End the lambdas opened at bracket depth >= depth. */
static void end_lambdas_at(struct scan *sc, unsigned depth, uint32_t at)
{
	while (sc->nlambdas && sc->lambdas[sc->nlambdas - 1].depth >= depth)
		end_lambda(sc, at);
}

/* ------------------------------------------------------------- blocks */

static void end_block(struct scan *sc, uint32_t at)
{
	struct block *b = &sc->blocks[--sc->nblocks];
	struct cg_py_module *m = sc->m;
	uint32_t last = sc->prev;
	uint32_t end_byte;

	if (b->row == NONE)
		return;
	switch (b->kind) {
	case BLOCK_DEF: {
		struct cg_py_def *d = &m->defs[b->row];

		if (b->header)
			d->body_first = at;
		d->body_end = body_end(sc, d->body_first, at);
		end_byte = last != NONE && sc->t[last].end > d->start
			       ? sc->t[last].end
			       : d->start;
		d->end = end_byte;
		break;
	}
	case BLOCK_TRY: {
		struct cg_py_try *t = &m->tries[b->row];

		if (b->header)
			t->body_first = at;
		t->body_end = body_end(sc, t->body_first, at);
		t->end = last != NONE && sc->t[last].end > t->start
			     ? sc->t[last].end
			     : t->start;
		break;
	}
	case BLOCK_WITH:
		for (uint32_t k = b->row; k < b->row + b->nrows; k++) {
			struct cg_py_with *w = &m->withs[k];

			if (b->header)
				w->body_first = at;
			w->body_end = body_end(sc, w->body_first, at);
			w->end = last != NONE && sc->t[last].end > w->start
				     ? sc->t[last].end
				     : w->start;
		}
		break;
	}
}

static struct block *push_block(struct scan *sc, enum block_kind kind,
				uint32_t row)
{
	struct block *b;

	if (sc->nblocks >= CG_PY_MAX_BLOCKS) {
		sc->m->truncated = true;
		return NULL;
	}
	b = &sc->blocks[sc->nblocks++];
	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->row = row;
	b->level = sc->level;
	b->header = true;
	return b;
}

/* The block whose header is open, or NULL. */
static struct block *header_block(struct scan *sc)
{
	if (sc->nblocks && sc->blocks[sc->nblocks - 1].header)
		return &sc->blocks[sc->nblocks - 1];
	return NULL;
}

/* ------------------------------------------------------ with statement */

static void with_item_end(struct scan *sc, uint32_t at)
{
	struct cg_py_module *m = sc->m;
	struct cg_py_with *w;
	struct block *b;
	uint32_t last_expr, first = sc->with_item;

	if (sc->with_block < 0 || first == NONE || sc->prev == NONE ||
	    sc->prev < first)
		return;
	last_expr = sc->with_as != NONE ? sc->with_as - 1 : sc->prev;
	while (last_expr > first && skipped(sc->t[last_expr].kind))
		last_expr--;
	b = &sc->blocks[sc->with_block];
	CG_GROW(m->withs, m->withs_alloc, m->nwiths + 1);
	w = &m->withs[m->nwiths];
	memset(w, 0, sizeof(*w));
	w->is_async = sc->with_async;
	w->expr = span_text(sc, first, last_expr, &w->cut);
	w->call = whole_call(sc, first, last_expr);
	if (sc->with_as != NONE) {
		uint32_t a = next_sig(sc, sc->with_as);
		bool cut;

		if (a <= sc->prev)
			w->as_name = span_text(sc, a, sc->prev, &cut);
	}
	w->func = scope(sc);
	w->body_first = w->body_end = at;
	w->start = sc->t[sc->stmt_first].start;
	w->end = w->start;
	w->pos = span_pos(sc, first, last_expr);
	if (b->row == NONE)
		b->row = (uint32_t)m->nwiths;
	b->nrows++;
	m->nwiths++;
	sc->with_item = NONE;
	sc->with_as = NONE;
	(void)at;
}

/* ---------------------------------------------------- import statement */

/* A dotted name from token i: its text in the arena, *next after it. */
static const char *dotted_name(struct scan *sc, uint32_t i, uint32_t *next,
			       uint32_t *last)
{
	uint32_t first = i, end = i;

	*last = NONE;
	while (i < sc->n && sc->t[i].kind == CG_PY_NAME) {
		*last = i;
		end = next_sig(sc, i);
		if (end < sc->n && is_op(sc, end, "."))
			i = next_sig(sc, end);
		else
			break;
	}
	*next = *last == NONE ? i : end;
	if (*last == NONE)
		return NULL;
	{
		bool cut;

		return span_text(sc, first, *last, &cut);
	}
}

static bool stmt_end(const struct scan *sc, uint32_t i)
{
	return i >= sc->n || sc->t[i].kind == CG_PY_NEWLINE ||
	       sc->t[i].kind == CG_PY_ENDMARKER || is_op(sc, i, ";");
}

static void add_import(struct scan *sc, const char *module, unsigned level,
		       const char *name, const char *bound, uint32_t first,
		       uint32_t last)
{
	struct cg_py_module *m = sc->m;
	struct cg_py_import *r;

	CG_GROW(m->imports, m->imports_alloc, m->nimports + 1);
	r = &m->imports[m->nimports++];
	r->module = module;
	r->level = level;
	r->name = name;
	r->bound = bound;
	r->func = scope(sc);
	r->pos = span_pos(sc, first, last);
}

/* `import a.b as c, d` from the keyword at i; returns the token that
 * ends the statement. */
static uint32_t import_stmt(struct scan *sc, uint32_t i)
{
	uint32_t k = next_sig(sc, i), next, last;

	while (!stmt_end(sc, k)) {
		uint32_t first = k;
		const char *mod = dotted_name(sc, k, &next, &last);
		const char *bound;

		if (!mod)
			break;
		k = next;
		if (k < sc->n && is_name(sc, k, "as")) {
			k = next_sig(sc, k);
			if (k >= sc->n || sc->t[k].kind != CG_PY_NAME)
				break;
			bound = tok_text(sc, k);
			last = k;
			k = next_sig(sc, k);
		} else {
			size_t dot = strcspn(mod, ".");

			bound = cg_arena_strndup(sc->arena, mod, dot);
		}
		add_import(sc, mod, 0, NULL, bound, first, last);
		if (k < sc->n && is_op(sc, k, ","))
			k = next_sig(sc, k);
		else
			break;
	}
	while (!stmt_end(sc, k))
		k = next_sig(sc, k);
	return k;
}

/* `from .m import (a as b, c)` from the keyword at i. */
static uint32_t from_stmt(struct scan *sc, uint32_t i)
{
	uint32_t k = next_sig(sc, i), next, last;
	unsigned level = 0;
	const char *mod = "";
	bool paren = false;

	while (k < sc->n && (is_op(sc, k, ".") || is_op(sc, k, "..."))) {
		level += sc->t[k].end - sc->t[k].start;
		k = next_sig(sc, k);
	}
	if (k < sc->n && sc->t[k].kind == CG_PY_NAME &&
	    !is_name(sc, k, "import")) {
		mod = dotted_name(sc, k, &next, &last);
		k = next;
	}
	if (k >= sc->n || !is_name(sc, k, "import") || !mod)
		goto out;
	k = next_sig(sc, k);
	if (k < sc->n && is_op(sc, k, "(")) {
		paren = true;
		k = next_sig(sc, k);
	}
	while (k < sc->n && !stmt_end(sc, k)) {
		uint32_t first = k;
		const char *name, *bound;

		if (is_op(sc, k, "*")) {
			add_import(sc, mod, level, "*", NULL, k, k);
			k = next_sig(sc, k);
			break;
		}
		if (sc->t[k].kind != CG_PY_NAME)
			break;
		name = bound = tok_text(sc, k);
		last = k;
		k = next_sig(sc, k);
		if (k < sc->n && is_name(sc, k, "as")) {
			k = next_sig(sc, k);
			if (k >= sc->n || sc->t[k].kind != CG_PY_NAME)
				break;
			bound = tok_text(sc, k);
			last = k;
			k = next_sig(sc, k);
		}
		add_import(sc, mod, level, name, bound, first, last);
		if (k < sc->n && is_op(sc, k, ","))
			k = next_sig(sc, k);
		else
			break;
	}
out:
	(void)paren;
	/* the rest of the statement; brackets of the import are its own
	 * (the tokenizer makes NL of line breaks inside them) */
	while (k < sc->n && !stmt_end(sc, k))
		k = next_sig(sc, k);
	return k;
}

/* ---------------------------------------------------------- statements */

static void end_statement(struct scan *sc)
{
	struct cg_py_module *m = sc->m;

	if (sc->assign != NONE) {
		struct cg_py_assign *a = &m->assigns[sc->assign];
		uint32_t last = sc->prev;

		if (sc->assign_ann != NONE) {
			uint32_t ann_last = sc->assign_value != NONE
						? sc->assign_value - 1
						: last;
			bool cut;

			/* back over the `=` */
			if (sc->assign_value != NONE) {
				while (ann_last > sc->assign_ann &&
				       (skipped(sc->t[ann_last].kind) ||
					is_op(sc, ann_last, "=")))
					ann_last--;
			}
			a->annotation =
			    span_text(sc, sc->assign_ann, ann_last, &cut);
		}
		if (sc->assign_value != NONE && last != NONE &&
		    last >= sc->assign_value) {
			a->value =
			    span_text(sc, sc->assign_value, last, &a->cut);
			a->call = whole_call(sc, sc->assign_value, last);
			a->string = whole_string(sc, sc->assign_value, last,
						 &a->str_value);
		}
		if (last != NONE)
			a->end = sc->t[last].end;
	}
	sc->assign = NONE;
	sc->assign_value = NONE;
	sc->assign_ann = NONE;
	end_lambdas_at(sc, 0, sc->prev != NONE ? sc->prev + 1 : 0);
}

/* A statement starts at token i: note what kind. An import is read
 * whole here: then true, with *resume the token that ends it. */
static bool statement(struct scan *sc, uint32_t i, uint32_t *resume)
{
	struct cg_py_module *m = sc->m;
	uint32_t j;
	bool is_async = false;

	sc->stmt_first = i;
	if (sc->ndec && !is_op(sc, i, "@") && !is_name(sc, i, "def") &&
	    !is_name(sc, i, "class") && !is_name(sc, i, "async"))
		sc->ndec = 0;
	if (is_op(sc, i, "@")) {
		if (!sc->ndec)
			sc->dec_first = (uint32_t)m->ndecorators;
		sc->dec_tok = next_sig(sc, i);
		return false;
	}
	if (is_name(sc, i, "async")) {
		j = next_sig(sc, i);
		if (j < sc->n &&
		    (is_name(sc, j, "def") || is_name(sc, j, "with"))) {
			is_async = true;
			i = j;
		}
	}
	if (is_name(sc, i, "def") || is_name(sc, i, "class")) {
		bool cls = is_name(sc, i, "class");
		uint32_t row = add_def(sc,
				       cls	  ? CG_PY_DEF_CLASS
				       : is_async ? CG_PY_DEF_ASYNC
						  : CG_PY_DEF_FUNCTION,
				       sc->stmt_first);
		struct cg_py_def *d = &m->defs[row];

		d->first_decorator =
		    sc->ndec ? sc->dec_first : (uint32_t)m->ndecorators;
		d->ndecorators = sc->ndec;
		for (uint32_t k = 0; k < sc->ndec; k++)
			m->decorators[sc->dec_first + k].def = row;
		sc->ndec = 0;
		j = next_sig(sc, i);
		if (j < sc->n && sc->t[j].kind == CG_PY_NAME) {
			d->name = tok_text(sc, j);
			d->pos = span_pos(sc, j, j);
		}
		sc->def_pending = row;
		sc->def_name = j;
		push_block(sc, BLOCK_DEF, row);
		return false;
	}
	sc->ndec = 0;
	if (is_name(sc, i, "with")) {
		struct block *b = push_block(sc, BLOCK_WITH, NONE);

		sc->with_block = b ? (int)(sc->nblocks - 1) : -1;
		sc->with_item = next_sig(sc, i);
		sc->with_as = NONE;
		sc->with_async = is_async;
		return false;
	}
	if (is_name(sc, i, "try")) {
		struct cg_py_try *t;

		CG_GROW(m->tries, m->tries_alloc, m->ntries + 1);
		t = &m->tries[m->ntries];
		memset(t, 0, sizeof(*t));
		t->func = scope(sc);
		t->body_first = t->body_end = i;
		t->start = t->end = sc->t[i].start;
		t->pos = span_pos(sc, i, i);
		push_block(sc, BLOCK_TRY, (uint32_t)m->ntries++);
		return false;
	}
	if (is_name(sc, i, "import")) {
		*resume = import_stmt(sc, i);
		return true;
	}
	if (is_name(sc, i, "from")) {
		*resume = from_stmt(sc, i);
		return true;
	}
	/* an assignment: a (dotted) name, then `=` or `:` */
	if (sc->t[i].kind == CG_PY_NAME && !is_keyword(sc, i)) {
		uint32_t k = i, last = i;

		for (;;) {
			j = next_sig(sc, k);
			if (j < sc->n && is_op(sc, j, ".")) {
				k = next_sig(sc, j);
				if (k >= sc->n || sc->t[k].kind != CG_PY_NAME)
					return false;
				last = k;
				continue;
			}
			break;
		}
		if (j < sc->n && (is_op(sc, j, "=") || is_op(sc, j, ":"))) {
			struct cg_py_assign *a;
			bool cut;

			CG_GROW(m->assigns, m->assigns_alloc, m->nassigns + 1);
			a = &m->assigns[m->nassigns];
			memset(a, 0, sizeof(*a));
			a->target = span_text(sc, i, last, &cut);
			a->call = a->string = NONE;
			a->func = scope(sc);
			a->start = sc->t[i].start;
			a->end = sc->t[last].end;
			a->pos = span_pos(sc, i, last);
			sc->assign = (uint32_t)m->nassigns++;
			if (is_op(sc, j, "="))
				sc->assign_value = next_sig(sc, j);
			else
				sc->assign_ann = next_sig(sc, j);
		}
	}
	return false;
}

/* The `:` ending the open header of block b at token i. */
static void set_body_first(struct scan *sc, struct block *b, uint32_t at)
{
	struct cg_py_module *m = sc->m;

	if (b->row == NONE)
		return;
	if (b->kind == BLOCK_DEF)
		m->defs[b->row].body_first = at;
	else if (b->kind == BLOCK_TRY)
		m->tries[b->row].body_first = at;
	else
		for (uint32_t k = b->row; k < b->row + b->nrows; k++)
			m->withs[k].body_first = at;
}

static void header_colon(struct scan *sc, struct block *b, uint32_t i)
{
	uint32_t j = next_sig(sc, i);

	if (b->kind == BLOCK_WITH) {
		with_item_end(sc, i);
		sc->with_block = -1;
	}
	sc->def_pending = NONE;
	b->header = false;
	if (j < sc->n && sc->t[j].kind == CG_PY_NEWLINE) {
		b->awaiting_body = true;
	} else {
		b->inline_body = true;
		sc->stmt_start = true;
	}
	/* the body's first token, for now: the one after the colon */
	set_body_first(sc, b, j);
}

static void add_string(struct scan *sc, uint32_t i)
{
	struct cg_py_module *m = sc->m;
	const struct cg_py_token *k = &sc->t[i];
	struct cg_py_string *r;
	size_t body = 0, end = 0;

	CG_GROW(m->strings, m->strings_alloc, m->nstrings + 1);
	r = &m->strings[m->nstrings++];
	r->flags = cg_py_string_flags(sc->s + k->start, k->end - k->start);
	r->tok = i;
	r->start = k->start;
	r->end = k->end;
	if (string_body(sc->s + k->start, k->end - k->start, &body, &end)) {
		r->body = k->start + (uint32_t)body;
		r->body_end = k->start + (uint32_t)end;
	} else {
		r->body = r->body_end = k->start;
	}
	r->func = scope(sc);
	r->pos = span_pos(sc, i, i);
}

static void add_decorator(struct scan *sc, uint32_t first, uint32_t last)
{
	struct cg_py_module *m = sc->m;
	struct cg_py_decorator *d;

	CG_GROW(m->decorators, m->decorators_alloc, m->ndecorators + 1);
	d = &m->decorators[m->ndecorators++];
	d->def = NONE;
	d->text = span_text(sc, first, last, &d->cut);
	d->call = whole_call(sc, first, last);
	d->pos = span_pos(sc, first, last);
	sc->ndec++;
}

static void scan_tokens(struct scan *sc)
{
	for (uint32_t i = 0; i < sc->n; i++) {
		const struct cg_py_token *k = &sc->t[i];
		struct block *hb;
		char c;

		if (skipped(k->kind))
			continue;
		switch (k->kind) {
		case CG_PY_NEWLINE:
		case CG_PY_ENDMARKER:
			while (sc->depth || sc->frame_overflow)
				close_frame(sc, i);
			end_statement(sc);
			if (sc->dec_tok != NONE && sc->prev != NONE &&
			    sc->prev >= sc->dec_tok)
				add_decorator(sc, sc->dec_tok, sc->prev);
			sc->dec_tok = NONE;
			if ((hb = header_block(sc))) /* no colon: broken */
				end_block(sc, i);
			sc->with_block = -1;
			while (sc->nblocks &&
			       sc->blocks[sc->nblocks - 1].inline_body)
				end_block(sc, i);
			if (k->kind == CG_PY_ENDMARKER)
				while (sc->nblocks)
					end_block(sc, i);
			sc->def_pending = NONE;
			sc->stmt_start = true;
			sc->chain = NONE;
			sc->prev = i;
			continue;
		case CG_PY_INDENT:
			sc->level++;
			for (unsigned b = sc->nblocks; b > 0; b--) {
				struct block *bl = &sc->blocks[b - 1];

				if (bl->awaiting_body) {
					bl->awaiting_body = false;
					bl->indented = true;
					set_body_first(sc, bl, next_sig(sc, i));
				}
			}
			sc->stmt_start = true;
			continue;
		case CG_PY_DEDENT:
			if (sc->level)
				sc->level--;
			while (sc->nblocks &&
			       sc->blocks[sc->nblocks - 1].level >= sc->level &&
			       !sc->blocks[sc->nblocks - 1].header)
				end_block(sc, i);
			sc->stmt_start = true;
			continue;
		default:
			break;
		}
		/* a header whose NEWLINE came without an INDENT: no body */
		while (sc->nblocks && sc->blocks[sc->nblocks - 1].awaiting_body)
			end_block(sc, i);
		if (sc->stmt_start && sc->depth == 0) {
			uint32_t next = i;

			sc->stmt_start = false;
			if (statement(sc, i, &next) && next > i) {
				/* read whole (an import): go on at its end */
				sc->prev = next - 1;
				while (sc->prev > i &&
				       skipped(sc->t[sc->prev].kind))
					sc->prev--;
				i = next - 1;
				sc->chain = NONE;
				continue;
			}
		}
		if (k->kind == CG_PY_STRING)
			add_string(sc, i);

		/* arguments: keyword and star at an argument's start */
		if (sc->depth && !sc->frame_overflow) {
			struct frame *f = &sc->frames[sc->depth - 1];

			if (f->kind != FRAME_GROUP && f->arg_start &&
			    !closer_of(sc, i)) {
				uint32_t j = next_sig(sc, i);

				f->arg_start = false;
				if (k->kind == CG_PY_NAME && j < sc->n &&
				    is_op(sc, j, "=")) {
					f->kw_tok = i;
					f->arg_start = true; /* value next */
					f->arg_first = NONE;
					sc->prev = i;
					sc->chain = NONE;
					i = j; /* the `=` */
					sc->prev = j;
					continue;
				}
				if (is_op(sc, i, "*") || is_op(sc, i, "**")) {
					f->star = is_op(sc, i, "*") ? 1 : 2;
					f->arg_start = true;
					sc->prev = i;
					sc->chain = NONE;
					continue;
				}
				f->arg_first = i;
			}
		}

		c = k->end > k->start ? sc->s[k->start] : 0;
		if (k->kind == CG_PY_OP && (c == '(' || c == '[' || c == '{') &&
		    k->end - k->start == 1) {
			open_frame(sc, i);
			sc->prev = i;
			continue;
		}
		if (closer_of(sc, i)) {
			close_frame(sc, i);
			sc->prev = i;
			continue;
		}
		if (is_op(sc, i, ",")) {
			struct lambda *l = sc->nlambdas
					       ? &sc->lambdas[sc->nlambdas - 1]
					       : NULL;

			if (l && l->depth == sc->depth && l->params) {
				sc->prev = i;
				sc->chain = NONE;
				continue;
			}
			end_lambdas_at(sc, sc->depth, i);
			if (sc->depth && !sc->frame_overflow) {
				struct frame *f = &sc->frames[sc->depth - 1];

				if (f->kind != FRAME_GROUP) {
					arg_end(sc, f);
					f->arg_start = true;
				}
			} else if (sc->depth == 0 && sc->with_block >= 0) {
				with_item_end(sc, i);
				sc->with_item = next_sig(sc, i);
			}
			sc->prev = i;
			sc->chain = NONE;
			continue;
		}
		if (is_op(sc, i, ":")) {
			struct lambda *l = sc->nlambdas
					       ? &sc->lambdas[sc->nlambdas - 1]
					       : NULL;

			if (l && l->depth == sc->depth && l->params) {
				struct cg_py_def *d = &sc->m->defs[l->row];

				l->params = false;
				d->body_first = next_sig(sc, i);
			} else {
				end_lambdas_at(sc, sc->depth, i);
				if (sc->depth == 0 && (hb = header_block(sc))) {
					header_colon(sc, hb, i);
				} else if (sc->depth == 0 &&
					   sc->assign == NONE &&
					   next_sig(sc, i) < sc->n &&
					   sc->t[next_sig(sc, i)].kind !=
					       CG_PY_NEWLINE) {
					/* another compound statement's
					 * header (`if x: y = f()`) */
					sc->stmt_start = true;
				}
			}
			sc->prev = i;
			sc->chain = NONE;
			continue;
		}
		if (is_op(sc, i, ";") && sc->depth == 0) {
			end_statement(sc);
			sc->stmt_start = true;
			sc->prev = i;
			sc->chain = NONE;
			continue;
		}
		if (k->kind == CG_PY_NAME) {
			if (is_name(sc, i, "lambda")) {
				uint32_t row = add_def(sc, CG_PY_DEF_LAMBDA, i);

				if (sc->nlambdas < CG_PY_MAX_LAMBDAS) {
					struct lambda *l =
					    &sc->lambdas[sc->nlambdas++];

					l->row = row;
					l->depth = sc->depth;
					l->params = true;
				} else {
					sc->m->truncated = true;
				}
				sc->chain = NONE;
				sc->prev = i;
				continue;
			}
			if ((is_name(sc, i, "for") ||
			     is_name(sc, i, "async")) &&
			    sc->nlambdas &&
			    sc->lambdas[sc->nlambdas - 1].depth == sc->depth)
				end_lambdas_at(sc, sc->depth, i);
			if (sc->depth == 0 && sc->with_block >= 0 &&
			    is_name(sc, i, "as") && sc->with_as == NONE)
				sc->with_as = i;
			if (is_keyword(sc, i))
				sc->chain = NONE;
			else if (!(sc->prev != NONE &&
				   is_op(sc, sc->prev, ".") &&
				   sc->chain != NONE))
				sc->chain = i;
			sc->prev = i;
			continue;
		}
		if (k->kind == CG_PY_OP && is_op(sc, i, "=") &&
		    sc->depth == 0 && sc->assign != NONE) {
			/* the value is what follows the last `=`
			 * (`a = b = c` gives `a` the value c) */
			sc->assign_value = next_sig(sc, i);
		}
		if (k->kind == CG_PY_STRING) {
			if (!(sc->prev != NONE &&
			      sc->t[sc->prev].kind == CG_PY_STRING &&
			      sc->chain != NONE))
				sc->chain = i;
		} else if (k->kind == CG_PY_NUMBER) {
			sc->chain = i;
		} else if (!is_op(sc, i, ".")) {
			sc->chain = NONE;
		}
		sc->prev = i;
	}
}

/* Copy table `from` (n rows of `size`) into the arena. */
static void *settle(struct cg_arena *arena, const void *from, size_t n,
		    size_t size)
{
	void *to;

	if (!n)
		return NULL;
	to = cg_arena_alloc(arena, n * size);
	memcpy(to, from, n * size);
	return to;
}

int cg_py_module_build_with(struct cg_py_module *out, struct cg_arena *arena,
			    struct cg_py_scratch *scratch, const char *text,
			    size_t len, const struct cg_py_tokens *toks)
{
	struct scan *sc;
	struct cg_py_module *m = &scratch->rows;

	if (!scratch->state)
		scratch->state = cg_xcalloc(1, sizeof(*sc));
	sc = scratch->state;
	/* the stacks are read only below their depths, set here */
	memset(sc, 0, offsetof(struct scan, frames));
	memset(out, 0, sizeof(*out));
	m->ndefs = m->ndecorators = m->nparams = m->ncalls = m->nargs = 0;
	m->nwiths = m->ntries = m->nstrings = m->nassigns = m->nimports = 0;
	m->truncated = false;
	sc->m = m;
	sc->arena = arena;
	sc->s = text;
	sc->len = len;
	sc->t = toks->toks;
	sc->n = (uint32_t)toks->n;
	sc->pending = scratch->pending;
	sc->pending_alloc = scratch->pending_alloc;
	sc->chain = sc->prev = sc->last_call = NONE;
	sc->stmt_start = true;
	sc->dec_tok = NONE;
	sc->def_pending = NONE;
	sc->with_block = -1;
	sc->with_item = sc->with_as = NONE;
	sc->assign = sc->assign_value = sc->assign_ann = NONE;
	scan_tokens(sc);
	/* a token stream cut short (CG_ELIMIT) has no ENDMARKER */
	while (sc->depth || sc->frame_overflow)
		close_frame(sc, sc->n ? sc->n - 1 : 0);
	end_statement(sc);
	while (sc->nblocks)
		end_block(sc, sc->n);
	scratch->pending = sc->pending;
	scratch->pending_alloc = sc->pending_alloc;

#define SETTLE(f)                                                              \
	do {                                                                   \
		out->f = scratch->lend                                         \
			     ? (m->n##f ? m->f : NULL)                         \
			     : settle(arena, m->f, m->n##f, sizeof(*m->f));    \
		out->n##f = out->f##_alloc = m->n##f;                          \
	} while (0)
	SETTLE(defs);
	SETTLE(decorators);
	SETTLE(params);
	SETTLE(calls);
	SETTLE(args);
	SETTLE(withs);
	SETTLE(tries);
	SETTLE(strings);
	SETTLE(assigns);
	SETTLE(imports);
#undef SETTLE
	out->truncated = m->truncated;
	return 0;
}

int cg_py_module_build(struct cg_py_module *out, struct cg_arena *arena,
		       const char *text, size_t len,
		       const struct cg_py_tokens *toks)
{
	struct cg_py_scratch scratch;
	int err;

	memset(&scratch, 0, sizeof(scratch));
	err = cg_py_module_build_with(out, arena, &scratch, text, len, toks);
	cg_py_scratch_release(&scratch);
	return err;
}

void cg_py_scratch_release(struct cg_py_scratch *scratch)
{
	struct cg_py_module *m;

	if (!scratch)
		return;
	m = &scratch->rows;
	free(m->defs);
	free(m->decorators);
	free(m->params);
	free(m->calls);
	free(m->args);
	free(m->withs);
	free(m->tries);
	free(m->strings);
	free(m->assigns);
	free(m->imports);
	free(scratch->pending);
	free(scratch->state);
	memset(scratch, 0, sizeof(*scratch));
}

void cg_py_module_release(struct cg_py_module *m)
{
	if (m)
		memset(m, 0, sizeof(*m));
}
