/*
 * matrix-doc-drift (full layer, warning): a Markdown table that documents
 * the service connectivity matrix (README.md, docs/: a Service column and
 * environment columns, model/docs.c) states a host or port in a cell that
 * the repository's own matrix (model/matrix.h) contradicts.
 *
 * A documented endpoint agrees when some value of the same service and
 * environment has its host (case aside; localhost, 127.0.0.1 and ::1 are
 * one host; a Kubernetes Service's longer names are its name) and its
 * port (a side that names none agrees with any). Nothing is judged where
 * the repository cannot contradict: a row for a service the matrix does
 * not have, a cell the matrix leaves empty or knows only as a secret, and
 * a documented cell that is a secret, `n/a`, `—` or a note.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/rule.h"
#include "model/matrix.h"
#include "core/banned.h"

static bool same_host(const struct cg_matrix_value *v, const char *host)
{
	if (!strcasecmp(v->host, host))
		return true;
	if (cg_svc_host_is_local(v->host) && cg_svc_host_is_local(host))
		return true;
	if (v->svc)
		for (size_t i = 0; i < v->svc->nhosts; i++)
			if (v->svc->hosts[i] &&
			    !strcasecmp(v->svc->hosts[i], host))
				return true;
	return false;
}

static bool agrees(const struct cg_matrix_value *v, const struct cg_doc_cell *c)
{
	return same_host(v, c->host) &&
	       (!c->port || !v->port || c->port == v->port);
}

static void judge(struct cg_rule_ctx *ctx, const struct cg_matrix *mx,
		  const struct cg_doc_cell *c)
{
	const struct cg_matrix_row *row;
	const struct cg_matrix_cell *cell;
	const struct cg_matrix_value *shown = NULL;
	struct cg_buf want = CG_BUF_INIT, subject = CG_BUF_INIT;
	int col = cg_matrix_column(c->environment);

	if (c->value != CG_DOC_ENDPOINT || col < 0 ||
	    !(row = cg_matrix_find(mx, c->service)))
		return;
	cell = &row->cells[col];
	for (size_t i = 0; i < cell->n; i++) {
		const struct cg_matrix_value *v = &cell->values[i];

		if (!v->host)
			continue;
		if (agrees(v, c))
			return;
		if (!shown)
			shown = v;
	}
	if (!shown)
		return;
	cg_matrix_value_text(shown, &want);
	cg_buf_addf(&subject, "%s %s %s", c->service, c->column, c->text);
	cg_report(ctx, c->src, &c->row_pos, subject.buf, NULL,
		  "the %s row says %s is `%s`, but the repository says `%s` "
		  "(%s:%u)",
		  c->service, c->column, c->text, want.buf, shown->src->path,
		  shown->pos.line);
	cg_buf_release(&want);
	cg_buf_release(&subject);
}

static void check(struct cg_rule_ctx *ctx, const struct cg_model *m)
{
	struct cg_matrix mx;

	if (!m->facts.ndoc_cells)
		return;
	cg_matrix_build(&mx, m);
	for (size_t i = 0; i < m->facts.ndoc_cells; i++)
		judge(ctx, &mx, &m->facts.doc_cells[i]);
	cg_matrix_release(&mx);
}

const struct cg_rule cg_rule_matrix_doc_drift = {
    .id = "matrix-doc-drift",
    .layer = CG_LAYER_FULL,
    .severity = CG_SEV_WARNING,
    .summary = "a Markdown table documenting the service connectivity "
	       "matrix states a host or port the repository contradicts",
    .explain =
	"Teams keep a table of where each service lives per environment "
	"(README.md, docs/*.md): the first thing read when CI cannot reach "
	"Redis. A table whose header has a Service column and environment "
	"columns (CI, Local / Local Dev, Production / k8s) is checked cell "
	"by cell against the matrix ciguard derives from the repository "
	"(`ciguard matrix`): CI env and service containers, .env.example "
	"and compose, Kubernetes env and Services. A cell whose host or port "
	"matches none of the repository's values for that service and "
	"environment is a finding on its row. Cells the repository cannot "
	"contradict are left alone: `secret`, `secret:NAME`, `n/a`, `—`, "
	"notes, a service or an environment the repository does not show, "
	"and a value that comes from a secret.\n"
	"\n"
	"Bad (compose publishes wiremock on 8080, .env.example uses "
	"8080):\n"
	"\n"
	"    | service  | CI             | local          |\n"
	"    |----------|----------------|----------------|\n"
	"    | wiremock | localhost:8080 | localhost:8081 |\n"
	"\n"
	"Good:\n"
	"\n"
	"    | service  | CI             | local          |\n"
	"    |----------|----------------|----------------|\n"
	"    | wiremock | localhost:8080 | localhost:8080 |\n"
	"\n"
	"`ciguard matrix > docs/connectivity.md` writes a table that "
	"agrees.\n",
    .hint = "correct the table (`ciguard matrix` prints what the "
	    "repository says), or the file it contradicts",
    .check = check,
};
