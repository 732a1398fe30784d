/*
 * load: turn file bytes into positioned trees and tokens. YAML and JSON share
 * one tree type (struct cg_node); dotenv files become entries; shell script
 * text becomes a small syntax tree of lists, pipelines and commands. Every
 * node and token knows its byte offsets in the source, so findings point at
 * the exact line and column. A loader never knows about rules.
 */
#ifndef CG_LOAD_H
#define CG_LOAD_H

#include "core/core.h"

/* ---------------------------------------------------------------- trees */

enum cg_node_kind {
	CG_NODE_SCALAR,
	CG_NODE_SEQ,
	CG_NODE_MAP,
};

enum cg_scalar_style {
	CG_STYLE_PLAIN,	  /* YAML plain; JSON number, true, false, null */
	CG_STYLE_SINGLE,  /* 'quoted' */
	CG_STYLE_DOUBLE,  /* "quoted" (every JSON string) */
	CG_STYLE_LITERAL, /* | */
	CG_STYLE_FOLDED,  /* > */
};

struct cg_pair;

/*
 * Offsets, lengths and counts in trees and scripts are 32 bits, which makes
 * a node 64 bytes instead of 80. The loaders refuse a source longer than
 * this (CG_ELIMIT), so every offset and length fits: a YAML escape makes
 * at most 3 bytes of 2 (`\L`), hence the half.
 */
#define CG_LOAD_MAX_BYTES ((size_t)UINT32_MAX / 2)

struct cg_node {
	enum cg_node_kind kind;
	enum cg_scalar_style style; /* scalars only */
	struct cg_pos pos;	    /* from first to just past last char */
	uint32_t start, end;	    /* the same as byte offsets in the src */
	const char *tag;	    /* explicit tag or NULL */
	/* scalar: the value after unquoting/folding, NUL-terminated */
	const char *str;
	uint32_t len;
	/* seq: items[n]; map: pairs[n] (keys in document order, merge keys
	 * `<<` already applied, duplicates kept) */
	uint32_t n;
	union { /* by kind: a big tree has ~10 nodes per line of YAML */
		struct cg_node **items; /* CG_NODE_SEQ */
		struct cg_pair *pairs;	/* CG_NODE_MAP */
	};
};

struct cg_pair {
	struct cg_node *key;
	struct cg_node *value;
};

/*
 * A loaded file: one root per YAML document (JSON: exactly one). Nodes
 * reached through aliases are shared, not copied, so a tree is a DAG; the
 * loader bounds the expanded size so a full walk stays cheap.
 */
struct cg_tree {
	struct cg_arena arena;
	struct cg_node **docs;
	size_t ndocs;
};

struct cg_load_limits {
	unsigned max_depth;	   /* nesting of collections */
	size_t max_expanded_nodes; /* nodes counted through aliases */
};
#define CG_LOAD_LIMITS_DEFAULT                                                 \
	{                                                                      \
		256, 1000000                                                   \
	}

/*
 * Parse `src` as a YAML stream. Returns 0 and fills `out` (release with
 * cg_tree_release even on error), or CG_EPARSE / CG_ELIMIT with
 * "path:line:col: what" in cg_error_last() (CG_ELIMIT with "path: what"
 * for a source over CG_LOAD_MAX_BYTES).
 */
int cg_yaml_load(struct cg_tree *out, const struct cg_src *src,
		 const struct cg_load_limits *lim);
/*
 * The same, with the nodes allocated in the caller's `arena` (it must
 * outlive the tree; cg_tree_release then frees only the document list).
 * A model holding thousands of files shares one arena this way.
 */
int cg_yaml_load_in(struct cg_tree *out, const struct cg_src *src,
		    const struct cg_load_limits *lim, struct cg_arena *arena);

enum {
	CG_JSON_STRICT = 0,
	CG_JSON_COMMENTS = 1 << 0,	/* // and block comments */
	CG_JSON_SINGLE_QUOTES = 1 << 1, /* 'strings' */
	/* the text after the first value is not read (Jackson's
	 * readValue without FAIL_ON_TRAILING_TOKENS) */
	CG_JSON_FIRST_VALUE = 1 << 2,
	/* a '\u' escape of a lone surrogate is taken (read as U+FFFD) */
	CG_JSON_LONE_SURROGATES = 1 << 3,
	/* the bytes of a string must be UTF-8 by their structure (a lead
	 * byte and its continuation bytes), as Jackson's byte decoder
	 * checks them; overlong forms are taken */
	CG_JSON_UTF8 = 1 << 4,
	/* What WireMock's Jackson reader accepts. */
	CG_JSON_WIREMOCK = CG_JSON_COMMENTS | CG_JSON_SINGLE_QUOTES |
			   CG_JSON_FIRST_VALUE | CG_JSON_LONE_SURROGATES |
			   CG_JSON_UTF8,
};

/*
 * Parse `src` as one JSON value (RFC 8259 plus what `flags` allow; never a
 * trailing comma, never an unquoted key). Same return protocol as YAML.
 * Strings are DOUBLE (or SINGLE) scalars, numbers/true/false/null PLAIN.
 */
int cg_json_load(struct cg_tree *out, const struct cg_src *src, unsigned flags,
		 const struct cg_load_limits *lim);
/* The same; when it fails, *err_off (maybe NULL) gets the byte offset its
 * message points at (0 for a source over CG_LOAD_MAX_BYTES). */
int cg_json_load_at(struct cg_tree *out, const struct cg_src *src,
		    unsigned flags, const struct cg_load_limits *lim,
		    size_t *err_off);

/*
 * The bytes of a JSON file as Jackson reads them from a byte source
 * (WireMock's mapping files): in UTF-32 or UTF-16, big- or little-endian,
 * when a byte-order mark says so or the zero bytes among the first four
 * do (`00 00 00 7B` is UTF-32BE, `7B 00` UTF-16LE), else in UTF-8.
 * Returns 0 when the text is UTF-8 as it is (out untouched); 1 with the
 * text decoded into `out` as UTF-8 (UTF-16 as Java's decoder reads it: a
 * unit that is no character becomes U+FFFD); CG_EPARSE when Jackson
 * refuses the bytes (a byte order it does not support, a UTF-32 unit
 * above U+10FFFF), with the message and *err_off, the offset of the bad
 * bytes. A last UTF-32 unit cut short is left out, as Jackson does not
 * read it unless the value runs into it.
 */
int cg_json_decode_bytes(const char *s, size_t len, struct cg_buf *out,
			 size_t *err_off);

void cg_tree_release(struct cg_tree *t);

/* Lookups; all accept NULL and return NULL/false when the shape differs. */
const struct cg_node *cg_map_get(const struct cg_node *map, const char *key);
const struct cg_pair *cg_map_get_pair(const struct cg_node *map,
				      const char *key);
bool cg_node_is_scalar(const struct cg_node *n);
/* Scalar equals `s` exactly. */
bool cg_scalar_eq(const struct cg_node *n, const char *s);
/* YAML 1.2 core booleans (true/True/TRUE, false/...). -1 if not a bool. */
int cg_scalar_bool(const struct cg_node *n);

/*
 * For a scalar of `src`, the source byte offset of every byte of n->str:
 * (*out)[i] is where n->str[i] came from, (*out)[n->len] just past the end.
 * Works for every style (block scalars: indentation and header skipped;
 * folded/plain: a folded space maps to the line break it replaced; quoted:
 * escapes map to their backslash). Caller frees *out. Returns 0 or
 * CG_EINVAL when `n` is not a scalar of `src`.
 */
int cg_scalar_offsets(const struct cg_src *src, const struct cg_node *n,
		      uint32_t **out);

/* --------------------------------------------------------------- dotenv */

struct cg_env_entry {
	const char *key;
	const char *value;     /* unquoted; "" for `KEY=` */
	struct cg_pos key_pos; /* the key */
	struct cg_pos value_pos;
	const char *comment; /* trailing comment, else the comment line(s)
				directly above; NULL when none */
	bool exported;	     /* `export KEY=...` */
	bool quoted;
};

struct cg_dotenv_problem {
	struct cg_pos pos;
	const char *message;
};

struct cg_dotenv {
	struct cg_arena arena;
	struct cg_env_entry *entries;
	size_t n;
	struct cg_dotenv_problem *problems; /* lines that are not KEY=VALUE */
	size_t nproblems;
};

/* Parse a dotenv file. Never fails on content: bad lines become problems. */
int cg_dotenv_load(struct cg_dotenv *out, const struct cg_src *src);
void cg_dotenv_release(struct cg_dotenv *d);

/* ----------------------------------------------------------- Dockerfile */

/* ENV NAME=VALUE of a stage: the value with quotes and escapes removed;
 * [start, end) are bytes of the file. */
struct cg_df_env {
	const char *name, *value;
	uint32_t name_start, name_end, value_start, value_end;
};

/* CMD or ENTRYPOINT: the exec form's strings (a JSON array), or for the
 * shell form (`CMD python w.py`, which /bin/sh -c runs) its words split
 * at blanks, quotes removed; `text` is the instruction's arguments as
 * written, on one line; [start, end) its bytes. */
struct cg_df_command {
	const char **argv;
	size_t argc;
	bool shell_form;
	const char *text;
	uint32_t start, end;
};

/* FROM IMAGE [AS NAME] and what follows up to the next FROM. */
struct cg_df_stage {
	const char *from; /* the image or an earlier stage, as written */
	const char *name; /* `AS name`, lowercased; NULL without */
	uint32_t from_start, from_end;
	struct cg_df_env *env;
	size_t nenv, env_alloc;
	/* the stage's last CMD and ENTRYPOINT (text NULL: none here) */
	struct cg_df_command cmd, entrypoint;
};

struct cg_dockerfile {
	struct cg_arena arena;
	struct cg_df_stage *stages;
	size_t nstages;
	/* more than CG_DF_MAX_STAGES stages or CG_DF_MAX_ENV ENV pairs: the
	 * reading stopped at the first one over (a stage inherits its base's
	 * ENV, so a hostile chain of stages would multiply them) */
	bool truncated;
};
#define CG_DF_MAX_STAGES 128
#define CG_DF_MAX_ENV 1024

/* Read a Dockerfile's stages, ENV, CMD and ENTRYPOINT (dockerfile.c says
 * how). Never fails on content: what is not understood is passed over. */
int cg_dockerfile_load(struct cg_dockerfile *out, const struct cg_src *src);
void cg_dockerfile_release(struct cg_dockerfile *d);

/* ------------------------------------------------------------- markdown */

/* A cell of a GFM table: its text with the Markdown that does not change
 * what it says removed (inline code backticks, `\|` and other backslash
 * escapes, emphasis around the whole cell, a link's or autolink's text),
 * trimmed; [start, end) are the bytes of the raw cell in the file,
 * trimmed. */
struct cg_md_cell {
	const char *text;
	size_t start, end;
};

struct cg_md_row {
	struct cg_md_cell *cells;
	size_t ncells;
	size_t start, end; /* the line, without its newline */
};

/* A table: its header row and body rows (the delimiter row left out). A
 * body row keeps its cells as written: fewer or more than the header's. */
struct cg_md_table {
	struct cg_md_row header;
	struct cg_md_row *rows;
	size_t nrows;
};

struct cg_md_doc {
	struct cg_arena arena;
	struct cg_md_table *tables;
	size_t ntables;
};

/* Bounds: a file holds at most this many tables, a row this many cells;
 * more are left out (not an error). */
#define CG_MD_MAX_TABLES 1024
#define CG_MD_MAX_CELLS 64

/*
 * The GFM tables of Markdown text `src`: a header row, a delimiter row
 * with as many cells (`---`, `:--`, `--:`, `:-:`), then rows up to a
 * blank line or a line without `|`. Cells split at each `|` that no
 * backslash escapes, inside code spans too, as GFM does. Fenced code
 * blocks (``` and ~~~), indented code and HTML comments hold no tables.
 * Never fails on content; release with cg_md_release.
 */
int cg_md_load(struct cg_md_doc *out, const struct cg_src *src);
void cg_md_release(struct cg_md_doc *d);

/* ---------------------------------------------------------------- shell */

/*
 * A POSIX/bash script as CI runs it: the text of a `run:` or `script:`
 * scalar. Offsets below are into that text; cg_scalar_offsets maps them to
 * the file. `${{ ... }}` (GitHub expressions) is part of a word, never an
 * operator, even inside quotes or when it holds `||`, spaces or quotes.
 * Every offset is within [0, len] and every start <= end. Offsets, lengths
 * and counts are 32 bits, as in trees: a script is a YAML scalar.
 */

enum cg_sh_op {
	CG_SH_OP_NONE,
	CG_SH_OP_AND,  /* && */
	CG_SH_OP_OR,   /* || */
	CG_SH_OP_PIPE, /* | or |& */
};

enum cg_sh_cmd_kind {
	CG_SH_SIMPLE,	/* also `[[ ... ]]` and `(( ... ))`, see words */
	CG_SH_GROUP,	/* { list; }: body[0] */
	CG_SH_SUBSHELL, /* ( list ): body[0] */
	CG_SH_IF,	/* if/elif/else: body[0]=cond, body[1]=then, body[2]=
			   else part (elif chains nest an IF in body[2]) */
	CG_SH_WHILE,	/* body[0]=cond, body[1]=loop body (also until) */
	CG_SH_UNTIL,
	CG_SH_FOR,     /* body[1]=loop body; words = loop variable, items
			  (`for ((e))`: words "((", e raw, "))"; `select`
			  is a FOR too) */
	CG_SH_CASE,    /* words[0] = the subject; each arm's list in arms,
			  its patterns in arm_patterns */
	CG_SH_FUNCDEF, /* words[0] = name, body[1] = the function body */
};

struct cg_sh_word {
	const char *text;    /* quotes removed; $var, $(..) kept literally;
				NUL-terminated, never NULL */
	uint32_t len;	     /* bytes in text (text may hold NUL bytes) */
	uint32_t start, end; /* offsets of the raw word in the script */
	bool quoted;	     /* some part was quoted */
	bool expands;	     /* contains $, `, or ${{ */
	/* a parameter expansion dash does not have (`${x//a/b}`, `${x:1}`,
	 * `${x^^}`, `${!x}`, `${a[0]}`): "Bad substitution", which ends
	 * its shell when the command runs */
	bool dash_bad;
};

enum cg_sh_redir_kind {
	CG_SH_REDIR_IN,		   /* <   */
	CG_SH_REDIR_OUT,	   /* >   */
	CG_SH_REDIR_APPEND,	   /* >>  */
	CG_SH_REDIR_CLOBBER,	   /* >|  */
	CG_SH_REDIR_RDWR,	   /* <>  */
	CG_SH_REDIR_DUP_IN,	   /* <&  */
	CG_SH_REDIR_DUP_OUT,	   /* >&  (2>&1) */
	CG_SH_REDIR_OUT_ERR,	   /* &>  */
	CG_SH_REDIR_APPEND_ERR,	   /* &>> */
	CG_SH_REDIR_HEREDOC,	   /* <<  */
	CG_SH_REDIR_HEREDOC_STRIP, /* <<- */
	CG_SH_REDIR_HERESTRING,	   /* <<< */
};

struct cg_sh_redir {
	enum cg_sh_redir_kind kind;
	int fd;			       /* explicit fd (the 2 of 2>&1); -1 when
					  none, -2 for bash's {name}> form */
	uint32_t start, end;	       /* from the fd or operator to the
					  target */
	struct cg_sh_word target;      /* file, fd, string or heredoc delimiter
					  (text "" when missing); a quoted
					  delimiter means an unexpanded body */
	uint32_t body_start, body_end; /* heredocs: the body lines without the
					  delimiter line; never parsed */
};

struct cg_sh_list;

struct cg_sh_cmd {
	enum cg_sh_cmd_kind kind;
	uint32_t start, end; /* whole command incl. redirections */
	/* SIMPLE: the command words without assignments and redirections.
	 * `[[ a && b ]]` is SIMPLE with words "[[", "a", "&&", "b", "]]";
	 * `(( e ))` is SIMPLE with words "((", e raw, "))". A line of only
	 * assignments or redirections has nwords 0. */
	struct cg_sh_word *words;
	struct cg_sh_word *assigns; /* NAME=value prefixes (also NAME+=,
				       NAME[i]=, NAME=(array)) */
	uint32_t nwords, nassigns;
	struct cg_sh_list *body[3];	  /* see kind; NULL when absent */
	struct cg_sh_list **arms;	  /* CASE arms */
	struct cg_sh_word **arm_patterns; /* CASE: narms pattern arrays */
	uint32_t *arm_npatterns;
	struct cg_sh_redir *redirs; /* in source order; heredoc bodies are
				       filled in once their lines are read */
	uint32_t narms, nredirs;
};

/* cmd[0] | cmd[1] | ...; optionally `! ` negated. n >= 1 (a bare `!` or
 * `time` gives one SIMPLE command with no words). */
struct cg_sh_pipeline {
	struct cg_sh_cmd *cmds;
	uint32_t *pipe_start; /* n-1 offsets of the `|` operators */
	uint32_t *pipe_end;   /* n-1 ends (`|&` is two bytes) */
	uint32_t n;
	uint32_t start, end; /* from `!`/`time` or the first command */
	bool negated;
	bool timed; /* `time` prefix */
};

/* pipe[0] op[0] pipe[1] op[1] ... (op is AND or OR), ended by ; & \n.
 * n >= 1; start/end cover the pipelines, not the `;`/`&` after them. */
struct cg_sh_andor {
	struct cg_sh_pipeline *pipes;
	enum cg_sh_op *ops; /* n-1 connectors */
	uint32_t *op_start; /* n-1 offsets of the `&&`/`||` */
	uint32_t *op_end;
	uint32_t n;
	uint32_t start, end;
	bool background; /* ended by `&` */
};

struct cg_sh_list {
	struct cg_sh_andor *items;
	uint32_t n;
};

struct cg_sh_script {
	struct cg_arena arena;
	const char *text; /* the script (not owned) */
	size_t len;
	struct cg_sh_list *top; /* never NULL after cg_sh_parse */
	bool incomplete;	/* unterminated quote/heredoc/compound, or a
				   token out of place: what could be parsed is
				   in `top` */
	/* Where dash (Debian's and Ubuntu's sh) stops reading the script:
	 * the first bash-only construct its parser refuses (`<(...)`,
	 * `a=(...)`, `|&`, `function f()`, `for ((`, `;&`, an extglob),
	 * CG_SH_NO_STOP when none. dash_exact: dash stops there with a
	 * syntax error, having run nothing of that line (a complete command:
	 * the commands up to a newline), and exits 2; else it reads that
	 * line as other commands (`function f {` on a line of its own,
	 * `select`), which cg_sh_parse does not model. */
	uint32_t dash_stop;
	bool dash_exact;
};
#define CG_SH_NO_STOP UINT32_MAX

#define CG_SH_DEPTH_DEFAULT 256 /* used when max_depth is 0 */
#define CG_SH_DEPTH_CAP 1000	/* max_depth is clamped to this */

/*
 * Parse `text` (any bytes; need not be NUL-terminated). Never fails on
 * content: what cannot be parsed is skipped (and `incomplete` set);
 * returns CG_ELIMIT only when compound commands and substitutions nest
 * deeper than max_depth, or `len` is over CG_LOAD_MAX_BYTES (then `top`
 * is an empty list). Time
 * and memory are linear in `len`. Everything lives in out->arena; release
 * with cg_sh_release even on error.
 */
int cg_sh_parse(struct cg_sh_script *out, const char *text, size_t len,
		unsigned max_depth);
/* The same, allocating in the caller's `arena` (see cg_yaml_load_in). */
int cg_sh_parse_in(struct cg_sh_script *out, struct cg_arena *arena,
		   const char *text, size_t len, unsigned max_depth);
void cg_sh_release(struct cg_sh_script *s);
/*
 * The offset of the `)` that closes a `$(` whose inside starts at
 * text[start], found as the shell finds it: by parsing the inside (a case
 * arm's `pattern)`, quotes, comments and here-documents in it), within
 * text[0, len); 0 when nothing closes it there.
 */
size_t cg_sh_subst_end(const char *text, size_t len, size_t start);

/* --------------------------------------------------------------- python */

/*
 * Python source as CPython's tokenizer splits it (3.12 rules: PEP 701
 * f-strings), without running or importing anything. Offsets are bytes
 * into the text; line and column are 1-based, columns count code points
 * (Python's tokenize module reports the same, 0-based).
 */
enum cg_py_tok_kind {
	CG_PY_ENDMARKER,
	CG_PY_NAME,
	CG_PY_NUMBER,
	/* a whole literal with its prefix; an f-string (and a 3.14
	 * t-string) is one token, fields and all */
	CG_PY_STRING,
	/* an operator or delimiter, longest match */
	CG_PY_OP,
	/* the end of a logical line; zero width when the file does not end
	 * in a line break */
	CG_PY_NEWLINE,
	/* a line break inside brackets, or ending a blank or comment-only
	 * line */
	CG_PY_NL,
	/* covers the indentation */
	CG_PY_INDENT,
	/* zero width, at the token that dedents */
	CG_PY_DEDENT,
	/* from `#` to the end of the line */
	CG_PY_COMMENT,
	/* what Python rejects; `message` says why */
	CG_PY_ERRORTOKEN,
};

struct cg_py_token {
	enum cg_py_tok_kind kind;
	uint32_t start, end;	    /* byte offsets, start <= end <= len */
	uint32_t line, col;	    /* of start */
	uint32_t end_line, end_col; /* of end; a NEWLINE/NL ends on its own
				       line */
	const char *message;	    /* ERRORTOKEN: static text; else NULL */
};

struct cg_py_tokens {
	struct cg_py_token *toks;
	size_t n, alloc;
	size_t nerrors; /* ERRORTOKENs among toks */
	/* the tokenizer's: where each line starts */
	size_t *lines;
	size_t lines_alloc;
};

/* Bounds, as CPython's: nesting of brackets, indentation levels and
 * f-strings inside f-strings; deeper is an ERRORTOKEN. */
#define CG_PY_MAX_BRACKETS 200
#define CG_PY_MAX_INDENT 100
#define CG_PY_MAX_FSTRING 150
/* At most this many tokens per file; then CG_ELIMIT. */
#define CG_PY_MAX_TOKENS (4u * 1024 * 1024)

/*
 * Tokenize `text` (any bytes, need not be NUL-terminated; a UTF-8 BOM is
 * skipped). Never fails on content: what Python would reject becomes an
 * ERRORTOKEN and tokenizing goes on (an unterminated string ends at its
 * line break, or at the end of the file when triple-quoted). The last
 * token is always ENDMARKER, after the NEWLINE and DEDENTs Python adds at
 * the end. Returns 0, or CG_ELIMIT when `len` is over CG_LOAD_MAX_BYTES or
 * the tokens would be more than CG_PY_MAX_TOKENS (out then holds those
 * before the limit, without ENDMARKER). Time and memory are linear in
 * `len`. Release `out` with cg_py_tokens_release, even on error.
 */
int cg_py_tokenize(struct cg_py_tokens *out, const char *text, size_t len);
/* The same into `out` as it is (initialised: zeroed, or from an earlier
 * tokenize), keeping its storage: one buffer serves many files. */
int cg_py_tokenize_again(struct cg_py_tokens *out, const char *text,
			 size_t len);
void cg_py_tokens_release(struct cg_py_tokens *t);
/* "NAME", "OP", ... as Python's token module spells them. */
const char *cg_py_tok_name(enum cg_py_tok_kind kind);

/* ----------------------------------------------------------- javascript */

/*
 * JavaScript and TypeScript source split into tokens, enough to tell code
 * from comments, strings, template text, regular expressions and JSX
 * text; never run. Comments are skipped (no token). Offsets are bytes
 * into the text; a position comes from cg_src_pos.
 */
enum cg_js_tok_kind {
	CG_JS_END,    /* zero width, last */
	CG_JS_NAME,   /* an identifier or keyword; `#name` too */
	CG_JS_NUMBER, /* any numeric literal, BigInt included */
	CG_JS_STRING, /* '...' or "...", quotes included */
	/* a template literal with no `${`, backquotes included */
	CG_JS_TEMPLATE,
	/* the text of a template up to a `${` (HEAD: from its backquote;
	 * MIDDLE: from the `}` of the field before), `${` included; the
	 * fields are code, tokens of their own */
	CG_JS_TEMPLATE_HEAD,
	CG_JS_TEMPLATE_MIDDLE,
	CG_JS_TEMPLATE_TAIL, /* from the last field's `}` to the backquote */
	CG_JS_REGEX,	     /* /body/flags */
	CG_JS_PUNCT,	     /* an operator or delimiter, longest match */
	/* JSX markup (tags, attribute names and strings, text between
	 * elements), up to the next `{` of an embedded expression or the
	 * end of the element; the expressions are code */
	CG_JS_JSX,
	/* what the lexer could not read: `message` says why */
	CG_JS_ERROR,
};

struct cg_js_token {
	enum cg_js_tok_kind kind;
	uint32_t start, end; /* byte offsets, start <= end <= len */
};

struct cg_js_tokens {
	struct cg_js_token *toks;
	size_t n, alloc;
	size_t nerrors;
	const char *message; /* the first ERROR's, static text */
	/* a limit ended the reading before the end of the text (message
	 * says which) */
	bool stopped;
};

/* Nesting of brackets, template fields and JSX expressions; deeper is an
 * ERROR and the rest of the text is not read. */
#define CG_JS_MAX_BRACKETS 1024
#define CG_JS_MAX_NESTING 128
/* At most this many tokens per file; then CG_ELIMIT. */
#define CG_JS_MAX_TOKENS (4u * 1024 * 1024)

enum {
	CG_JS_JSX_ON = 1 << 0, /* `<` where an expression starts opens JSX
				  (.js, .jsx, .tsx; not .ts, where it is a
				  type assertion) */
};

/*
 * Tokenize `text` (any bytes; need not be NUL-terminated). Never fails on
 * content: an unterminated string, regex or comment ends at the line
 * break (string, regex) or the end of the text, as an ERROR token; a
 * hashbang line is skipped. Whether a `/` starts a regex or divides is
 * decided by the token before it, as a parser would (after `)` of `if
 * (...)` or `}` of a block it is a regex). Returns 0, or CG_ELIMIT when
 * `len` is over CG_LOAD_MAX_BYTES or the tokens would be more than
 * CG_JS_MAX_TOKENS (out then holds those before the limit). The last
 * token is END unless CG_ELIMIT. Time is linear in `len`. Release `out`
 * with cg_js_tokens_release, even on error.
 */
int cg_js_tokenize(struct cg_js_tokens *out, const char *text, size_t len,
		   unsigned flags);
void cg_js_tokens_release(struct cg_js_tokens *t);
/* "NAME", "STRING", ... */
const char *cg_js_tok_name(enum cg_js_tok_kind kind);
/* ------------------------------------------------------ python structure */

/*
 * A light structure over a file's tokens (python_module.c): what rules
 * about Python code need, found in one pass over the tokens, without a
 * full grammar and without running anything. Rows come in source order
 * (a call at its opening parenthesis, a def at its keyword) and refer to
 * each other by index (CG_PY_NONE: none). Offsets are bytes into the
 * text; positions come from the tokens. Rows and strings live in the
 * arena given to cg_py_module_build.
 *
 * Expression text (`text`, `callee`, `target`) is normalised: the tokens
 * as written with comments and line breaks removed, and one space only
 * between two tokens that would otherwise run together (`not x`), so
 * `r.get( key )` and `r.get(key)` have the argument text `key` alike.
 * Longer than CG_PY_TEXT_MAX bytes, it is cut there and `cut` is set
 * (two cut texts are never the same expression).
 *
 * Not seen: calls and names inside f-string fields (an f-string is one
 * token), and anything a syntax error hides (the rows then are what the
 * tokens still say). A file nesting deeper than the bounds below keeps
 * its rows but loses the structure past them (`truncated`).
 */
#define CG_PY_NONE UINT32_MAX
#define CG_PY_TEXT_MAX 256
#define CG_PY_VALUE_MAX 1024 /* bytes of a string value kept */
#define CG_PY_MAX_BLOCKS 256 /* def/class/with/try nested at once */
#define CG_PY_MAX_LAMBDAS 64 /* lambdas nested at once */

enum cg_py_def_kind {
	CG_PY_DEF_FUNCTION, /* def */
	CG_PY_DEF_ASYNC,    /* async def */
	CG_PY_DEF_LAMBDA,
	CG_PY_DEF_CLASS,
};

/* A function, lambda or class. Its scope is its body: default values,
 * annotations, bases and decorators belong to the enclosing one. */
struct cg_py_def {
	enum cg_py_def_kind kind;
	const char *name; /* "<lambda>" for a lambda */
	uint32_t parent;  /* the enclosing def, or NONE at module level */
	uint32_t first_decorator, ndecorators; /* rows of `decorators` */
	/* CLASS: its bases and keywords (`metaclass=`), as arguments: rows
	 * of `args` */
	uint32_t first_base, nbases;
	/* FUNCTION, ASYNC: its parameters, rows of `params` */
	uint32_t first_param, nparams;
	/* tokens [body_first, body_end) of the body (empty when the file
	 * ends or breaks first); bytes [start, end) from its first keyword
	 * (`async`, `def`, `class`, `lambda`) to the end of the body */
	uint32_t body_first, body_end;
	uint32_t start, end;
	struct cg_pos pos; /* the name; a lambda's keyword */
};

/* One argument of a call (or base of a class). */
struct cg_py_arg {
	const char *keyword; /* `name=`: the name; NULL when positional */
	unsigned star;	     /* 1: `*x`, 2: `**x`, else 0 */
	const char *text;    /* the value */
	bool cut;
	/* the value is one string literal, or several implicitly joined:
	 * the first one's row of `strings`, and the value (see
	 * cg_py_string_value; joined, and at most CG_PY_VALUE_MAX bytes) */
	uint32_t string;
	const char *value;
	/* the value is one call (maybe awaited): its row */
	uint32_t call;
	uint32_t start, end;
	struct cg_pos pos; /* the value */
};

struct cg_py_call {
	/* the called expression: "self.redis.zcard", "r.pipeline().execute",
	 * "print" */
	const char *callee;
	bool cut;
	bool dotted; /* callee is NAME(.NAME)* */
	/* the last name of the callee ("zcard") and what comes before its
	 * dot ("self.redis"); NULL when the callee does not end in a name
	 * (`f()()`) or has no dot */
	const char *method;
	const char *receiver;
	bool awaited;  /* `await` right before the callee */
	uint32_t func; /* the innermost def whose body holds it, or NONE */
	uint32_t first_arg, nargs; /* rows of `args` */
	/* tokens [first_tok, end_tok): the callee's first to the `)` */
	uint32_t first_tok, end_tok;
	uint32_t start, end;
	struct cg_pos pos; /* the whole call, from the callee's start */
};

/* A parameter of a def: `name: annotation = default`, `*args`. */
struct cg_py_param {
	const char *name;
	const char *annotation;	  /* NULL when none */
	const char *default_text; /* NULL when none */
	unsigned star;		  /* 1: `*args`, 2: `**kw` */
	struct cg_pos pos;	  /* the name */
};

/* `@expr` before a def or class. */
struct cg_py_decorator {
	uint32_t def;
	const char *text; /* the expression after `@` */
	bool cut;
	uint32_t call; /* the expression is a call: its row (`@app.get(...)`) */
	struct cg_pos pos;
};

/* One item of a `with` / `async with` statement. */
struct cg_py_with {
	bool is_async;
	const char *expr; /* the context expression */
	bool cut;
	uint32_t call;	     /* the expression is a call: its row */
	const char *as_name; /* the `as` target's text, or NULL */
	uint32_t func;
	uint32_t body_first, body_end; /* tokens, as a def's */
	uint32_t start, end;	       /* `with` to the end of the body */
	struct cg_pos pos;	       /* the expression */
};

/* A `try` statement: its `try:` suite. */
struct cg_py_try {
	uint32_t func;
	uint32_t body_first, body_end;
	uint32_t start, end;
	struct cg_pos pos; /* the keyword */
};

enum {
	CG_PY_STR_RAW = 1 << 0,
	CG_PY_STR_BYTES = 1 << 1,
	CG_PY_STR_F = 1 << 2,	    /* f-string */
	CG_PY_STR_T = 1 << 3,	    /* 3.14 t-string */
	CG_PY_STR_UNICODE = 1 << 4, /* u'' */
	CG_PY_STR_TRIPLE = 1 << 5,
};

/* A string literal: one STRING token. */
struct cg_py_string {
	unsigned flags;		 /* CG_PY_STR_* */
	uint32_t tok;		 /* its token */
	uint32_t start, end;	 /* the literal, prefix and quotes included */
	uint32_t body, body_end; /* between the quotes */
	uint32_t func;
	struct cg_pos pos;
};

/* `target = value` or `target: annotation [= value]` as a statement of
 * its own, the target a name or a dotted name (`self.r`). */
struct cg_py_assign {
	const char *target;
	const char *annotation; /* NULL when none */
	const char *value;	/* NULL when only annotated */
	bool cut;		/* of the value */
	uint32_t call;		/* the value is one call (maybe awaited) */
	uint32_t string;	/* the value is a string literal: its row */
	const char *str_value;	/* and its value */
	uint32_t func;
	uint32_t start, end; /* the statement */
	struct cg_pos pos;   /* the target */
};

/* One name an import statement binds. */
struct cg_py_import {
	/* the module: "os.path"; for `from .x import y` "x" with level 1;
	 * "" for `from . import y` */
	const char *module;
	unsigned level;	  /* leading dots of a relative import */
	const char *name; /* `from m import name` (or "*"); NULL for
			     `import m` */
	/* the name bound: the `as` name, else `name`, else the first part
	 * of `module` (`import os.path` binds `os`); NULL for `*` */
	const char *bound;
	uint32_t func;
	struct cg_pos pos; /* the module (`from` form: the name) */
};

struct cg_py_module {
	struct cg_py_def *defs;
	size_t ndefs, defs_alloc;
	struct cg_py_decorator *decorators;
	size_t ndecorators, decorators_alloc;
	struct cg_py_param *params;
	size_t nparams, params_alloc;
	struct cg_py_call *calls;
	size_t ncalls, calls_alloc;
	struct cg_py_arg *args;
	size_t nargs, args_alloc;
	struct cg_py_with *withs;
	size_t nwiths, withs_alloc;
	struct cg_py_try *tries;
	size_t ntries, tries_alloc;
	struct cg_py_string *strings;
	size_t nstrings, strings_alloc;
	struct cg_py_assign *assigns;
	size_t nassigns, assigns_alloc;
	struct cg_py_import *imports;
	size_t nimports, imports_alloc;
	bool truncated; /* a nesting bound was reached */
};

/*
 * The structure of `text` (len bytes) from its tokens `toks` (as
 * cg_py_tokenize made them, maybe cut short at CG_ELIMIT). Never fails
 * on content; rows and strings go to `arena`, which must outlive the
 * module (each table once, at its size). Time and memory are linear in
 * the tokens. Returns 0.
 */
int cg_py_module_build(struct cg_py_module *out, struct cg_arena *arena,
		       const char *text, size_t len,
		       const struct cg_py_tokens *toks);

/* Room a build grows its tables in, kept from one file to the next so
 * that reading many files costs no reallocation per file. Zero it
 * before the first use; release with cg_py_scratch_release. */
struct cg_py_scratch {
	struct cg_py_module rows;
	void *pending; /* arguments of the open calls */
	size_t pending_alloc;
	void *state; /* the scanner's stacks */
	/* the module's tables are these rows, not copies in the arena: they
	 * last until the next build with this scratch */
	bool lend;
};

/* cg_py_module_build growing its tables in `scratch`. */
int cg_py_module_build_with(struct cg_py_module *out, struct cg_arena *arena,
			    struct cg_py_scratch *scratch, const char *text,
			    size_t len, const struct cg_py_tokens *toks);
void cg_py_scratch_release(struct cg_py_scratch *scratch);
/* Forget the module's rows (they are the arena's: nothing is freed). */
void cg_py_module_release(struct cg_py_module *m);
/*
 * The value of string literal text[start, end) (prefix and quotes
 * included), at most `max` bytes, NUL-terminated, in `arena`: escapes of
 * a string that is not raw are decoded (\n \t \\ \' \" \xHH, octal,
 * a backslash-newline is nothing; \N{...}, \u and \U stay as written);
 * an f-string's fields stay as written (`{x}`). NULL when it is not a
 * string literal.
 */
char *cg_py_string_value(struct cg_arena *arena, const char *text,
			 uint32_t start, uint32_t end, size_t max);
/* The CG_PY_STR_* flags of the literal starting at `s` (n bytes). */
unsigned cg_py_string_flags(const char *s, size_t n);

#endif
