/* The Kubernetes manifests loader, on repositories given in memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "model/model.h"
#include "model/loader.h"

#define MEM(path, text)                                                        \
	{                                                                      \
		path, text, sizeof(text) - 1                                   \
	}

static void build(struct cg_model *m, const struct cg_mem_file *files, size_t n,
		  enum cg_layer layer)
{
	struct cg_model_options o = {0};

	o.root = "mem";
	o.layer = layer;
	o.mem_files = files;
	o.nmem_files = n;
	assert_int_equal(cg_model_build(m, &o), 0);
}

static size_t scope_named(const struct cg_model *m, enum cg_scope_kind kind,
			  const char *name)
{
	for (size_t i = 0; i < m->facts.nscopes; i++)
		if (m->facts.scopes[i].kind == kind &&
		    !strcmp(m->facts.scopes[i].name, name))
			return i;
	return CG_NO_SCOPE;
}

static const struct cg_service_fact *service(const struct cg_model *m,
					     const char *name)
{
	for (size_t i = 0; i < m->facts.nservices; i++)
		if (!strcmp(m->facts.services[i].name, name))
			return &m->facts.services[i];
	return NULL;
}

static const struct cg_process_fact *process_in(const struct cg_model *m,
						size_t scope)
{
	for (size_t i = 0; i < m->facts.nprocesses; i++)
		if (m->facts.processes[i].scope == scope)
			return &m->facts.processes[i];
	return NULL;
}

static bool has_note(const struct cg_model *m, const char *text)
{
	for (size_t i = 0; i < m->nnotes; i++)
		if (!strcmp(m->notes[i].message, text))
			return true;
	return false;
}

static bool has_file(const struct cg_model *m, const char *path)
{
	for (size_t i = 0; i < m->nfiles; i++)
		if (!strcmp(m->files[i]->src.path, path))
			return true;
	return false;
}

static void assert_pos(const struct cg_pos *p, uint32_t line, uint32_t col)
{
	assert_int_equal(p->line, line);
	assert_int_equal(p->col, col);
}

/* The ConfigMap comes in a later file than the Deployment that uses it. */
static const char deploy[] =
    "apiVersion: apps/v1\n"				     /* 1 */
    "kind: Deployment\n"				     /* 2 */
    "metadata:\n"					     /* 3 */
    "  name: orders\n"					     /* 4 */
    "  namespace: shop\n"				     /* 5 */
    "spec:\n"						     /* 6 */
    "  template:\n"					     /* 7 */
    "    metadata:\n"					     /* 8 */
    "      labels: {app: orders, tier: web}\n"		     /* 9 */
    "    spec:\n"					     /* 10 */
    "      initContainers:\n"				     /* 11 */
    "        - name: migrate\n"				     /* 12 */
    "          image: ghcr.io/acme/orders:1\n"		     /* 13 */
    "          command: [python, manage.py, migrate]\n"	     /* 14 */
    "      containers:\n"				     /* 15 */
    "        - name: api\n"				     /* 16 */
    "          image: ghcr.io/acme/orders:1\n"		     /* 17 */
    "          command: [\"gunicorn\"]\n"		     /* 18 */
    "          args:\n"					     /* 19 */
    "            - -b\n"				     /* 20 */
    "            - 0.0.0.0:$(PORT)\n"			     /* 21 */
    "            - app:create_app()\n"			     /* 22 */
    "          ports: [{name: http, containerPort: 8000}]\n" /* 23 */
    "          readinessProbe: {httpGet: {path: /health, port: http}}\n"
    "          envFrom:\n"				   /* 25 */
    "            - configMapRef: {name: orders-config}\n"  /* 26 */
    "            - secretRef: {name: orders-secrets}\n"	   /* 27 */
    "              prefix: S_\n"			   /* 28 */
    "          env:\n"					   /* 29 */
    "            - name: PORT\n"			   /* 30 */
    "              value: \"8000\"\n"			   /* 31 */
    "            - name: DATABASE_URL\n"		   /* 32 */
    "              valueFrom:\n"			   /* 33 */
    "                secretKeyRef: {name: db, key: url}\n" /* 34 */
    "            - name: LOG_LEVEL\n"			   /* 35 */
    "              valueFrom:\n"			   /* 36 */
    "                configMapKeyRef:\n"		   /* 37 */
    "                  name: orders-config\n"		   /* 38 */
    "                  key: level\n"			   /* 39 */
    "            - name: FEATURES\n"			   /* 40 */
    "              valueFrom:\n"			   /* 41 */
    "                configMapKeyRef: {name: elsewhere, key: f}\n"
    "            - name: LISTEN\n"			    /* 43 */
    "              value: $(HOST):$(PORT)\n"		    /* 44 */
    "            - name: SELF\n"			    /* 45 */
    "              value: $(PORT)\n"			    /* 46 */
    "            - name: LITERAL\n"			    /* 47 */
    "              value: ${HOME}/$$(x)\n"		    /* 48 */
    "            - name: POD_IP\n"			    /* 49 */
    "              valueFrom:\n"			    /* 50 */
    "                fieldRef: {fieldPath: status.podIP}\n" /* 51 */
    "            - name: EMPTY\n"			    /* 52 */
    "        - name: worker\n"				    /* 53 */
    "          image: ghcr.io/acme/orders:1\n"		    /* 54 */
    "          args: [python, -m, app.worker]\n"	    /* 55 */
    "        - name: sidecar\n"				    /* 56 */
    "          image: envoyproxy/envoy:v1\n"		    /* 57 */
    "---\n"						    /* 58 */
    "apiVersion: v1\n"					    /* 59 */
    "kind: Service\n"					    /* 60 */
    "metadata:\n"					    /* 61 */
    "  name: orders\n"					    /* 62 */
    "  namespace: shop\n"				    /* 63 */
    "spec:\n"						    /* 64 */
    "  selector: {app: orders}\n"			    /* 65 */
    "  ports:\n"					    /* 66 */
    "    - port: 80\n"					    /* 67 */
    "      targetPort: http\n"				    /* 68 */
    "      nodePort: 30080\n"				    /* 69 */
    "    - port: 9090\n";				    /* 70 */

static const char config[] = "kind: ConfigMap\n"		  /* 1 */
			     "apiVersion: v1\n"			  /* 2 */
			     "metadata:\n"			  /* 3 */
			     "  name: orders-config\n"		  /* 4 */
			     "  namespace: shop\n"		  /* 5 */
			     "data:\n"				  /* 6 */
			     "  PYTHONUNBUFFERED: \"1\"\n"	  /* 7 */
			     "  level: debug\n"			  /* 8 */
			     "---\n"				  /* 9 */
			     "kind: ConfigMap\n"		  /* 10 */
			     "apiVersion: v1\n"			  /* 11 */
			     "metadata:\n"			  /* 12 */
			     "  name: orders-config\n"		  /* 13 */
			     "  namespace: other\n"		  /* 14 */
			     "data:\n"				  /* 15 */
			     "  level: wrong-namespace\n"	  /* 16 */
			     "---\n"				  /* 17 */
			     "apiVersion: v1\n"			  /* 18 */
			     "kind: Secret\n"			  /* 19 */
			     "metadata: {name: orders-secrets}\n" /* 20 */
			     "data:\n"				  /* 21 */
			     "  TOKEN: aHVudGVyMg==\n"		  /* 22 */
			     "stringData:\n"			  /* 23 */
			     "  PASSWORD: hunter2\n";		  /* 24 */

static void test_k8s__workload_env_processes_and_service(void **state)
{
	static const struct cg_mem_file files[] = {
	    MEM("deploy/app.yaml", deploy),
	    MEM("deploy/z-config.yml", config),
	};
	struct cg_model m;
	size_t api, worker, migrate, sidecar, file;
	const struct cg_env_fact *e;
	const struct cg_process_fact *p;
	const struct cg_service_fact *s;

	(void)state;
	build(&m, files, 2, CG_LAYER_FULL);
	assert_int_equal(m.nnotes, 0);
	file = m.files[0]->scope;
	assert_int_not_equal(file, CG_NO_SCOPE);
	assert_int_equal(m.facts.scopes[file].kind, CG_SCOPE_FILE);
	assert_int_equal(m.facts.scopes[file].place, CG_PLACE_K8S);
	assert_int_equal(m.facts.scopes[file].environment,
			 CG_ENVIRONMENT_PRODUCTION);
	api = scope_named(&m, CG_SCOPE_K8S_CONTAINER, "api");
	worker = scope_named(&m, CG_SCOPE_K8S_CONTAINER, "worker");
	migrate = scope_named(&m, CG_SCOPE_K8S_CONTAINER, "migrate");
	sidecar = scope_named(&m, CG_SCOPE_K8S_CONTAINER, "sidecar");
	assert_int_not_equal(api, CG_NO_SCOPE);
	assert_int_equal(m.facts.scopes[api].parent, file);
	assert_int_equal(m.facts.scopes[api].environment,
			 CG_ENVIRONMENT_PRODUCTION);
	assert_pos(&m.facts.scopes[api].pos, 16, 17);
	assert_string_equal(m.facts.scopes[api].image, "ghcr.io/acme/orders:1");
	assert_string_equal(m.facts.scopes[sidecar].image,
			    "envoyproxy/envoy:v1");

	/* env: positions are the names */
	e = cg_env_lookup(&m, api, "PORT");
	assert_string_equal(e->value, "8000");
	assert_int_equal(e->value_kind, CG_VALUE_LITERAL);
	assert_int_equal(e->place, CG_PLACE_K8S);
	assert_pos(&e->pos, 30, 21);
	assert_pos(&e->value_pos, 31, 22);
	e = cg_env_lookup(&m, api, "DATABASE_URL");
	assert_int_equal(e->value_kind, CG_VALUE_SECRET);
	assert_null(e->value);
	assert_string_equal(e->ref, "secret/db/url");
	assert_pos(&e->pos, 32, 21);
	/* configMapKeyRef: resolved in the later file, in the namespace of
	 * the pod (not the `other` one) */
	e = cg_env_lookup(&m, api, "LOG_LEVEL");
	assert_int_equal(e->value_kind, CG_VALUE_LITERAL);
	assert_string_equal(e->value, "debug");
	assert_string_equal(e->ref, "configmap/orders-config/level");
	assert_false(e->value_has_pos);
	e = cg_env_lookup(&m, api, "FEATURES");
	assert_int_equal(e->value_kind, CG_VALUE_VARIABLE);
	assert_null(e->value);
	assert_string_equal(e->ref, "configmap/elsewhere/f");
	/* Kubernetes expands $(X) only */
	e = cg_env_lookup(&m, api, "LISTEN");
	assert_int_equal(e->value_kind, CG_VALUE_INTERP);
	e = cg_env_lookup(&m, api, "SELF");
	assert_int_equal(e->value_kind, CG_VALUE_VARIABLE);
	assert_string_equal(e->ref, "PORT");
	e = cg_env_lookup(&m, api, "LITERAL");
	assert_int_equal(e->value_kind, CG_VALUE_LITERAL);
	assert_string_equal(e->value, "${HOME}/$$(x)");
	e = cg_env_lookup(&m, api, "POD_IP");
	assert_int_equal(e->value_kind, CG_VALUE_EXPRESSION);
	assert_string_equal(e->ref, "field/status.podIP");
	e = cg_env_lookup(&m, api, "EMPTY");
	assert_int_equal(e->value_kind, CG_VALUE_LITERAL);
	assert_string_equal(e->value, "");

	/* envFrom: the ConfigMap's keys, and the Secret's with its prefix;
	 * the container's own env wins over both */
	e = cg_env_lookup(&m, api, "PYTHONUNBUFFERED");
	assert_non_null(e);
	assert_string_equal(e->value, "1");
	assert_ptr_equal(e->src, cg_model_find_src(&m, "deploy/z-config.yml"));
	assert_pos(&e->pos, 7, 3);
	assert_int_equal(m.facts.scopes[e->scope].kind, CG_SCOPE_K8S_CONFIG);
	e = cg_env_lookup(&m, api, "S_TOKEN");
	assert_non_null(e);
	assert_int_equal(e->value_kind, CG_VALUE_SECRET);
	assert_null(e->value);
	assert_string_equal(e->ref, "secret/orders-secrets/TOKEN");
	assert_non_null(cg_env_lookup(&m, api, "S_PASSWORD"));
	assert_null(cg_env_lookup(&m, api, "TOKEN"));
	assert_null(cg_env_lookup(&m, worker, "PYTHONUNBUFFERED"));
	assert_null(cg_env_lookup(&m, worker, "PORT"));

	/* processes: command + args; args alone; none */
	p = process_in(&m, api);
	assert_non_null(p);
	assert_int_equal(p->origin, CG_PROCESS_K8S);
	assert_int_equal(p->argc, 4);
	assert_string_equal(p->argv[0], "gunicorn");
	assert_string_equal(p->argv[2], "0.0.0.0:$(PORT)");
	assert_string_equal(p->command,
			    "gunicorn -b '0.0.0.0:$(PORT)' 'app:create_app()'");
	assert_true(p->python);
	assert_true(p->worker);
	assert_false(p->unbuffered);
	assert_false(p->oneshot);
	assert_false(p->background);
	assert_pos(&p->pos, 18, 20);
	p = process_in(&m, worker);
	assert_non_null(p);
	assert_string_equal(p->command, "python -m app.worker");
	assert_true(p->python);
	assert_true(p->worker);
	assert_pos(&p->pos, 55, 17);
	p = process_in(&m, migrate);
	assert_non_null(p);
	assert_true(p->oneshot);
	assert_pos(&p->pos, 14, 20);
	assert_null(process_in(&m, sidecar));

	/* the Service: host names, ports, and the pods behind it */
	s = service(&m, "orders");
	assert_non_null(s);
	assert_int_equal(s->environment, CG_ENVIRONMENT_PRODUCTION);
	assert_int_equal(s->place, CG_PLACE_K8S);
	assert_int_equal(s->scope, file);
	assert_int_equal(s->own_scope, api);
	assert_pos(&s->pos, 62, 9);
	assert_int_equal(s->nhosts, 4);
	assert_string_equal(s->hosts[0], "orders");
	assert_string_equal(s->hosts[1], "orders.shop");
	assert_string_equal(s->hosts[2], "orders.shop.svc");
	assert_string_equal(s->hosts[3], "orders.shop.svc.cluster.local");
	assert_string_equal(s->image, "ghcr.io/acme/orders:1");
	assert_true(s->healthcheck);
	assert_int_equal(s->nports, 2);
	assert_int_equal(s->ports[0].container, 80);
	assert_int_equal(s->ports[0].target, 8000);
	assert_int_equal(s->ports[0].published, 30080);
	assert_pos(&s->ports[0].pos, 67, 13);
	assert_int_equal(s->ports[1].container, 9090);
	assert_int_equal(s->ports[1].target, 9090);
	assert_int_equal(s->ports[1].published, 0);
	cg_model_release(&m);
}

static void test_k8s__config_and_secret_keys(void **state)
{
	static const struct cg_mem_file files[] = {
	    MEM("k8s/config.yaml", config),
	};
	struct cg_model m;
	size_t cm, sec;
	const struct cg_env_fact *e;

	(void)state;
	build(&m, files, 1, CG_LAYER_FULL);
	cm = scope_named(&m, CG_SCOPE_K8S_CONFIG, "orders-config");
	sec = scope_named(&m, CG_SCOPE_K8S_CONFIG, "orders-secrets");
	assert_int_not_equal(cm, CG_NO_SCOPE);
	assert_int_not_equal(sec, CG_NO_SCOPE);
	assert_pos(&m.facts.scopes[cm].pos, 4, 9);
	e = cg_env_lookup(&m, cm, "level");
	assert_string_equal(e->value, "debug");
	assert_int_equal(e->value_kind, CG_VALUE_LITERAL);
	assert_pos(&e->pos, 8, 3);
	assert_pos(&e->value_pos, 8, 10);
	/* a Secret's keys, from data and stringData, and never a value */
	e = cg_env_lookup(&m, sec, "TOKEN");
	assert_non_null(e);
	assert_null(e->value);
	assert_int_equal(e->value_kind, CG_VALUE_SECRET);
	assert_pos(&e->pos, 22, 3);
	e = cg_env_lookup(&m, sec, "PASSWORD");
	assert_non_null(e);
	assert_null(e->value);
	assert_false(e->value_has_pos);
	for (size_t i = 0; i < m.facts.nenv; i++) {
		const char *v = m.facts.env[i].value;

		assert_true(
		    !v || (!strstr(v, "hunter2") && !strstr(v, "aHVudGVyMg")));
	}
	cg_model_release(&m);
}

static void test_k8s__cronjob_job_pod_and_list(void **state)
{
	static const struct cg_mem_file files[] = {MEM(
	    "jobs.yaml",
	    "apiVersion: batch/v1\n"
	    "kind: CronJob\n"
	    "metadata: {name: nightly}\n"
	    "spec:\n"
	    "  schedule: '0 3 * * *'\n"
	    "  jobTemplate:\n"
	    "    spec:\n"
	    "      template:\n"
	    "        spec:\n"
	    "          containers:\n"
	    "            - name: report\n"
	    "              image: python:3.12\n"
	    "              command: [python, -u, report.py]\n" /* 13 */
	    "---\n"
	    "apiVersion: batch/v1\n"
	    "kind: Job\n"
	    "metadata: {name: once}\n"
	    "spec:\n"
	    "  template:\n"
	    "    spec:\n"
	    "      containers: [{name: job, image: busybox, command: [true]}]\n"
	    "---\n"
	    "apiVersion: v1\n"
	    "kind: List\n"
	    "items:\n"
	    "  - apiVersion: v1\n"
	    "    kind: Pod\n"
	    "    metadata: {name: p}\n"
	    "    spec:\n"
	    "      containers:\n"
	    "        - name: in-list\n"
	    "          image: redis:7\n"
	    "          command: [redis-server]\n" /* 33 */
	    "---\n"
	    "# not a manifest: no kind\n"
	    "apiVersion: v1\n"
	    "spec:\n"
	    "  template: {spec: {containers: [{name: ghost}]}}\n")};
	struct cg_model m;
	const struct cg_process_fact *p;

	(void)state;
	build(&m, files, 1, CG_LAYER_FULL);
	p = process_in(&m, scope_named(&m, CG_SCOPE_K8S_CONTAINER, "report"));
	assert_non_null(p);
	assert_true(p->oneshot);
	assert_true(p->python);
	assert_true(p->unbuffered);
	assert_pos(&p->pos, 13, 24);
	p = process_in(&m, scope_named(&m, CG_SCOPE_K8S_CONTAINER, "job"));
	assert_non_null(p);
	assert_true(p->oneshot);
	p = process_in(&m, scope_named(&m, CG_SCOPE_K8S_CONTAINER, "in-list"));
	assert_non_null(p);
	assert_false(p->oneshot);
	assert_pos(&p->pos, 33, 20);
	assert_int_equal(scope_named(&m, CG_SCOPE_K8S_CONTAINER, "ghost"),
			 CG_NO_SCOPE);
	assert_int_equal(m.facts.nprocesses, 3);
	cg_model_release(&m);
}

static void test_k8s__helm_and_other_yaml_are_not_read(void **state)
{
	static const struct cg_mem_file files[] = {
	    /* a Helm chart: values and Chart.yaml are never read */
	    MEM("chart/Chart.yaml", "apiVersion: v2\nname: app\nkind: x\n"),
	    MEM("chart/values.yaml", "apiVersion: v1\nkind: Pod\n"
				     "image: {repository: redis}\n"),
	    MEM("chart/values-prod.yaml", "kind: Pod\napiVersion: v1\n"),
	    /* a template with Helm markup */
	    MEM("chart/templates/deployment.yaml",
		"{{- if .Values.enabled }}\n"
		"apiVersion: apps/v1\n"
		"kind: Deployment\n"
		"metadata:\n"
		"  name: {{ include \"app.fullname\" . }}\n"
		"{{- end }}\n"),
	    /* valid YAML, but in the chart's templates folder */
	    MEM("chart/templates/svc.yaml",
		"apiVersion: v1\nkind: Service\nmetadata: {name: s}\n"
		"spec: {ports: [{port: 80}]}\n"),
	    /* a template of kinds we read nothing from: no note */
	    MEM("chart/templates/sa.yaml",
		"apiVersion: v1\nkind: ServiceAccount\n"
		"metadata: {name: {{ .Values.sa }}}\n"),
	    /* Helm objects inside a block scalar are still Helm */
	    MEM("other/cm.yaml", "apiVersion: v1\n"
				 "kind: ConfigMap\n"
				 "metadata: {name: x}\n"
				 "data:\n"
				 "  conf: |\n"
				 "    {{ toYaml .Values.conf }}\n"),
	    /* a PrometheusRule-style template in values is not Helm */
	    MEM("other/alerts.yaml",
		"apiVersion: v1\n"
		"kind: ConfigMap\n"
		"metadata: {name: alerts}\n"
		"data:\n"
		"  summary: \"{{ $labels.instance }} is down\"\n"
		"  rules: |\n"
		"    {{ range .Alerts }}{{ .Labels.x }}\n"
		"    {{ end }}\n"),
	    /* not Kubernetes at all, and not even valid YAML */
	    MEM("config/app.yaml", "server: {port: 8080\n  bad: [\n"),
	    MEM("openapi.yml", "openapi: 3.0.0\ninfo: {title: x}\n"),
	    /* only kinds we read nothing from: not parsed */
	    MEM("crds.yaml", "apiVersion: apiextensions.k8s.io/v1\n"
			     "kind: CustomResourceDefinition\n"
			     "spec: [unclosed\n"),
	};
	struct cg_model m;
	size_t n = sizeof(files) / sizeof(files[0]);

	(void)state;
	build(&m, files, n, CG_LAYER_FULL);
	assert_true(has_note(
	    &m, "chart/templates/deployment.yaml: a Helm template, skipped"));
	assert_true(
	    has_note(&m, "chart/templates/svc.yaml: a Helm template, skipped"));
	assert_true(has_note(&m, "other/cm.yaml: a Helm template, skipped"));
	assert_int_equal(m.nnotes, 3);
	assert_int_equal(m.nfiles, 1);
	assert_true(has_file(&m, "other/alerts.yaml"));
	assert_int_not_equal(scope_named(&m, CG_SCOPE_K8S_CONFIG, "alerts"),
			     CG_NO_SCOPE);
	assert_null(service(&m, "s"));
	cg_model_release(&m);
}

static void test_k8s__kustomize(void **state)
{
	static const struct cg_mem_file files[] = {
	    MEM("base/deployment.yaml",
		"apiVersion: apps/v1\n"
		"kind: Deployment\n"
		"metadata: {name: api}\n"
		"spec:\n"
		"  template:\n"
		"    spec:\n"
		"      containers:\n"
		"        - name: api\n"
		"          image: app\n"
		"          envFrom: [{configMapRef: {name: api-env}}]\n"),
	    MEM("base/kustomization.yaml",
		"resources: [deployment.yaml]\n"
		"configMapGenerator:\n"
		"  - name: api-env\n"
		"    literals:\n"
		"      - PYTHONUNBUFFERED=1\n" /* 5 */
		"      - MODE=prod=ok\n"
		"    envs: [api.env]\n" /* 7 */
		"    files: [conf=../conf/app.ini]\n"),
	    MEM("base/api.env", "# generated keys\nWORKERS=4\n"),
	    MEM("conf/app.ini", "[app]\n"),
	    MEM("overlays/prod/kustomization.yml",
		"apiVersion: kustomize.config.k8s.io/v1beta1\n"
		"kind: Kustomization\n"
		"resources: [../../base]\n"
		"patches:\n"
		"  - path: patches/replicas.yaml\n"
		"  - patch: |-\n"
		"      - op: replace\n"
		"patchesStrategicMerge:\n"
		"  - ../../patches/env.yaml\n"),
	    MEM("overlays/prod/patches/replicas.yaml",
		"apiVersion: apps/v1\nkind: Deployment\n"
		"metadata: {name: api}\nspec: {replicas: 3}\n"),
	    MEM("patches/env.yaml", "apiVersion: apps/v1\n"
				    "kind: Deployment\n"
				    "metadata: {name: api}\n"
				    "spec:\n"
				    "  template:\n"
				    "    spec:\n"
				    "      containers:\n"
				    "        - name: patched\n"
				    "          command: [python, app.py]\n"),
	};
	struct cg_model m;
	size_t n = sizeof(files) / sizeof(files[0]), api;
	const struct cg_env_fact *e;
	const struct cg_file_ref *ref;

	(void)state;
	build(&m, files, n, CG_LAYER_FULL);
	assert_true(has_note(&m, "overlays/prod/patches/replicas.yaml: a "
				 "Kustomize patch, skipped"));
	assert_true(has_note(&m, "patches/env.yaml: a Kustomize patch, "
				 "skipped"));
	assert_int_equal(m.nnotes, 2);
	assert_int_equal(scope_named(&m, CG_SCOPE_K8S_CONTAINER, "patched"),
			 CG_NO_SCOPE);
	api = scope_named(&m, CG_SCOPE_K8S_CONTAINER, "api");
	assert_int_not_equal(api, CG_NO_SCOPE);
	/* the generated ConfigMap is what envFrom names */
	e = cg_env_lookup(&m, api, "PYTHONUNBUFFERED");
	assert_non_null(e);
	assert_string_equal(e->value, "1");
	assert_ptr_equal(e->src,
			 cg_model_find_src(&m, "base/kustomization.yaml"));
	assert_pos(&e->pos, 5, 9);
	assert_string_equal(cg_env_lookup(&m, api, "MODE")->value, "prod=ok");
	e = cg_env_lookup(&m, api, "WORKERS");
	assert_non_null(e);
	assert_string_equal(e->value, "4");
	assert_ptr_equal(e->src, cg_model_find_src(&m, "base/api.env"));
	assert_pos(&e->pos, 2, 1);
	/* the generator's files are references */
	assert_int_equal(m.facts.nfile_refs, 2);
	assert_string_equal(m.facts.file_refs[0].path, "conf/app.ini");
	ref = &m.facts.file_refs[1];
	assert_int_equal(ref->kind, CG_REF_K8S_FILE);
	assert_string_equal(ref->path, "base/api.env");
	assert_true(ref->required);
	assert_pos(&ref->pos, 7, 12);
	cg_model_release(&m);
}

static void test_k8s__quick_layer_reads_no_manifest(void **state)
{
	static const struct cg_mem_file files[] = {
	    MEM("deploy/app.yaml", deploy),
	};
	struct cg_model m;

	(void)state;
	build(&m, files, 1, CG_LAYER_QUICK);
	assert_int_equal(m.nfiles, 0);
	assert_int_equal(m.facts.nscopes, 0);
	cg_model_release(&m);
}

/* Odd shapes: never a crash, never a row without a name. */
static void test_k8s__malformed_manifests(void **state)
{
	static const struct cg_mem_file files[] = {
	    MEM("odd.yaml", "apiVersion: v1\n"
			    "kind: Pod\n"
			    "metadata: [not, a, map]\n"
			    "spec:\n"
			    "  containers:\n"
			    "    - just-a-string\n"
			    "    - name: c\n"
			    "      command: python app.py\n"
			    "      args: {a: b}\n"
			    "      env: [{value: x}, {name: ''}, {name: A, "
			    "valueFrom: {secretKeyRef: {}}}, 7]\n"
			    "      envFrom: [{configMapRef: {}}, {prefix: P}]\n"
			    "---\n"
			    "apiVersion: v1\n"
			    "kind: Service\n"
			    "metadata: {name: svc}\n"
			    "spec: {ports: [{port: http}, {port: 99999}, 8], "
			    "selector: {app: [x]}}\n"
			    "---\n"
			    "apiVersion: v1\n"
			    "kind: Secret\n"
			    "data: {orphan: eA==}\n"
			    "---\n"
			    "- apiVersion: v1\n"
			    "  kind: Pod\n")};
	struct cg_model m;
	size_t c;

	(void)state;
	build(&m, files, 1, CG_LAYER_FULL);
	c = scope_named(&m, CG_SCOPE_K8S_CONTAINER, "c");
	assert_int_not_equal(c, CG_NO_SCOPE);
	assert_null(process_in(&m, c));
	assert_string_equal(cg_env_lookup(&m, c, "A")->ref, "secret//");
	assert_int_equal(m.facts.nenv, 1);
	assert_int_equal(service(&m, "svc")->nports, 0);
	assert_int_equal(service(&m, "svc")->kind, CG_SERVICE_OTHER);
	assert_int_equal(scope_named(&m, CG_SCOPE_K8S_CONFIG, ""), CG_NO_SCOPE);
	cg_model_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_k8s__workload_env_processes_and_service),
	    cmocka_unit_test(test_k8s__config_and_secret_keys),
	    cmocka_unit_test(test_k8s__cronjob_job_pod_and_list),
	    cmocka_unit_test(test_k8s__helm_and_other_yaml_are_not_read),
	    cmocka_unit_test(test_k8s__kustomize),
	    cmocka_unit_test(test_k8s__quick_layer_reads_no_manifest),
	    cmocka_unit_test(test_k8s__malformed_manifests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
