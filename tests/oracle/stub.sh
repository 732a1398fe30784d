#!/bin/sh
# The stub behind every command name the oracle puts first on PATH
# (tests/oracle/run.py links each name to a copy of this file).
#
#  - A critical invocation (a test run or a migration: pytest, python -m
#    pytest, make test, npm test, go test, alembic upgrade, ...) takes the
#    next number under flock (background jobs race), logs it, and exits 0 --
#    except the invocation whose number is in $STATE/fail_at, which exits
#    with the code in $STATE/fail_code.
#  - A wrapper (docker run/exec, docker compose run/exec, kubectl exec,
#    poetry/uv/pipenv run, npx, sudo, coverage run) runs, right here, the
#    command it wraps, so the wrapped command meets these stubs too and its
#    status comes back the way the wrapper would return it.
#  - Anything else (pytest --version, pip, curl, coverage xml, docker
#    compose logs, ...) succeeds and does nothing.
# Stub output goes to stderr only, so pipes downstream see no text.
STATE=@STATE@
name=${0##*/}

record() {
	exec 9>>"$STATE/lock"
	/usr/bin/flock 9
	read -r n <"$STATE/count"
	n=$((n + 1))
	echo "$n" >"$STATE/count"
	printf '%s %s\n' "$n" "$name $*" >>"$STATE/log"
	exec 9>&-
	read -r k <"$STATE/fail_at"
	if [ "$n" = "$k" ]; then
		read -r code <"$STATE/fail_code"
		echo "stub $name: FAILED (invocation $n, exit $code)" >&2
		exit "$code"
	fi
	echo "stub $name: passed (invocation $n)" >&2
	exit 0
}

# is_crit NAME ARGS...: whether NAME ARGS... starts a critical invocation
is_crit() {
	c=${1##*/}
	shift
	case $c in
	pytest | py.test | tox | nox | ctest | ciguard)
		case ${1-} in --version | -V | --help | -h) return 1 ;; esac
		return 0 ;;
	python | python3 | python3.[0-9]*)
		while [ $# -gt 0 ]; do
			case $1 in
			-m)
				case ${2-} in
				pytest | unittest | tox | nox)
					case ${3-} in --version | -V | --help | -h) return 1 ;; esac
					return 0 ;;
				esac
				return 1 ;;
			-W | -X) shift 2 ;;
			-c) return 1 ;;
			-*) shift ;;
			*manage.py)
				case ${2-} in test | migrate) return 0 ;; esac
				return 1 ;;
			*) return 1 ;;
			esac
		done
		return 1 ;;
	npm | yarn | pnpm)
		while [ $# -gt 0 ]; do
			case $1 in
			--prefix | --cwd | -C | -w | --workspace | --filter | --dir) shift 2 ;;
			-*) shift ;;
			test | t) return 0 ;;
			test:*) [ "$c" != npm ] && return 0
				return 1 ;;
			prisma)
				[ "$c" != npm ] && [ "${2-}" = migrate ] && return 0
				return 1 ;;
			run | run-script)
				case ${2-} in test | test:*) return 0 ;; esac
				return 1 ;;
			*) return 1 ;;
			esac
		done
		return 1 ;;
	make)
		for a; do
			case $a in test | check) return 0 ;; esac
		done
		return 1 ;;
	go | cargo)
		while [ $# -gt 0 ]; do
			case $1 in
			+* | -*) shift ;;
			test) return 0 ;;
			*) return 1 ;;
			esac
		done
		return 1 ;;
	alembic)
		for a; do
			[ "$a" = upgrade ] && return 0
		done
		return 1 ;;
	flask)
		[ "${1-}" = db ] && [ "${2-}" = upgrade ] && return 0
		return 1 ;;
	prisma)
		[ "${1-}" = migrate ] && [ "${2-}" != status ] && return 0
		return 1 ;;
	esac
	return 1
}

# extra_crit ARGS...: the critical commands a case adds (one per line in
# $STATE/extra, e.g. "make integration"), matched as a word prefix
extra_crit() {
	[ -s "$STATE/extra" ] || return 1
	line="$name $*"
	while IFS= read -r pat; do
		[ -n "$pat" ] || continue
		case $line in "$pat" | "$pat "*) return 0 ;; esac
	done <"$STATE/extra"
	return 1
}

run_inner() {
	[ $# -gt 0 ] || exit 0
	exec "$@"
}

# the options of `docker run/exec` and `compose run/exec` that take a value
takes_value() {
	case $1 in
	-e | --env | --env-file | -v | --volume | -w | --workdir | --name | \
		--network | --net | -p | --publish | -u | --user | --entrypoint | \
		-l | --label | --mount | --add-host | --cpus | -m | --memory | \
		--platform | --pull | --hostname | -h | --shm-size | --ulimit | \
		--cap-add | --cap-drop | --tmpfs | --device | --gpus | --dns | \
		--link | --log-driver | --ipc | --pid | --security-opt | \
		--stop-signal | --restart | --cidfile | --volumes-from | \
		--group-add | --runtime | --detach-keys | --index) return 0 ;;
	esac
	return 1
}

# run_or_exec ARGS...: ARGS follow `run` or `exec`; skip the options and the
# image/service/container, run the rest
run_or_exec() {
	while [ $# -gt 0 ]; do
		case $1 in
		--*=*) shift ;;
		--) shift; break ;;
		-*)
			if takes_value "$1"; then shift 2; else shift; fi ;;
		*) break ;;
		esac
	done
	[ $# -gt 0 ] || exit 0
	shift
	run_inner "$@"
}

compose() {
	while [ $# -gt 0 ]; do
		case $1 in
		--*=*) shift ;;
		-f | --file | -p | --project-name | --env-file | --profile | \
			--project-directory | --ansi | --progress | --parallel) shift 2 ;;
		-*) shift ;;
		*) break ;;
		esac
	done
	sub=${1-}
	[ $# -gt 0 ] && shift
	case $sub in
	run | exec) run_or_exec "$@" ;;
	esac
	exit 0
}

case $name in
docker | podman)
	while [ $# -gt 0 ]; do
		case $1 in
		-H | --host | -c | --context | --config | -l | --log-level) shift 2 ;;
		-*) shift ;;
		*) break ;;
		esac
	done
	sub=${1-}
	[ $# -gt 0 ] && shift
	case $sub in
	compose) compose "$@" ;;
	run | exec) run_or_exec "$@" ;;
	container)
		sub=${1-}
		[ $# -gt 0 ] && shift
		case $sub in run | exec) run_or_exec "$@" ;; esac ;;
	esac
	exit 0 ;;
docker-compose | podman-compose)
	compose "$@" ;;
kubectl)
	case ${1-} in exec | run) ;; *) exit 0 ;; esac
	while [ $# -gt 0 ]; do
		[ "$1" = -- ] && { shift; run_inner "$@"; }
		shift
	done
	exit 0 ;;
poetry | pipenv | pdm | hatch)
	[ "${1-}" = run ] || exit 0
	shift
	run_inner "$@" ;;
uv)
	[ "${1-}" = run ] || exit 0
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		--*=*) shift ;;
		--with | --python | -p | --extra | --group | --package | \
			--directory | --project | --env-file | --index) shift 2 ;;
		--) shift; break ;;
		-*) shift ;;
		*) break ;;
		esac
	done
	run_inner "$@" ;;
npx)
	while [ $# -gt 0 ]; do
		case $1 in -p | --package) shift 2 ;; -*) shift ;; *) break ;; esac
	done
	run_inner "$@" ;;
sudo)
	while [ $# -gt 0 ]; do
		case $1 in -u | -g) shift 2 ;; -*) shift ;; *) break ;; esac
	done
	run_inner "$@" ;;
coverage)
	[ "${1-}" = run ] || exit 0
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		--*=*) shift ;;
		--rcfile | --source | --omit | --include | --context | \
			--data-file | --concurrency) shift 2 ;;
		-m) break ;;
		-*) shift ;;
		*) break ;;
		esac
	done
	run_inner python "$@" ;;
esac

if is_crit "$name" "$@" || extra_crit "$@"; then
	record "$@"
fi
# a report converter reads the whole pipe, as the real one does
case $name in go-junit-report) /usr/bin/cat >/dev/null ;; esac
exit 0
