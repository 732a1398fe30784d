/*
 * Unit tests for src/load/python_module.c: the structure over the tokens.
 * Each case renders the rows of one kind as text and compares it whole,
 * so a row too many or too few fails as surely as a wrong one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "load/load.h"

struct built {
	struct cg_py_tokens toks;
	struct cg_py_module m;
	struct cg_arena arena;
};

static void build(struct built *b, const char *text)
{
	cg_arena_init(&b->arena);
	assert_int_equal(cg_py_tokenize(&b->toks, text, strlen(text)), 0);
	assert_int_equal(
	    cg_py_module_build(&b->m, &b->arena, text, strlen(text), &b->toks),
	    0);
}

static void release(struct built *b)
{
	cg_py_module_release(&b->m);
	cg_py_tokens_release(&b->toks);
	cg_arena_release(&b->arena);
}

static const char *def_name(const struct cg_py_module *m, uint32_t d)
{
	return d == CG_PY_NONE ? "-" : m->defs[d].name;
}

static const char *const kinds[] = {"def", "async def", "lambda", "class"};

/* One line per def: `kind name@line:col parent body=Lfirst-Llast`. */
static char *render_defs(const struct built *b)
{
	struct cg_buf out = CG_BUF_INIT;
	const struct cg_py_module *m = &b->m;

	for (size_t i = 0; i < m->ndefs; i++) {
		const struct cg_py_def *d = &m->defs[i];
		uint32_t last = d->body_end > d->body_first ? d->body_end - 1
							    : d->body_first;

		if (last >= b->toks.n)
			last = (uint32_t)b->toks.n - 1;
		cg_buf_addf(&out, "%s %s@%u:%u in %s body=L%u-L%u",
			    kinds[d->kind], d->name, d->pos.line, d->pos.col,
			    def_name(m, d->parent),
			    b->toks
				.toks[d->body_first < b->toks.n ? d->body_first
								: b->toks.n - 1]
				.line,
			    b->toks.toks[last].line);
		for (uint32_t k = 0; k < d->ndecorators; k++) {
			const struct cg_py_decorator *dec =
			    &m->decorators[d->first_decorator + k];

			assert_int_equal(dec->def, i);
			cg_buf_addf(&out, " @%s%s", dec->text,
				    dec->call != CG_PY_NONE ? "()" : "");
		}
		for (uint32_t k = 0; k < d->nbases; k++)
			cg_buf_addf(&out, " base=%s",
				    m->args[d->first_base + k].text);
		cg_buf_addch(&out, '\n');
	}
	return cg_buf_detach(&out, NULL);
}

static void render_args(struct cg_buf *out, const struct cg_py_module *m,
			uint32_t first, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++) {
		const struct cg_py_arg *a = &m->args[first + k];

		cg_buf_addf(out, "%s%s%s%s%s", k ? ", " : "",
			    a->star == 1   ? "*"
			    : a->star == 2 ? "**"
					   : "",
			    a->keyword ? a->keyword : "", a->keyword ? "=" : "",
			    a->text);
		if (a->value)
			cg_buf_addf(out, "<%s>", a->value);
		if (a->call != CG_PY_NONE)
			cg_buf_addf(out, "<call %s>", m->calls[a->call].callee);
	}
}

/* One line per call: `[await ]callee(args)@line:col in func`. */
static char *render_calls(const struct built *b)
{
	struct cg_buf out = CG_BUF_INIT;
	const struct cg_py_module *m = &b->m;

	for (size_t i = 0; i < m->ncalls; i++) {
		const struct cg_py_call *c = &m->calls[i];

		cg_buf_addf(&out, "%s%s(", c->awaited ? "await " : "",
			    c->callee);
		render_args(&out, m, c->first_arg, c->nargs);
		cg_buf_addf(&out, ")@%u:%u-%u:%u in %s", c->pos.line,
			    c->pos.col, c->pos.end_line, c->pos.end_col,
			    def_name(m, c->func));
		if (!c->dotted)
			cg_buf_addstr(&out, " undotted");
		cg_buf_addf(&out, " [%s|%s]\n", c->receiver ? c->receiver : "",
			    c->method ? c->method : "");
	}
	return cg_buf_detach(&out, NULL);
}

static void assert_render(char *got, const char *want)
{
	if (strcmp(got, want)) {
		fprintf(stderr, "got:\n%s\nwant:\n%s\n", got, want);
		fail();
	}
	free(got);
}

static void test_python_module__defs(void **state)
{
	struct built b;

	(void)state;
	build(&b, "def a(x=f()):\n"
		  "    def b():\n"
		  "        return 1\n"
		  "    g = lambda y, z=h(): y + z\n"
		  "    return g\n"
		  "async def c(): await d()\n"
		  "class E(Base, metaclass=M):\n"
		  "    async def m(self):\n"
		  "        pass\n"
		  "\n"
		  "x = 1\n");
	assert_render(render_defs(&b),
		      "def a@1:5 in - body=L2-L5\n"
		      "def b@2:9 in a body=L3-L3\n"
		      "lambda <lambda>@4:9 in a body=L4-L4\n"
		      "async def c@6:11 in - body=L6-L6\n"
		      "class E@7:7 in - body=L8-L9 base=Base base=M\n"
		      "async def m@8:15 in E body=L9-L9\n");
	/* defaults are the outer scope's: f() at module level, h() in a */
	assert_render(render_calls(&b), "f()@1:9-1:12 in - [|f]\n"
					"h()@4:21-4:24 in a [|h]\n"
					"await d()@6:22-6:25 in c [|d]\n");
	assert_false(b.m.truncated);
	release(&b);
}

static void test_python_module__params(void **state)
{
	struct built b;
	struct cg_buf out = CG_BUF_INIT;

	(void)state;
	build(&b, "def f(r: redis.Redis, n=1, /, *args, k: dict[str, int] = "
		  "{}, **kw): pass\n"
		  "async def g(self, *, x, c: 'Client'=None): pass\n");
	for (size_t d = 0; d < b.m.ndefs; d++)
		for (uint32_t i = 0; i < b.m.defs[d].nparams; i++) {
			const struct cg_py_param *p =
			    &b.m.params[b.m.defs[d].first_param + i];

			cg_buf_addf(&out, "%s%s%s:%s=%s@%u ",
				    p->star == 1   ? "*"
				    : p->star == 2 ? "**"
						   : "",
				    b.m.defs[d].name, p->name,
				    p->annotation ? p->annotation : "",
				    p->default_text ? p->default_text : "",
				    p->pos.col);
		}
	assert_render(cg_buf_detach(&out, NULL),
		      "fr:redis.Redis=@7 fn:=1@23 *fargs:=@32 "
		      "fk:dict[str,int]={}@38 **fkw:=@64 "
		      "gself:=@13 gx:=@22 gc:'Client'=None@25 ");
	release(&b);
}

static void test_python_module__decorators(void **state)
{
	struct built b;

	(void)state;
	build(&b, "@app.get(\"/health\")\n"
		  "@functools.cache\n"
		  "# a comment between\n"
		  "def health():\n"
		  "    return {}\n"
		  "@dataclass(frozen=True)\n"
		  "class S:\n"
		  "    x: int\n"
		  "y = 2\n"
		  "@broken\n"
		  "y = 3\n");
	assert_render(
	    render_defs(&b),
	    "def health@4:5 in - body=L5-L5 @app.get(\"/health\")() "
	    "@functools.cache\n"
	    "class S@7:7 in - body=L8-L8 @dataclass(frozen=True)()\n");
	assert_render(render_calls(&b),
		      "app.get(\"/health\"</health>)@1:2-1:20 in - [app|get]\n"
		      "dataclass(frozen=True)@6:2-6:24 in - [|dataclass]\n");
	release(&b);
}

static void test_python_module__calls(void **state)
{
	struct built b;

	(void)state;
	build(&b, "async def f(self):\n"
		  "    n = await self.redis.zcard( key )\n"
		  "    r.pipeline().zadd(k, {a: 1}, *xs, **kw)\n"
		  "    print(f'started {n}', 'x' \"y\", sep='', flush=True)\n"
		  "    g(lambda a, b: a, 2)(3)\n"
		  "    (a or b).c(\n"
		  "        # comment\n"
		  "        d,\n"
		  "    )\n"
		  "    x[0].y(z)\n"
		  "    if (p): return\n"
		  "    not_a_call = None\n");
	assert_render(
	    render_calls(&b),
	    "await self.redis.zcard(key)@2:15-2:38 in f [self.redis|zcard]\n"
	    "r.pipeline()@3:5-3:17 in f [r|pipeline]\n"
	    "r.pipeline().zadd(k, {a:1}, *xs, **kw)@3:5-3:44 in f undotted "
	    "[r.pipeline()|zadd]\n"
	    "print(f'started {n}'<started {n}>, 'x' \"y\"<xy>, sep=''<>, "
	    "flush=True)@4:5-4:55 in f [|print]\n"
	    "g(lambda a,b:a, 2)@5:5-5:25 in f [|g]\n"
	    "g(lambda a,b:a,2)(3)@5:5-5:28 in f undotted [|]\n"
	    "(a or b).c(d)@6:5-9:6 in f undotted [(a or b)|c]\n"
	    "x[0].y(z)@10:5-10:14 in f undotted [x[0]|y]\n");
	release(&b);
	/* an argument that is one call points at it */
	build(&b, "f(g(1), h=await k())\n");
	assert_render(render_calls(&b),
		      "f(g(1)<call g>, h=await k()<call k>)@1:1-1:21 in - "
		      "[|f]\n"
		      "g(1)@1:3-1:7 in - [|g]\n"
		      "await k()@1:17-1:20 in - [|k]\n");
	release(&b);
}

static void test_python_module__lambdas(void **state)
{
	struct built b;

	(void)state;
	/* a lambda's body ends at a comma, a closing bracket, `for` */
	build(&b, "async def f():\n"
		  "    g(lambda: s(1), t(2))\n"
		  "    [lambda: u(x) for x in v()]\n"
		  "    h = lambda: lambda: w()\n"
		  "    d = {1: lambda: y(), 2: z()}\n");
	assert_render(render_calls(&b),
		      "g(lambda:s(1), t(2)<call t>)@2:5-2:26 in f [|g]\n"
		      "s(1)@2:15-2:19 in <lambda> [|s]\n"
		      "t(2)@2:21-2:25 in f [|t]\n"
		      "u(x)@3:14-3:18 in <lambda> [|u]\n"
		      "v()@3:28-3:31 in f [|v]\n"
		      "w()@4:25-4:28 in <lambda> [|w]\n"
		      "y()@5:21-5:24 in <lambda> [|y]\n"
		      "z()@5:29-5:32 in f [|z]\n");
	assert_int_equal(b.m.ndefs, 6);
	assert_int_equal(b.m.defs[4].parent, 3); /* lambda in lambda */
	release(&b);
}

static void test_python_module__with_try(void **state)
{
	struct built b;
	const struct cg_py_with *w;

	(void)state;
	build(&b, "async def f():\n"
		  "    async with r.pipeline(transaction=True) as pipe, lock:\n"
		  "        pipe.watch(k)\n"
		  "    with open(p) as fh: fh.read()\n"
		  "    try:\n"
		  "        a()\n"
		  "    except E as e:\n"
		  "        b()\n"
		  "c()\n");
	assert_int_equal(b.m.nwiths, 3);
	w = &b.m.withs[0];
	assert_true(w->is_async);
	assert_string_equal(w->expr, "r.pipeline(transaction=True)");
	assert_string_equal(w->as_name, "pipe");
	assert_string_equal(b.m.calls[w->call].callee, "r.pipeline");
	assert_int_equal(w->func, 0);
	assert_int_equal(b.toks.toks[w->body_first].line, 3);
	/* just past the body's NEWLINE: the DEDENT */
	assert_int_equal(b.toks.toks[w->body_end].line, 4);
	w = &b.m.withs[1];
	assert_string_equal(w->expr, "lock");
	assert_null(w->as_name);
	assert_int_equal(w->call, CG_PY_NONE);
	w = &b.m.withs[2];
	assert_false(w->is_async);
	assert_string_equal(w->as_name, "fh");
	assert_int_equal(b.toks.toks[w->body_first].line, 4); /* inline */
	assert_int_equal(b.m.ntries, 1);
	assert_int_equal(b.m.tries[0].pos.line, 5);
	assert_int_equal(b.toks.toks[b.m.tries[0].body_first].line, 6);
	assert_int_equal(b.toks.toks[b.m.tries[0].body_end].line, 7);
	assert_int_equal(b.m.tries[0].func, 0);
	/* c() is at module level again */
	assert_int_equal(b.m.calls[b.m.ncalls - 1].func, CG_PY_NONE);
	release(&b);
}

static void test_python_module__strings(void **state)
{
	static const struct {
		const char *lit;
		unsigned flags;
		const char *value;
	} cases[] = {
	    {"'a\\nb'", 0, "a\nb"},
	    {"\"\\x41\\101\\\"\"", 0, "AA\""},
	    {"r'a\\nb'", CG_PY_STR_RAW, "a\\nb"},
	    {"rb'\\d'", CG_PY_STR_RAW | CG_PY_STR_BYTES, "\\d"},
	    {"Br'\\d'", CG_PY_STR_RAW | CG_PY_STR_BYTES, "\\d"},
	    {"b'x'", CG_PY_STR_BYTES, "x"},
	    {"u'x'", CG_PY_STR_UNICODE, "x"},
	    {"f'{a!r:>{w}}'", CG_PY_STR_F, "{a!r:>{w}}"},
	    {"Fr'{a}\\n'", CG_PY_STR_F | CG_PY_STR_RAW, "{a}\\n"},
	    {"'''one\ntwo'''", CG_PY_STR_TRIPLE, "one\ntwo"},
	    {"\"\"\"a\\\nb\"\"\"", CG_PY_STR_TRIPLE, "ab"},
	    {"''", 0, ""},
	    {"f\"{'nested'}\"", CG_PY_STR_F, "{'nested'}"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct built b;
		char *text = cg_xasprintf("x = %s\n", cases[i].lit);
		const struct cg_py_string *s;

		build(&b, text);
		assert_int_equal(b.m.nstrings, 1);
		s = &b.m.strings[0];
		assert_int_equal(s->flags, cases[i].flags);
		assert_int_equal(s->start, 4);
		assert_int_equal(s->end, 4 + strlen(cases[i].lit));
		assert_string_equal(
		    cg_py_string_value(&b.arena, text, s->start, s->end, 100),
		    cases[i].value);
		assert_string_equal(b.m.assigns[0].str_value, cases[i].value);
		release(&b);
		free(text);
	}
}

static void test_python_module__assignments(void **state)
{
	struct built b;
	struct cg_buf out = CG_BUF_INIT;

	(void)state;
	build(&b, "r = redis.Redis(host='h')\n"
		  "self.c: Client = await make()\n"
		  "a = b = redis.asyncio.Redis()\n"
		  "class S(BaseSettings):\n"
		  "    database_url: str\n"
		  "    port: int = 5432\n"
		  "if x: y = f()\n"
		  "z += 1\n"
		  "p, q = 1, 2\n"
		  "d[k] = v\n");
	for (size_t i = 0; i < b.m.nassigns; i++) {
		const struct cg_py_assign *a = &b.m.assigns[i];

		cg_buf_addf(&out, "%s:%s=%s call=%s in %s\n", a->target,
			    a->annotation ? a->annotation : "",
			    a->value ? a->value : "",
			    a->call != CG_PY_NONE ? b.m.calls[a->call].callee
						  : "-",
			    def_name(&b.m, a->func));
	}
	assert_render(cg_buf_detach(&out, NULL),
		      "r:=redis.Redis(host='h') call=redis.Redis in -\n"
		      "self.c:Client=await make() call=make in -\n"
		      "a:=redis.asyncio.Redis() call=redis.asyncio.Redis in -\n"
		      "database_url:str= call=- in S\n"
		      "port:int=5432 call=- in S\n"
		      "y:=f() call=f in -\n");
	release(&b);
}

static void test_python_module__imports(void **state)
{
	struct built b;
	struct cg_buf out = CG_BUF_INIT;

	(void)state;
	build(&b, "import os, os.path, redis.asyncio as aredis\n"
		  "from os import environ as env, getenv\n"
		  "from . import sibling\n"
		  "from ..pkg.mod import (a as b,\n"
		  "    c,)\n"
		  "from x import *\n"
		  "def f():\n"
		  "    import time as t; t.sleep(1)\n");
	for (size_t i = 0; i < b.m.nimports; i++) {
		const struct cg_py_import *r = &b.m.imports[i];

		cg_buf_addf(&out, "%u%s %s -> %s in %s\n", r->level, r->module,
			    r->name ? r->name : "-", r->bound ? r->bound : "-",
			    def_name(&b.m, r->func));
	}
	assert_render(cg_buf_detach(&out, NULL),
		      "0os - -> os in -\n"
		      "0os.path - -> os in -\n"
		      "0redis.asyncio - -> aredis in -\n"
		      "0os environ -> env in -\n"
		      "0os getenv -> getenv in -\n"
		      "1 sibling -> sibling in -\n"
		      "2pkg.mod a -> b in -\n"
		      "2pkg.mod c -> c in -\n"
		      "0x * -> - in -\n"
		      "0time - -> t in f\n");
	/* the call after `;` is still seen */
	assert_int_equal(b.m.ncalls, 1);
	assert_string_equal(b.m.calls[0].callee, "t.sleep");
	release(&b);
}

/* Long text is cut, never kept whole. */
static void test_python_module__text_cut(void **state)
{
	struct built b;
	struct cg_buf src = CG_BUF_INIT;

	(void)state;
	cg_buf_addstr(&src, "f(");
	for (int i = 0; i < 200; i++)
		cg_buf_addf(&src, "a%d + ", i);
	cg_buf_addstr(&src, "1)\n");
	build(&b, src.buf);
	assert_int_equal(b.m.ncalls, 1);
	assert_true(b.m.args[0].cut);
	assert_int_equal(strlen(b.m.args[0].text), CG_PY_TEXT_MAX);
	release(&b);
	cg_buf_release(&src);
}

/* Nesting past the bounds loses structure, not memory or time. */
static void test_python_module__bounds(void **state)
{
	struct built b;
	struct cg_buf src = CG_BUF_INIT;

	(void)state;
	for (int i = 0; i < 300; i++)
		cg_buf_addstr(&src, "with a: ");
	cg_buf_addstr(&src, "f()\n");
	for (int i = 0; i < 100; i++)
		cg_buf_addstr(&src, "lambda: ");
	cg_buf_addstr(&src, "g()\n");
	for (int i = 0; i < 250; i++)
		cg_buf_addstr(&src, "h(");
	build(&b, src.buf);
	assert_true(b.m.truncated);
	assert_int_equal(b.m.nwiths, CG_PY_MAX_BLOCKS);
	assert_true(b.m.ncalls >= 2);
	release(&b);
	cg_buf_release(&src);
}

/* Garbage: whatever the bytes, rows stay inside the text and the tokens. */
static void test_python_module__garbage(void **state)
{
	static const char *const inputs[] = {
	    ")))]]]}}}",
	    "def",
	    "def (",
	    "class",
	    "async",
	    "async with",
	    "with as:",
	    "lambda",
	    "lambda ,:",
	    "@",
	    "@\n\ndef f(): pass",
	    "from",
	    "from . import",
	    "import",
	    "import .",
	    "x =",
	    "x: =",
	    "f(a=",
	    "f(*",
	    "f(**",
	    "try",
	    "try:\n",
	    "def f():\n",
	    "\tdef",
	    "if x:\n  def f(:\n    g(\n",
	    "a.b.c(d.e(f.g(",
	    "'''",
	    "f'{'",
	    "x = (\n",
	    "\xff\xfe(",
	    ": : :",
	    "= = =",
	    "...(...)",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct built b;
		size_t len = strlen(inputs[i]);

		build(&b, inputs[i]);
		for (size_t k = 0; k < b.m.ncalls; k++) {
			assert_true(b.m.calls[k].start <= b.m.calls[k].end);
			assert_true(b.m.calls[k].end <= len);
			assert_true(b.m.calls[k].first_arg +
					b.m.calls[k].nargs <=
				    b.m.nargs);
		}
		for (size_t k = 0; k < b.m.ndefs; k++) {
			assert_true(b.m.defs[k].body_first <=
				    b.m.defs[k].body_end + 1);
			assert_true(b.m.defs[k].parent == CG_PY_NONE ||
				    b.m.defs[k].parent < k);
		}
		release(&b);
	}
	/* pseudo-random bytes from a fixed seed */
	for (unsigned seed = 1; seed < 200; seed++) {
		char text[512];
		unsigned x = seed;
		struct built b;
		static const char alphabet[] =
		    "()[]{}:,.=@*\n\n  "
		    "\tdefasynclambdawithtryfromimportas'\"#\\x";

		for (size_t k = 0; k < sizeof(text) - 1; k++) {
			x = x * 1103515245u + 12345u;
			text[k] = alphabet[(x >> 16) % (sizeof(alphabet) - 1)];
		}
		text[sizeof(text) - 1] = 0;
		build(&b, text);
		release(&b);
	}
}

/* Tokens cut short (CG_ELIMIT: no ENDMARKER) still build. */
static void test_python_module__cut_tokens(void **state)
{
	const char *text = "def f():\n    g(h(1,\n";
	struct cg_py_tokens t;
	struct cg_py_module m;
	struct cg_arena a;

	(void)state;
	cg_arena_init(&a);
	assert_int_equal(cg_py_tokenize(&t, text, strlen(text)), 0);
	t.n = 10; /* in the middle of the call */
	assert_int_equal(cg_py_module_build(&m, &a, text, strlen(text), &t), 0);
	assert_int_equal(m.ndefs, 1);
	assert_true(m.ncalls >= 1);
	cg_py_module_release(&m);
	cg_py_tokens_release(&t);
	cg_arena_release(&a);
}

/* One scratch serves many files: each module is its own, in the arena. */
static void test_python_module__scratch_reuse(void **state)
{
	static const char *const texts[] = {
	    "def a(x):\n    f(x)\n    g(1, 2)\n",
	    "@d\nclass B(C):\n    y: int = h()\n",
	    "import os\n",
	};
	struct cg_py_scratch scratch;
	struct cg_py_module m[3];
	struct cg_py_tokens t;
	struct cg_arena arena;

	(void)state;
	memset(&scratch, 0, sizeof(scratch));
	memset(&t, 0, sizeof(t));
	cg_arena_init(&arena);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(
		    cg_py_tokenize_again(&t, texts[i], strlen(texts[i])), 0);
		assert_int_equal(cg_py_module_build_with(&m[i], &arena,
							 &scratch, texts[i],
							 strlen(texts[i]), &t),
				 0);
	}
	assert_int_equal(m[0].ndefs, 1);
	assert_int_equal(m[0].ncalls, 2);
	assert_string_equal(m[0].calls[1].callee, "g");
	assert_int_equal(m[0].calls[1].nargs, 2);
	assert_int_equal(m[1].ndefs, 1);
	assert_string_equal(m[1].defs[0].name, "B");
	assert_int_equal(m[1].ndecorators, 1);
	assert_int_equal(m[1].ncalls, 1);
	assert_string_equal(m[1].assigns[0].target, "y");
	assert_int_equal(m[2].ncalls, 0);
	assert_int_equal(m[2].nimports, 1);
	/* the first module is untouched by the later builds */
	assert_string_equal(m[0].calls[0].callee, "f");
	assert_string_equal(m[0].defs[0].name, "a");
	cg_py_scratch_release(&scratch);
	cg_py_tokens_release(&t);
	cg_arena_release(&arena);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_python_module__defs),
	    cmocka_unit_test(test_python_module__params),
	    cmocka_unit_test(test_python_module__decorators),
	    cmocka_unit_test(test_python_module__calls),
	    cmocka_unit_test(test_python_module__lambdas),
	    cmocka_unit_test(test_python_module__with_try),
	    cmocka_unit_test(test_python_module__strings),
	    cmocka_unit_test(test_python_module__assignments),
	    cmocka_unit_test(test_python_module__imports),
	    cmocka_unit_test(test_python_module__text_cut),
	    cmocka_unit_test(test_python_module__bounds),
	    cmocka_unit_test(test_python_module__garbage),
	    cmocka_unit_test(test_python_module__cut_tokens),
	    cmocka_unit_test(test_python_module__scratch_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
