/* Unit tests for src/model/matrix.c and the documented-matrix facts of
 * src/model/docs.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/matrix.h"

#define F(p, t)                                                                \
	{                                                                      \
		p, t, sizeof(t) - 1                                            \
	}

static void build(struct cg_model *m, const struct cg_mem_file *files, size_t n)
{
	struct cg_model_options o = {0};

	o.root = "mem";
	o.layer = CG_LAYER_FULL;
	o.mem_files = files;
	o.nmem_files = n;
	assert_int_equal(cg_model_build(m, &o), 0);
}

/* The text of value `i` of `service`'s cell in column `col`. */
static char *cell(const struct cg_matrix *mx, const char *service, int col,
		  size_t i)
{
	const struct cg_matrix_row *r = cg_matrix_find(mx, service);
	struct cg_buf b = CG_BUF_INIT;

	if (!r || i >= r->cells[col].n)
		return cg_xstrdup("-");
	cg_matrix_value_text(&r->cells[col].values[i], &b);
	return cg_buf_detach(&b, NULL);
}

static void expect(const struct cg_matrix *mx, const char *service, int col,
		   size_t i, const char *want)
{
	char *got = cell(mx, service, col, i);

	if (strcmp(got, want))
		fail_msg("%s[%d][%zu]: '%s', want '%s'", service, col, i, got,
			 want);
	free(got);
}

static void test_matrix__cells_by_environment_and_rank(void **state)
{
	static const struct cg_mem_file files[] = {
	    F(".github/workflows/ci.yml",
	      "on: push\n"
	      "env:\n"
	      "  REDIS_URL: ${{ secrets.REDIS_URL }}\n"
	      "jobs:\n"
	      "  t:\n"
	      "    runs-on: ubuntu-latest\n"
	      "    services:\n"
	      "      postgres:\n"
	      "        image: postgres:16\n"
	      "        ports: ['5433:5432']\n"
	      "    env:\n"
	      "      DATABASE_URL: postgresql://u:${{ secrets.PW "
	      "}}@localhost:5433/t\n"
	      "    steps:\n"
	      "      - run: pytest\n"),
	    F("docker-compose.yml", "services:\n"
				    "  redis:\n"
				    "    image: redis:7\n"
				    "    ports: ['6380:6379']\n"
				    "  api:\n"
				    "    build: .\n"
				    "    ports: ['8000:8000']\n"),
	    F(".env.example", "# the compose redis\n"
			      "REDIS_URL=redis://localhost:6380/0\n"
			      "# mysql, whatever the name says\n"
			      "DATABASE_URL=mysql://u:p@localhost/app\n"),
	    F("k8s/app.yaml",
	      "apiVersion: apps/v1\n"
	      "kind: Deployment\n"
	      "metadata: {name: shop}\n"
	      "spec:\n"
	      "  selector: {matchLabels: {app: shop}}\n"
	      "  template:\n"
	      "    metadata: {labels: {app: shop}}\n"
	      "    spec:\n"
	      "      containers:\n"
	      "        - name: api\n"
	      "          image: shop:1\n"
	      "          ports: [{containerPort: 8000}]\n"
	      "          env:\n"
	      "            - name: REDIS_HOST\n"
	      "              value: redis.prod.internal\n"
	      "            - name: REDIS_PORT\n"
	      "              value: '6390'\n"
	      "            - name: DATABASE_URL\n"
	      "              valueFrom: {secretKeyRef: {name: s, key: db}}\n"
	      "---\n"
	      "apiVersion: v1\n"
	      "kind: Service\n"
	      "metadata: {name: shop-api}\n"
	      "spec:\n"
	      "  selector: {app: shop}\n"
	      "  ports: [{port: 80, targetPort: 8000}]\n"),
	};
	struct cg_model m;
	struct cg_matrix mx;

	(void)state;
	build(&m, files, sizeof(files) / sizeof(*files));
	cg_matrix_build(&mx, &m);
	/* CI: the env first (a secret keeps its name only), then where the
	 * runner job reaches the service container */
	expect(&mx, "redis", 0, 0, "secret:REDIS_URL");
	/* a secret password: the host and port are still known */
	expect(&mx, "postgres", 0, 0, "localhost:5433");
	expect(&mx, "postgresql", 0, 1, "localhost:5433");
	/* local: .env.example, then compose's published port, then the
	 * container network */
	expect(&mx, "redis", 1, 0, "localhost:6380");
	expect(&mx, "redis", 1, 1, "localhost:6380");
	expect(&mx, "redis", 1, 2, "redis:6379");
	expect(&mx, "mysql", 1, 0, "localhost:3306");
	expect(&mx, "postgres", 1, 0, "-");
	/* production: HOST + PORT, a secretKeyRef */
	expect(&mx, "redis", 2, 0, "redis.prod.internal:6390");
	expect(&mx, "postgres", 2, 0, "secret:DATABASE_URL");
	/* the application: compose `api`, Service `shop-api` of container
	 * `api` */
	expect(&mx, "api", 1, 0, "localhost:8000");
	expect(&mx, "api", 2, 0, "shop-api:80");
	assert_null(cg_matrix_find(&mx, "shop-api"));
	assert_int_equal(cg_matrix_find(&mx, "api")->kind, CG_SERVICE_APP);
	cg_matrix_release(&mx);
	cg_model_release(&m);
}

static void test_matrix__doc_cells(void **state)
{
	static const struct cg_mem_file files[] = {
	    F("docs/services.md",
	      "| Service | CI (GitHub Actions) | Local Dev | Staging | Prod |\n"
	      "|---|---|---|---|---|\n"
	      "| `redis` | `localhost:6379` | redis://redis:6380/0 | x:1 | "
	      "secret:REDIS_URL |\n"
	      "| postgres | n/a | — | x:1 | https://db.example.com |\n"
	      "| wiremock | TBD | localhost:8080 (.env.example:3) | x:1 | "
	      "secret |\n"
	      "\n"
	      "| Variable | CI |\n|---|---|\n| A | localhost:1 |\n"),
	    F("README.md", "| name | local |\n|---|---|\n| redis | x:1 |\n"),
	};
	struct cg_model m;
	const struct cg_doc_cell *c;

	(void)state;
	build(&m, files, sizeof(files) / sizeof(*files));
	/* 3 rows x 3 environment columns; Staging and the tables without a
	 * Service column are not read */
	assert_int_equal(m.facts.ndoc_cells, 9);
	c = &m.facts.doc_cells[0];
	assert_string_equal(c->service, "redis");
	assert_int_equal(c->environment, CG_ENVIRONMENT_CI);
	assert_int_equal(c->value, CG_DOC_ENDPOINT);
	assert_string_equal(c->host, "localhost");
	assert_int_equal(c->port, 6379);
	assert_int_equal(c->row_pos.line, 3);
	assert_int_equal(c->row_pos.col, 1);
	c = &m.facts.doc_cells[1];
	assert_int_equal(c->environment, CG_ENVIRONMENT_LOCAL);
	assert_string_equal(c->host, "redis");
	assert_int_equal(c->port, 6380);
	assert_int_equal(m.facts.doc_cells[2].value, CG_DOC_SECRET);
	assert_int_equal(m.facts.doc_cells[2].environment,
			 CG_ENVIRONMENT_PRODUCTION);
	assert_int_equal(m.facts.doc_cells[3].value, CG_DOC_NONE);
	assert_int_equal(m.facts.doc_cells[4].value, CG_DOC_NONE);
	c = &m.facts.doc_cells[5];
	assert_int_equal(c->value, CG_DOC_ENDPOINT);
	assert_string_equal(c->host, "db.example.com");
	assert_int_equal(c->port, 443);
	assert_true(c->port_implied);
	assert_int_equal(m.facts.doc_cells[6].value, CG_DOC_UNKNOWN);
	c = &m.facts.doc_cells[7];
	assert_string_equal(c->host, "localhost");
	assert_int_equal(c->port, 8080);
	assert_int_equal(m.facts.doc_cells[8].value, CG_DOC_SECRET);
	cg_model_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_matrix__cells_by_environment_and_rank),
	    cmocka_unit_test(test_matrix__doc_cells),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
