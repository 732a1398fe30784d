/*
 * Unit tests for src/load/shell.c. Structure is checked through a compact
 * rendering of the tree (see render_list), offsets with explicit asserts.
 *
 * Rendering: a SIMPLE command is `{assign,...}[word,...]` followed by its
 * redirections `~>target`; pipelines join with ` | `, and-or lists with
 * ` && ` / ` || `, list items with `; ` (a background item ends in ` &`).
 * Compound commands: GROUP{..} SUB(..) IF(c)THEN(t)ELSE(e) WHILE(c)DO(b)
 * UNTIL(c)DO(b) FOR[words]DO(b) CASE[w](pat|pat:list)... FUNC[name](body).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "load/load.h"

static void render_list(struct cg_buf *b, const struct cg_sh_list *l);

static const char *redir_op(enum cg_sh_redir_kind k)
{
	static const char *const ops[] = {
	    [CG_SH_REDIR_IN] = "<",
	    [CG_SH_REDIR_OUT] = ">",
	    [CG_SH_REDIR_APPEND] = ">>",
	    [CG_SH_REDIR_CLOBBER] = ">|",
	    [CG_SH_REDIR_RDWR] = "<>",
	    [CG_SH_REDIR_DUP_IN] = "<&",
	    [CG_SH_REDIR_DUP_OUT] = ">&",
	    [CG_SH_REDIR_OUT_ERR] = "&>",
	    [CG_SH_REDIR_APPEND_ERR] = "&>>",
	    [CG_SH_REDIR_HEREDOC] = "<<",
	    [CG_SH_REDIR_HEREDOC_STRIP] = "<<-",
	    [CG_SH_REDIR_HERESTRING] = "<<<",
	};
	return ops[k];
}

static void render_words(struct cg_buf *b, const struct cg_sh_word *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			cg_buf_addch(b, ',');
		cg_buf_add(b, w[i].text, w[i].len);
	}
}

static void render_body(struct cg_buf *b, const char *name,
			const struct cg_sh_list *l)
{
	cg_buf_addf(b, "%s(", name);
	if (l)
		render_list(b, l);
	cg_buf_addch(b, ')');
}

static void render_cmd(struct cg_buf *b, const struct cg_sh_cmd *c)
{
	switch (c->kind) {
	case CG_SH_SIMPLE:
		if (c->nassigns) {
			cg_buf_addch(b, '{');
			render_words(b, c->assigns, c->nassigns);
			cg_buf_addch(b, '}');
		}
		cg_buf_addch(b, '[');
		render_words(b, c->words, c->nwords);
		cg_buf_addch(b, ']');
		break;
	case CG_SH_GROUP:
		cg_buf_addstr(b, "GROUP{");
		render_list(b, c->body[0]);
		cg_buf_addch(b, '}');
		break;
	case CG_SH_SUBSHELL:
		render_body(b, "SUB", c->body[0]);
		break;
	case CG_SH_IF:
		render_body(b, "IF", c->body[0]);
		render_body(b, "THEN", c->body[1]);
		if (c->body[2])
			render_body(b, "ELSE", c->body[2]);
		break;
	case CG_SH_WHILE:
	case CG_SH_UNTIL:
		render_body(b, c->kind == CG_SH_WHILE ? "WHILE" : "UNTIL",
			    c->body[0]);
		render_body(b, "DO", c->body[1]);
		break;
	case CG_SH_FOR:
		cg_buf_addstr(b, "FOR[");
		render_words(b, c->words, c->nwords);
		cg_buf_addch(b, ']');
		render_body(b, "DO", c->body[1]);
		break;
	case CG_SH_CASE:
		cg_buf_addstr(b, "CASE[");
		render_words(b, c->words, c->nwords);
		cg_buf_addch(b, ']');
		for (size_t i = 0; i < c->narms; i++) {
			cg_buf_addch(b, '(');
			for (size_t j = 0; j < c->arm_npatterns[i]; j++) {
				const struct cg_sh_word *w =
				    &c->arm_patterns[i][j];

				if (j)
					cg_buf_addch(b, '|');
				cg_buf_add(b, w->text, w->len);
			}
			cg_buf_addch(b, ':');
			render_list(b, c->arms[i]);
			cg_buf_addch(b, ')');
		}
		break;
	case CG_SH_FUNCDEF:
		cg_buf_addstr(b, "FUNC[");
		render_words(b, c->words, c->nwords);
		cg_buf_addch(b, ']');
		render_body(b, "", c->body[1]);
		break;
	}
	for (size_t i = 0; i < c->nredirs; i++) {
		const struct cg_sh_redir *r = &c->redirs[i];

		cg_buf_addch(b, '~');
		if (r->fd >= 0)
			cg_buf_addf(b, "%d", r->fd);
		cg_buf_addstr(b, redir_op(r->kind));
		cg_buf_add(b, r->target.text, r->target.len);
	}
}

static void render_list(struct cg_buf *b, const struct cg_sh_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct cg_sh_andor *ao = &l->items[i];

		if (i)
			cg_buf_addstr(b, "; ");
		for (size_t j = 0; j < ao->n; j++) {
			const struct cg_sh_pipeline *pl = &ao->pipes[j];

			if (j)
				cg_buf_addstr(b, ao->ops[j - 1] == CG_SH_OP_AND
						     ? " && "
						     : " || ");
			if (pl->timed)
				cg_buf_addstr(b, "time ");
			if (pl->negated)
				cg_buf_addstr(b, "! ");
			for (size_t k = 0; k < pl->n; k++) {
				if (k)
					cg_buf_addstr(b, " | ");
				render_cmd(b, &pl->cmds[k]);
			}
		}
		if (ao->background)
			cg_buf_addstr(b, " &");
	}
}

/*
 * The fuzz target's tree walk aborts on any inconsistent offset; every
 * script below goes through it too.
 */
#include "../../../fuzz/fuzz_shell.c"

static int parse(struct cg_sh_script *s, const char *text)
{
	LLVMFuzzerTestOneInput((const uint8_t *)text, strlen(text));
	return cg_sh_parse(s, text, strlen(text), 0);
}

/* Parse, render, compare; returns the script for further asserts. */
static void expect_tree(struct cg_sh_script *s, const char *text,
			const char *want, bool incomplete)
{
	struct cg_buf b = CG_BUF_INIT;

	assert_int_equal(parse(s, text), 0);
	render_list(&b, s->top);
	if (strcmp(b.buf, want) != 0)
		print_error("script: %s\n  got:  %s\n  want: %s\n", text, b.buf,
			    want);
	assert_string_equal(b.buf, want);
	if (s->incomplete != incomplete)
		print_error("script: %s\n  incomplete: %d\n", text,
			    s->incomplete);
	assert_int_equal(s->incomplete, incomplete);
	cg_buf_release(&b);
}

static const struct cg_sh_cmd *cmd_at(const struct cg_sh_list *l, size_t item,
				      size_t pipe, size_t cmd)
{
	assert_true(item < l->n);
	assert_true(pipe < l->items[item].n);
	assert_true(cmd < l->items[item].pipes[pipe].n);
	return &l->items[item].pipes[pipe].cmds[cmd];
}

static void assert_word(const struct cg_sh_word *w, const char *text,
			size_t start, size_t end)
{
	assert_int_equal(w->len, strlen(text));
	assert_string_equal(w->text, text);
	assert_int_equal(w->start, start);
	assert_int_equal(w->end, end);
}

/* ---------------------------------------------------------------- tables */

struct tree_case {
	const char *script;
	const char *tree;
	bool incomplete;
};

static void run_cases(const struct tree_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct cg_sh_script s;

		expect_tree(&s, cases[i].script, cases[i].tree,
			    cases[i].incomplete);
		cg_sh_release(&s);
	}
}

#define RUN_CASES(c) run_cases(c, sizeof(c) / sizeof(c[0]))

static void test_shell__lists_and_operators(void **state)
{
	static const struct tree_case cases[] = {
	    {"", "", false},
	    {"\n\n  \n", "", false},
	    {"pytest || true", "[pytest] || [true]", false},
	    {"a && b || c", "[a] && [b] || [c]", false},
	    {"a; b\nc & d", "[a]; [b]; [c] &; [d]", false},
	    {"a&&b||c;d", "[a] && [b] || [c]; [d]", false},
	    {"set -eo pipefail", "[set,-eo,pipefail]", false},
	    {"a &&\n\n  b ||\n c", "[a] && [b] || [c]", false},
	    {"a |\n b", "[a] | [b]", false},
	    {"a |& b | c", "[a] | [b] | [c]", false},
	    {"! pytest", "! [pytest]", false},
	    {"! ! a", "[a]", false},
	    {"time -p make test", "time [make,test]", false},
	    {"time ! a | b", "time ! [a] | [b]", false},
	    {"echo ! time", "[echo,!,time]", false},
	    {"a ;; b", "[a]; [b]", true},
	    {"a &&", "[a]", true},
	    {"a | ", "[a]", true},
	    {"; a", "[a]", true},
	    {"a\\\nb", "[ab]", false},
	};
	RUN_CASES(cases);
}

static void test_shell__or_true_offsets(void **state)
{
	struct cg_sh_script s;
	const struct cg_sh_andor *ao;

	/*                0123456789abcd */
	expect_tree(&s, "pytest || true", "[pytest] || [true]", false);
	assert_int_equal(s.top->n, 1);
	ao = &s.top->items[0];
	assert_int_equal(ao->n, 2);
	assert_int_equal(ao->ops[0], CG_SH_OP_OR);
	assert_int_equal(ao->op_start[0], 7);
	assert_int_equal(ao->op_end[0], 9);
	assert_int_equal(ao->start, 0);
	assert_int_equal(ao->end, 14);
	assert_false(ao->background);
	assert_word(&cmd_at(s.top, 0, 0, 0)->words[0], "pytest", 0, 6);
	assert_int_equal(cmd_at(s.top, 0, 0, 0)->start, 0);
	assert_int_equal(cmd_at(s.top, 0, 0, 0)->end, 6);
	assert_word(&cmd_at(s.top, 0, 1, 0)->words[0], "true", 10, 14);
	assert_int_equal(cmd_at(s.top, 0, 1, 0)->start, 10);
	assert_int_equal(cmd_at(s.top, 0, 1, 0)->end, 14);
	cg_sh_release(&s);

	/*           0123456789012 */
	expect_tree(&s, " a && b || c", "[a] && [b] || [c]", false);
	ao = &s.top->items[0];
	assert_int_equal(ao->ops[0], CG_SH_OP_AND);
	assert_int_equal(ao->op_start[0], 3);
	assert_int_equal(ao->op_end[0], 5);
	assert_int_equal(ao->ops[1], CG_SH_OP_OR);
	assert_int_equal(ao->op_start[1], 8);
	assert_int_equal(ao->op_end[1], 10);
	assert_int_equal(ao->start, 1);
	assert_int_equal(ao->end, 12);
	cg_sh_release(&s);
}

static void test_shell__pipeline_with_redirection(void **state)
{
	struct cg_sh_script s;
	const struct cg_sh_pipeline *pl;
	const struct cg_sh_cmd *c;

	/*                0123456789012345678901234 */
	expect_tree(&s, "pytest 2>&1 | tee out.log",
		    "[pytest]~2>&1 | [tee,out.log]", false);
	pl = &s.top->items[0].pipes[0];
	assert_int_equal(pl->n, 2);
	assert_int_equal(pl->pipe_start[0], 12);
	assert_int_equal(pl->pipe_end[0], 13);
	c = &pl->cmds[0];
	assert_int_equal(c->nwords, 1);
	assert_int_equal(c->nredirs, 1);
	assert_int_equal(c->redirs[0].kind, CG_SH_REDIR_DUP_OUT);
	assert_int_equal(c->redirs[0].fd, 2);
	assert_int_equal(c->redirs[0].start, 7);
	assert_int_equal(c->redirs[0].end, 11);
	assert_word(&c->redirs[0].target, "1", 10, 11);
	assert_int_equal(c->start, 0);
	assert_int_equal(c->end, 11);
	assert_word(&pl->cmds[1].words[1], "out.log", 18, 25);
	cg_sh_release(&s);

	/*                0123456789 */
	expect_tree(&s, "a |& b", "[a] | [b]", false);
	pl = &s.top->items[0].pipes[0];
	assert_int_equal(pl->pipe_start[0], 2);
	assert_int_equal(pl->pipe_end[0], 4);
	cg_sh_release(&s);
}

static void test_shell__redirections(void **state)
{
	static const struct tree_case cases[] = {
	    {"cmd >out 2>>err <in", "[cmd]~>out~2>>err~<in", false},
	    {"cmd &>log", "[cmd]~&>log", false},
	    {"cmd &>>log", "[cmd]~&>>log", false},
	    {"cmd >|f <>g 3<&0 >&2", "[cmd]~>|f~<>g~3<&0~>&2", false},
	    {"cat <<<\"$x y\"", "[cat]~<<<$x y", false},
	    {"echo a>b c", "[echo,a,c]~>b", false},
	    {"echo 2 >f", "[echo,2]~>f", false},
	    {"echo x2>f", "[echo,x2]~>f", false},
	    {"exec {fd}>&-", "[exec]~>&-", false},
	    {">only", "[]~>only", false},
	    {"echo >", "[echo]~>", true},
	    {"diff <(sort a) <(sort b)", "[diff,<(sort a),<(sort b)]", false},
	    {"done < <(find . -name x)", "[]~<<(find . -name x)", true},
	    {"while read l; do :; done < <(ls)",
	     "WHILE([read,l])DO([:])~<<(ls)", false},
	    {"cmd > >(tee log)", "[cmd]~>>(tee log)", false},
	    {"cmd 2>&1>out 3>&1>&2", "[cmd]~2>&1~>out~3>&1~>&2", false},
	};
	RUN_CASES(cases);
}

static void test_shell__assignments(void **state)
{
	static const struct tree_case cases[] = {
	    {"FOO=1 BAR=\"x y\" pytest -q", "{FOO=1,BAR=x y}[pytest,-q]",
	     false},
	    {"A=1", "{A=1}[]", false},
	    {"A=1 B=2 >f", "{A=1,B=2}[]~>f", false},
	    {"X+=y a[3]=z cmd", "{X+=y,a[3]=z}[cmd]", false},
	    {"export A=1 B=2", "[export,A=1,B=2]", false},
	    {"cmd A=1", "[cmd,A=1]", false},
	    {"\"A\"=1 cmd", "[A=1,cmd]", false},
	    {"1A=x", "[1A=x]", false},
	    {"arr=(a \"b c\" $(d)) cmd", "{arr=(a \"b c\" $(d))}[cmd]", false},
	    {"arr=(\n  one # c\n  two\n)", "{arr=(\n  one # c\n  two\n)}[]",
	     false},
	    {"A=$(echo x | y) B=`z` run", "{A=$(echo x | y),B=`z`}[run]",
	     false},
	};
	struct cg_sh_script s;
	const struct cg_sh_cmd *c;

	RUN_CASES(cases);

	/*                012345678901234567890123 */
	expect_tree(&s, "FOO=1 BAR=\"x y\" pytest -q",
		    "{FOO=1,BAR=x y}[pytest,-q]", false);
	c = cmd_at(s.top, 0, 0, 0);
	assert_int_equal(c->nassigns, 2);
	assert_word(&c->assigns[0], "FOO=1", 0, 5);
	assert_word(&c->assigns[1], "BAR=x y", 6, 15);
	assert_true(c->assigns[1].quoted);
	assert_false(c->assigns[0].quoted);
	assert_word(&c->words[0], "pytest", 16, 22);
	assert_int_equal(c->start, 0);
	assert_int_equal(c->end, 25);
	cg_sh_release(&s);
}

static void test_shell__quotes_and_escapes(void **state)
{
	static const struct tree_case cases[] = {
	    {"echo \"a | b\" 'c;d' e\\ f", "[echo,a | b,c;d,e f]", false},
	    {"echo \"a\\\"b\\\\c\\$d\\x\"", "[echo,a\"b\\c$d\\x]", false},
	    {"echo 'a\\b'", "[echo,a\\b]", false},
	    {"echo a'b'\"c\"d", "[echo,abcd]", false},
	    {"echo $'a\\tb\\'c'", "[echo,a\tb'c]", false},
	    {"echo $\"hi\"", "[echo,hi]", false},
	    {"echo \"$x\" ${y:-\"z w\"} $1 $@", "[echo,$x,${y:-\"z w\"},$1,$@]",
	     false},
	    {"echo ${a:-${b:-}}} x", "[echo,${a:-${b:-}}},x]", false},
	    {"echo `a | b` c", "[echo,`a | b`,c]", false},
	    {"echo $((1 + (2*3))) x", "[echo,$((1 + (2*3))),x]", false},
	    {"echo $[1+2]", "[echo,$[1+2]]", false},
	    {"echo a#b # c || d", "[echo,a#b]", false},
	    {"echo \"multi\nline\" x", "[echo,multi\nline,x]", false},
	    {"echo \"a\\\nb\"", "[echo,ab]", false},
	    {"echo {a,b}.c *.py", "[echo,{a,b}.c,*.py]", false},
	    {"echo } { ]]", "[echo,},{,]]]", false},
	    {"echo 'open", "[echo,open]", true},
	    {"echo \"open", "[echo,open]", true},
	    {"echo `open", "[echo,`open]", true},
	    {"echo ${open", "[echo,${open]", true},
	    {"echo ${x:-{a} b", "[echo,${x:-{a},b]", false},
	    {"echo ${x:-{a}} b", "[echo,${x:-{a}},b]", false},
	    {"echo \\", "[echo,\\]", false},
	    {"echo $'\\x41\\101\\x-'", "[echo,AA\\x-]", false},
	    {"rm -rf !(keep|x) @(a|b)*.py", "[rm,-rf,!(keep|x),@(a|b)*.py]",
	     false},
	    {"[[ $f == *.@(yml|yaml) ]]", "[[[,$f,==,*.@(yml|yaml),]]]", false},
	};
	struct cg_sh_script s;
	const struct cg_sh_cmd *c;

	RUN_CASES(cases);

	/*                01234567890123456789012 */
	expect_tree(&s, "echo \"a | b\" 'c;d' e\\ f", "[echo,a | b,c;d,e f]",
		    false);
	c = cmd_at(s.top, 0, 0, 0);
	assert_int_equal(c->nwords, 4);
	assert_word(&c->words[1], "a | b", 5, 12);
	assert_word(&c->words[2], "c;d", 13, 18);
	assert_word(&c->words[3], "e f", 19, 23);
	assert_true(c->words[1].quoted);
	assert_true(c->words[3].quoted);
	assert_false(c->words[0].quoted);
	assert_false(c->words[1].expands);
	cg_sh_release(&s);
}

static void test_shell__command_substitution(void **state)
{
	static const struct tree_case cases[] = {
	    {"echo $(cmd | other) || true", "[echo,$(cmd | other)] || [true]",
	     false},
	    {"x=$(a; b) y", "{x=$(a; b)}[y]", false},
	    {"echo \"$(echo \")\" | x)\" z", "[echo,$(echo \")\" | x),z]",
	     false},
	    {"echo $(echo $(echo ')'))", "[echo,$(echo $(echo ')'))]", false},
	    {"echo $(case $x in a) echo 1;; esac) y",
	     "[echo,$(case $x in a) echo 1;; esac),y]", false},
	    {"echo $( # comment )\n  x )", "[echo,$( # comment )\n  x )]",
	     false},
	    {"echo $((cd x) | y)", "[echo,$((cd x) | y)]", false},
	    {"echo $(cat <<EOF\n)\nEOF\n) z", "[echo,$(cat <<EOF\n)\nEOF\n),z]",
	     false},
	    {"echo $(a", "[echo,$(a]", true},
	    {"echo $(fi) x", "[echo,$(fi),x]", true},
	};
	struct cg_sh_script s;
	const struct cg_sh_cmd *c;

	RUN_CASES(cases);

	/*                012345678901234567890 */
	expect_tree(&s, "v=\"pre$(a | b)\" run", "{v=pre$(a | b)}[run]", false);
	c = cmd_at(s.top, 0, 0, 0);
	assert_word(&c->assigns[0], "v=pre$(a | b)", 0, 15);
	assert_true(c->assigns[0].expands);
	assert_true(c->assigns[0].quoted);
	assert_word(&c->words[0], "run", 16, 19);
	cg_sh_release(&s);
}

static void test_shell__github_expressions(void **state)
{
	static const struct tree_case cases[] = {
	    {"echo ${{ a || b }} | tee x", "[echo,${{ a || b }}] | [tee,x]",
	     false},
	    {"echo ${{ github.event_name == 'push' || 'x' }}",
	     "[echo,${{ github.event_name == 'push' || 'x' }}]", false},
	    {"echo '${{ a == 'b' }}' c", "[echo,${{ a == 'b' }},c]", false},
	    {"echo \"${{ x && y }}\"; z", "[echo,${{ x && y }}]; [z]", false},
	    {"X=${{ secrets.A }} run", "{X=${{ secrets.A }}}[run]", false},
	    {"echo ${{ format('{0}}}', x) }} y",
	     "[echo,${{ format('{0}}}', x) }},y]", false},
	    {"echo ${{ a", "[echo,${{ a]", true},
	    {"echo pre${{ a }}post", "[echo,pre${{ a }}post]", false},
	    {"${{ matrix.cmd }} || true", "[${{ matrix.cmd }}] || [true]",
	     false},
	};
	struct cg_sh_script s;
	const struct cg_sh_cmd *c;

	RUN_CASES(cases);

	/*                012345678901234567890123 */
	expect_tree(&s, "echo x${{ a || b }}y z", "[echo,x${{ a || b }}y,z]",
		    false);
	c = cmd_at(s.top, 0, 0, 0);
	assert_int_equal(s.top->items[0].n, 1);
	assert_word(&c->words[1], "x${{ a || b }}y", 5, 20);
	assert_true(c->words[1].expands);
	assert_false(c->words[1].quoted);
	assert_word(&c->words[2], "z", 21, 22);
	cg_sh_release(&s);
}

static void test_shell__heredocs(void **state)
{
	static const struct tree_case cases[] = {
	    {"cat <<EOF\npytest || true\nEOF\necho done",
	     "[cat]~<<EOF; [echo,done]", false},
	    {"cat <<'EOF' | sh\n$x || y\nEOF\n", "[cat]~<<EOF | [sh]", false},
	    {"cat <<\"E\" >f; echo a\nbody\nE\nb",
	     "[cat]~<<E~>f; [echo,a]; [b]", false},
	    {"cat <<A <<-B\na\nA\n\tb\n\tB\nnext", "[cat]~<<A~<<-B; [next]",
	     false},
	    {"cat <<A; cat <<B\n1\nA\n2\nB\n", "[cat]~<<A; [cat]~<<B", false},
	    {"cat <<EOF\nno end || true\n", "[cat]~<<EOF", true},
	    {"cat <<EOF", "[cat]~<<EOF", true},
	    {"cat <<", "[cat]~<<", true},
	    {"f() {\ncat <<X\n}\nX\n}", "FUNC[f](GROUP{[cat]~<<X})", false},
	    {"cat <<EOF\nEOF", "[cat]~<<EOF", false},
	    {"cat <<E\\OF\nx\nEOF\n", "[cat]~<<EOF", false},
	};
	struct cg_sh_script s;
	const struct cg_sh_redir *r;

	RUN_CASES(cases);

	/* 0         1          2          3
	 * 0123456789 012345678901234 5678 9 */
	expect_tree(&s, "cat <<EOF\npytest || true\nEOF\necho done",
		    "[cat]~<<EOF; [echo,done]", false);
	r = &cmd_at(s.top, 0, 0, 0)->redirs[0];
	assert_int_equal(r->kind, CG_SH_REDIR_HEREDOC);
	assert_word(&r->target, "EOF", 6, 9);
	assert_false(r->target.quoted);
	assert_int_equal(r->body_start, 10);
	assert_int_equal(r->body_end, 25);
	assert_int_equal(cmd_at(s.top, 0, 0, 0)->end, 9);
	assert_word(&cmd_at(s.top, 1, 0, 0)->words[0], "echo", 29, 33);
	cg_sh_release(&s);

	/* two on one line, the first in a pipeline's first command
	 * 0          1           2
	 * 012345678901 2345678901 23 45 */
	expect_tree(&s, "cat <<A <<-B\na\nA\n\tb\n\tB\n", "[cat]~<<A~<<-B",
		    false);
	r = cmd_at(s.top, 0, 0, 0)->redirs;
	assert_int_equal(r[0].body_start, 13);
	assert_int_equal(r[0].body_end, 15);
	assert_int_equal(r[1].kind, CG_SH_REDIR_HEREDOC_STRIP);
	assert_int_equal(r[1].body_start, 17);
	assert_int_equal(r[1].body_end, 20);
	cg_sh_release(&s);

	/* the body is read after the pipeline's first command is done */
	expect_tree(&s, "cat <<'EOF' | sh\n$x || y\nEOF\n",
		    "[cat]~<<EOF | [sh]", false);
	r = &cmd_at(s.top, 0, 0, 0)->redirs[0];
	assert_true(r->target.quoted);
	assert_int_equal(r->body_start, 17);
	assert_int_equal(r->body_end, 25);
	cg_sh_release(&s);
}

static void test_shell__line_continuation(void **state)
{
	struct cg_sh_script s;
	const struct cg_sh_andor *ao;

	/*                0123456 7 8901234567 */
	expect_tree(&s, "pytest \\\n  -q || true", "[pytest,-q] || [true]",
		    false);
	ao = &s.top->items[0];
	assert_word(&ao->pipes[0].cmds[0].words[1], "-q", 11, 13);
	assert_int_equal(ao->op_start[0], 14);
	assert_int_equal(ao->op_end[0], 16);
	assert_int_equal(ao->start, 0);
	assert_int_equal(ao->end, 21);
	cg_sh_release(&s);

	/* inside a word, and splitting an operator */
	expect_tree(&s, "py\\\ntest |\\\n| true", "[pytest] || [true]", false);
	assert_word(&cmd_at(s.top, 0, 0, 0)->words[0], "pytest", 0, 8);
	cg_sh_release(&s);
}

static void test_shell__comments(void **state)
{
	static const struct tree_case cases[] = {
	    {"# pytest || true\nrun # || true\n#x", "[run]", false},
	    {"a # ${{ x }} | y\nb", "[a]; [b]", false},
	    {"echo '#' \"#\" \\# #c", "[echo,#,#,#]", false},
	    {"if a # then\nthen b; fi", "IF([a])THEN([b])", false},
	};
	RUN_CASES(cases);
}

static void test_shell__if_structure(void **state)
{
	static const struct tree_case cases[] = {
	    {"if a; then b; fi", "IF([a])THEN([b])", false},
	    {"if a; then b; else c; fi", "IF([a])THEN([b])ELSE([c])", false},
	    {"if a; then b; elif c; then d; elif e; then f; else g; fi",
	     "IF([a])THEN([b])ELSE(IF([c])THEN([d])ELSE(IF([e])THEN([f])"
	     "ELSE([g])))",
	     false},
	    {"if\n  a && b\nthen\n  c | d\n  e\nfi",
	     "IF([a] && [b])THEN([c] | [d]; [e])", false},
	    {"if [ -f x ]; then :; fi > log", "IF([[,-f,x,]])THEN([:])~>log",
	     false},
	    {"if a; then b", "IF([a])THEN([b])", true},
	    {"if a; b; fi", "IF([a]; [b])THEN()", true},
	    {"echo if then fi", "[echo,if,then,fi]", false},
	    {"\"if\" a", "[if,a]", false},
	    {"fi; a", "[a]", true},
	};
	struct cg_sh_script s;
	const struct cg_sh_cmd *c, *elif;

	RUN_CASES(cases);

	/*                0123456789012345678901234567890123456 */
	expect_tree(&s, "if a; then b; elif c; then d; else e; fi",
		    "IF([a])THEN([b])ELSE(IF([c])THEN([d])ELSE([e]))", false);
	c = cmd_at(s.top, 0, 0, 0);
	assert_int_equal(c->kind, CG_SH_IF);
	assert_int_equal(c->start, 0);
	assert_int_equal(c->end, 40);
	assert_int_equal(c->body[2]->n, 1);
	elif = cmd_at(c->body[2], 0, 0, 0);
	assert_int_equal(elif->kind, CG_SH_IF);
	assert_int_equal(elif->start, 14);
	assert_int_equal(elif->end, 40);
	assert_word(&cmd_at(elif->body[2], 0, 0, 0)->words[0], "e", 35, 36);
	cg_sh_release(&s);
}

static void test_shell__loops_and_case(void **state)
{
	static const struct tree_case cases[] = {
	    {"while true; do pytest || break; done",
	     "WHILE([true])DO([pytest] || [break])", false},
	    {"until pg_isready; do sleep 1; done",
	     "UNTIL([pg_isready])DO([sleep,1])", false},
	    {"for f in a \"b c\" $d; do echo $f; done",
	     "FOR[f,a,b c,$d]DO([echo,$f])", false},
	    {"for f\ndo x; done", "FOR[f]DO([x])", false},
	    {"for f in; do x; done", "FOR[f]DO([x])", false},
	    {"for ((i=0; i<3; i++)); do x; done",
	     "FOR[((,i=0; i<3; i++,))]DO([x])", false},
	    {"for x in a b; { y; }", "FOR[x,a,b]DO([y])", false},
	    {"select x in a b; do break; done", "FOR[x,a,b]DO([break])", false},
	    {"for i in 1 2\ndo\n  done=1\ndone", "FOR[i,1,2]DO({done=1}[])",
	     false},
	    {"case $1 in\n  a|b) x;;\n  (c) y ;&\n  *) z ;;& \nesac",
	     "CASE[$1](a|b:[x])(c:[y])(*:[z])", false},
	    {"case x in esac", "CASE[x]", false},
	    {"case x in a) ;; esac", "CASE[x](a:)", false},
	    {"case x in a) b\nesac", "CASE[x](a:[b])", false},
	    {"case \"$v\" in push) git push || true;; esac",
	     "CASE[$v](push:[git,push] || [true])", false},
	    {"case x in a) b;;", "CASE[x](a:[b])", true},
	    {"while a; do b", "WHILE([a])DO([b])", true},
	    {"for", "FOR[]DO()", true},
	};
	struct cg_sh_script s;
	const struct cg_sh_cmd *c;

	RUN_CASES(cases);

	/*                01234567890123456789012345678901 */
	expect_tree(&s, "case $x in a) b;; esac >out", "CASE[$x](a:[b])~>out",
		    false);
	c = cmd_at(s.top, 0, 0, 0);
	assert_word(&c->words[0], "$x", 5, 7);
	assert_word(&c->arm_patterns[0][0], "a", 11, 12);
	assert_int_equal(c->start, 0);
	assert_int_equal(c->end, 27);
	cg_sh_release(&s);
}

static void test_shell__functions(void **state)
{
	static const struct tree_case cases[] = {
	    {"f() { pytest || true; }", "FUNC[f](GROUP{[pytest] || [true]})",
	     false},
	    {"f ()\n{\n  a\n}\nf", "FUNC[f](GROUP{[a]}); [f]", false},
	    {"function g { a; }", "FUNC[g](GROUP{[a]})", false},
	    {"function g() ( a )", "FUNC[g](SUB([a]))", false},
	    {"f() { a; } > log", "FUNC[f](GROUP{[a]}~>log)", false},
	    {"my-fn.x() { :; }", "FUNC[my-fn.x](GROUP{[:]})", false},
	    {"f()", "FUNC[f]()", true},
	};
	struct cg_sh_script s;
	const struct cg_sh_cmd *c;

	RUN_CASES(cases);

	/*                0123456789012345678901 */
	expect_tree(&s, "f() { a; }", "FUNC[f](GROUP{[a]})", false);
	c = cmd_at(s.top, 0, 0, 0);
	assert_int_equal(c->kind, CG_SH_FUNCDEF);
	assert_word(&c->words[0], "f", 0, 1);
	assert_int_equal(c->start, 0);
	assert_int_equal(c->end, 10);
	assert_int_equal(cmd_at(c->body[1], 0, 0, 0)->kind, CG_SH_GROUP);
	assert_int_equal(cmd_at(c->body[1], 0, 0, 0)->start, 4);
	cg_sh_release(&s);
}

static void test_shell__groups_and_subshells(void **state)
{
	static const struct tree_case cases[] = {
	    {"pytest || { echo x; exit 1; }",
	     "[pytest] || GROUP{[echo,x]; [exit,1]}", false},
	    {"(cd sub && make) || true", "SUB([cd,sub] && [make]) || [true]",
	     false},
	    {"( a ) | b", "SUB([a]) | [b]", false},
	    {"{ a\n b\n} 2>&1 | tee l", "GROUP{[a]; [b]}~2>&1 | [tee,l]",
	     false},
	    {"( (a) )", "SUB(SUB([a]))", false},
	    {"((a) )", "SUB(SUB([a]))", false},
	    {"{ a; ", "GROUP{[a]}", true},
	    {"(a", "SUB([a])", true},
	    {"a )", "[a]", true},
	    {"{a; }", "[{a]", true},
	};
	struct cg_sh_script s;
	const struct cg_sh_cmd *c;

	RUN_CASES(cases);

	/*                01234567890123456789012345678 */
	expect_tree(&s, "pytest || { echo x; exit 1; }",
		    "[pytest] || GROUP{[echo,x]; [exit,1]}", false);
	c = cmd_at(s.top, 0, 1, 0);
	assert_int_equal(c->kind, CG_SH_GROUP);
	assert_int_equal(c->start, 10);
	assert_int_equal(c->end, 29);
	assert_int_equal(s.top->items[0].end, 29);
	assert_int_equal(c->body[0]->items[1].start, 20);
	assert_int_equal(c->body[0]->items[1].end, 26);
	cg_sh_release(&s);
}

static void test_shell__background(void **state)
{
	static const struct tree_case cases[] = {
	    {"nohup python -m app.worker &\ncurl x",
	     "[nohup,python,-m,app.worker] &; [curl,x]", false},
	    {"a & b &", "[a] &; [b] &", false},
	    {"a && b & c", "[a] && [b] &; [c]", false},
	    {"a &> log &", "[a]~&>log &", false},
	};
	struct cg_sh_script s;
	const struct cg_sh_andor *ao;

	RUN_CASES(cases);

	/*                01234567890123456789012345678 */
	expect_tree(&s, "nohup python -m app.worker &",
		    "[nohup,python,-m,app.worker] &", false);
	ao = &s.top->items[0];
	assert_true(ao->background);
	assert_int_equal(ao->start, 0);
	assert_int_equal(ao->end, 26);
	assert_int_equal(cmd_at(s.top, 0, 0, 0)->end, 26);
	cg_sh_release(&s);
}

static void test_shell__conditional_and_arithmetic(void **state)
{
	static const struct tree_case cases[] = {
	    {"[[ a && b ]]", "[[[,a,&&,b,]]]", false},
	    {"[[ -n $x || ( -f y ) ]] && z", "[[[,-n,$x,||,(,-f,y,),]]] && [z]",
	     false},
	    {"[[ $v =~ ^(a| b)c$ ]] || x", "[[[,$v,=~,^(a| b)c$,]]] || [x]",
	     false},
	    {"[[ a<b ]]", "[[[,a,<,b,]]]", false},
	    {"[[ a &&\n b ]]", "[[[,a,&&,b,]]]", false},
	    {"[[ a ]] >/dev/null; b", "[[[,a,]]]~>/dev/null; [b]", false},
	    {"[[ a\nb", "[[[,a]; [b]", true},
	    {"echo [[ a && b", "[echo,[[,a] && [b]", false},
	    {"(( i++ ))", "[((, i++ ,))]", false},
	    {"((x = (1+2) * 3)) || true", "[((,x = (1+2) * 3,))] || [true]",
	     false},
	    {"((a)) && ((b))", "[((,a,))] && [((,b,))]", false},
	};
	struct cg_sh_script s;
	const struct cg_sh_cmd *c;

	RUN_CASES(cases);

	/*                0123456789012 */
	expect_tree(&s, "[[ a && b ]]", "[[[,a,&&,b,]]]", false);
	assert_int_equal(s.top->items[0].n, 1);
	c = cmd_at(s.top, 0, 0, 0);
	assert_word(&c->words[2], "&&", 5, 7);
	assert_word(&c->words[4], "]]", 10, 12);
	assert_int_equal(c->end, 12);
	cg_sh_release(&s);

	/*                0123456789 */
	expect_tree(&s, "(( i++ ))", "[((, i++ ,))]", false);
	c = cmd_at(s.top, 0, 0, 0);
	assert_int_equal(c->kind, CG_SH_SIMPLE);
	assert_word(&c->words[0], "((", 0, 2);
	assert_word(&c->words[1], " i++ ", 2, 7);
	assert_word(&c->words[2], "))", 7, 9);
	assert_int_equal(c->end, 9);
	cg_sh_release(&s);
}

/* Where dash's parser stops: the first bash-only construct (each case was
 * run through dash 0.5.12: a syntax error there, or, not exact, the line
 * read as other commands); none in quotes, here-documents or comments. */
static void test_shell__dash_stop(void **state)
{
	static const struct {
		const char *text;
		long stop; /* -1: none */
		bool exact;
	} cases[] = {
	    {"pytest | tee log", -1, false},
	    {"pytest > >(tee log) 2>&1", 9, true},
	    {"echo a\ndiff <(a) <(b)", 12, true},
	    {"x=(1 2)", 2, true},
	    {"local -a x=(1 2)", 11, true},
	    {"pytest |& tee log", 7, true},
	    {"function f() { a; }", 0, true},
	    {"function f { a; }; f", 0, true},
	    {"function f {\n a\n}", 0, false},
	    {"f() { cat <(a); }", 10, true},
	    {"for ((i=0; i<2; i++)); do a; done", 0, true},
	    {"select x in a b; do a; done", 0, false},
	    {"case x in x) a;& y) b;; esac", 14, true},
	    {"case x in x) a;;& y) b;; esac", 14, true},
	    {"echo \"$(cat <(a))\"", 12, true},
	    {"[[ $x =~ ^(a|b)$ ]]", 10, true},
	    {"ls !(x)", 4, true},
	    {"echo '<(a)' \"x=(1)\"", -1, false},
	    {"cat <<'EOF'\n<(a)\nEOF", -1, false},
	    {"a # x=(1) <(b)", -1, false},
	    {"bash -c 'diff <(a) <(b)'", -1, false},
	    {"[[ -f x ]] && (( n++ ))", -1, false},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cg_sh_script s;
		long got;

		assert_int_equal(parse(&s, cases[i].text), 0);
		got = s.dash_stop == CG_SH_NO_STOP ? -1 : (long)s.dash_stop;
		if (got != cases[i].stop ||
		    (got >= 0 && s.dash_exact != cases[i].exact))
			print_error("script: %s\n  dash_stop %ld exact %d\n",
				    cases[i].text, got, s.dash_exact);
		assert_int_equal(got, cases[i].stop);
		if (got >= 0)
			assert_int_equal(s.dash_exact, cases[i].exact);
		cg_sh_release(&s);
	}
}

/* Expansions dash refuses when the command runs ("Bad substitution"),
 * each run through dash 0.5.12 (`x=abc; y="EXPR"`: exit 2 or 0). */
static void test_shell__dash_bad_substitution(void **state)
{
	static const char *const bad[] = {
	    "${x//a/b}", "${x/a/b}", "${x:1}",	 "${x:1:2}", "${x: -1}",
	    "${x^^}",	 "${x,,}",   "${x^}",	 "${!x}",    "${!x*}",
	    "${x@Q}",	 "${a[0]}",  "${#a[@]}", "${#x:1}",
	};
	static const char *const good[] = {
	    "${x:-d}", "${x:=d}", "${x:+d}", "${x-d}", "${x%a}", "${x%%a}",
	    "${x#a}",  "${x##a}", "${#x}",   "${#}",   "${1}",	 "${10}",
	    "${@}",    "${*}",	  "${?}",    "${$}",   "${!}",	 "${-}",
	    "${0}",    "${x?m}",  "${x:?m}", "$x",
	};
	struct cg_sh_script sq;
	(void)state;
	for (size_t k = 0; k < 2; k++) {
		const char *const *t = k ? good : bad;
		size_t n = k ? sizeof(good) / sizeof(*good)
			     : sizeof(bad) / sizeof(*bad);

		for (size_t i = 0; i < n; i++) {
			struct cg_sh_script s;
			char text[64];
			const struct cg_sh_cmd *c;

			snprintf(text, sizeof(text), "echo \"%s\"", t[i]);
			assert_int_equal(parse(&s, text), 0);
			c = &s.top->items[0].pipes[0].cmds[0];
			assert_int_equal(c->nwords, 2);
			if (c->words[1].dash_bad != !k)
				print_error("%s: dash_bad %d\n", text,
					    c->words[1].dash_bad);
			assert_int_equal(c->words[1].dash_bad, !k);
			cg_sh_release(&s);
		}
	}
	/* in single quotes nothing expands */
	assert_int_equal(parse(&sq, "echo '${x//a/b}'"), 0);
	assert_false(sq.top->items[0].pipes[0].cmds[0].words[1].dash_bad);
	cg_sh_release(&sq);
}

/* ------------------------------------------------------------ robustness */

static void test_shell__unterminated_is_incomplete(void **state)
{
	static const char *const scripts[] = {
	    "echo 'x", "echo \"x", "cat <<EOF\nx", "if a; then", "while a; do",
	    "{ a",     "( a",	   "case x in",	   "echo $(a",	 "echo ${a",
	    "echo `a", "a ||",	   "echo ${{ x",   "for x in a", "[[ a",
	    "f() ",    "arr=(a b", "echo $[1",	   "function",
	};
	for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
		struct cg_sh_script s;

		assert_int_equal(parse(&s, scripts[i]), 0);
		if (!s.incomplete)
			print_error("not incomplete: %s\n", scripts[i]);
		assert_true(s.incomplete);
		cg_sh_release(&s);
	}
}

static char *repeat(const char *unit, size_t times, const char *tail)
{
	size_t ul = strlen(unit), tl = strlen(tail);
	char *s = malloc(ul * times + tl + 1);

	assert_non_null(s);
	for (size_t i = 0; i < times; i++)
		memcpy(s + i * ul, unit, ul);
	memcpy(s + ul * times, tail, tl + 1);
	return s;
}

static void test_shell__deep_nesting_is_limited(void **state)
{
	static const char *const units[] = {"(",    "( ", "$(",	   "{ ",  "if ",
					    "\"$(", "${", "$( ((", "f() "};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		char *text = repeat(units[i], 100000, "x");
		struct cg_sh_script s;
		int err = cg_sh_parse(&s, text, strlen(text), 64);

		if (err != CG_ELIMIT)
			print_error("unit '%s': %d\n", units[i], err);
		assert_int_equal(err, CG_ELIMIT);
		assert_non_null(s.top);
		assert_int_equal(s.top->n, 0);
		cg_sh_release(&s);
		free(text);
	}

	/* within the limit it parses, and nothing of the failed parses
	 * above is left in it */
	char *ok = repeat("( ", 50, "x");
	char *close = repeat(")", 50, "");
	size_t n = strlen(ok);
	char *both = malloc(n + strlen(close) + 1);
	struct cg_sh_script s;
	const struct cg_sh_cmd *c;

	memcpy(both, ok, n);
	memcpy(both + n, close, strlen(close) + 1);
	assert_int_equal(cg_sh_parse(&s, both, strlen(both), 64), 0);
	assert_false(s.incomplete);
	assert_int_equal(s.top->n, 1);
	c = cmd_at(s.top, 0, 0, 0);
	for (size_t depth = 0; depth < 50; depth++) {
		assert_int_equal(c->kind, CG_SH_SUBSHELL);
		assert_int_equal(c->start, 2 * depth);
		assert_int_equal(c->body[0]->n, 1);
		c = cmd_at(c->body[0], 0, 0, 0);
	}
	assert_int_equal(c->kind, CG_SH_SIMPLE);
	assert_int_equal(c->nwords, 1);
	assert_string_equal(c->words[0].text, "x");
	cg_sh_release(&s);
	free(ok);
	free(close);
	free(both);
}

/*
 * 5 MiB on one line, in shapes that would expose a rescan (unterminated
 * quotes and expansions, nesting bombs) and in realistic ones: each parses
 * to a tree. A quadratic scan would take hours (ctest's timeout ends it);
 * the times themselves are printed by `make bench`.
 */
static void test_shell__long_line_is_linear(void **state)
{
	static const struct {
		const char *unit;
	} shapes[] = {
	    {"x"},
	    {"'"},
	    {"\""},
	    {"`"},
	    {"${{ '"},
	    {"${{ a || b }} "},
	    {"$(("},
	    {"(("},
	    {"echo \"a | b\" "},
	    {"$(a) "},
	    {"pytest -q || true && "},
	};
	const size_t target = 5u << 20;

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const char *unit = shapes[i].unit;
		char *text = repeat(unit, target / strlen(unit), " end");
		struct cg_sh_script s;
		/* how fast is `make bench`'s business; here: it parses */
		int err = cg_sh_parse(&s, text, strlen(text), 0);

		assert_true(err == 0 || err == CG_ELIMIT);
		assert_non_null(s.top);
		cg_sh_release(&s);
		free(text);
	}
}

/* Inputs the fuzzer found; each goes through the fuzz target's checks. */
static void test_shell__fuzz_regressions(void **state)
{
	/* a heredoc inside a function body whose `()` is broken; the body
	 * lies after its command */
	static const char heredoc[] = "wh(\245\000z<<-\000\n\n\nt$<\264\t\0\0";
	/* CG_ELIMIT deep inside a word: no half-built nodes are kept */
	static const char deep[] = "PYghi(N(((while((((AR=(=R=("
				   "\000\325\236\230\227\226\223\322\215\333"
				   "{$(coNN\000\026N((((((((((((((((((i((i((";
	struct cg_sh_script s;

	LLVMFuzzerTestOneInput((const uint8_t *)heredoc, sizeof(heredoc) - 1);
	LLVMFuzzerTestOneInput((const uint8_t *)deep, sizeof(deep) - 1);
	assert_int_equal(cg_sh_parse(&s, deep, sizeof(deep) - 1, 32),
			 CG_ELIMIT);
	assert_int_equal(s.top->n, 0);
	cg_sh_release(&s);
}

/* cg_sh_subst_end: the `)` that closes `$(`, or 0; also for a `$(` that
 * ends the text (fuzz_check found it releasing a tree it never parsed) */
static void test_shell__subst_end(void **state)
{
	static const char t[] = "echo $(ls -l) x";

	(void)state;
	assert_int_equal(cg_sh_subst_end(t, strlen(t), 7), 12);
	assert_int_equal(cg_sh_subst_end(t, 12, 7), 0); /* not closed */
	assert_int_equal(cg_sh_subst_end("echo $(", 7, 7), 0);
	assert_int_equal(cg_sh_subst_end("a $(", 4, 9), 0);
}

static void test_shell__arbitrary_bytes(void **state)
{
	/* no NUL terminator is read; NUL bytes are word bytes */
	const char text[] = {'e', 'c',	'h', 'o',  ' ',
			     'a', '\0', 'b', '\'', 'x'};
	struct cg_sh_script s;
	const struct cg_sh_cmd *c;
	char *copy = malloc(9);

	memcpy(copy, text, 9); /* ends inside the quote, unterminated */
	assert_int_equal(cg_sh_parse(&s, copy, 9, 0), 0);
	assert_true(s.incomplete);
	c = cmd_at(s.top, 0, 0, 0);
	assert_int_equal(c->words[1].len, 3);
	assert_memory_equal(c->words[1].text, "a\0b", 3);
	cg_sh_release(&s);
	free(copy);

	assert_int_equal(cg_sh_parse(&s, NULL, 0, 0), 0);
	assert_int_equal(s.top->n, 0);
	cg_sh_release(&s);
	cg_sh_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shell__lists_and_operators),
	    cmocka_unit_test(test_shell__or_true_offsets),
	    cmocka_unit_test(test_shell__pipeline_with_redirection),
	    cmocka_unit_test(test_shell__redirections),
	    cmocka_unit_test(test_shell__assignments),
	    cmocka_unit_test(test_shell__quotes_and_escapes),
	    cmocka_unit_test(test_shell__command_substitution),
	    cmocka_unit_test(test_shell__github_expressions),
	    cmocka_unit_test(test_shell__heredocs),
	    cmocka_unit_test(test_shell__line_continuation),
	    cmocka_unit_test(test_shell__comments),
	    cmocka_unit_test(test_shell__if_structure),
	    cmocka_unit_test(test_shell__loops_and_case),
	    cmocka_unit_test(test_shell__functions),
	    cmocka_unit_test(test_shell__groups_and_subshells),
	    cmocka_unit_test(test_shell__background),
	    cmocka_unit_test(test_shell__conditional_and_arithmetic),
	    cmocka_unit_test(test_shell__unterminated_is_incomplete),
	    cmocka_unit_test(test_shell__dash_stop),
	    cmocka_unit_test(test_shell__dash_bad_substitution),
	    cmocka_unit_test(test_shell__deep_nesting_is_limited),
	    cmocka_unit_test(test_shell__long_line_is_linear),
	    cmocka_unit_test(test_shell__fuzz_regressions),
	    cmocka_unit_test(test_shell__subst_end),
	    cmocka_unit_test(test_shell__arbitrary_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
