# ciguard: a thin driver over CMake. `make run` and `make test` work on a fresh
# Debian machine: each installs what is missing first (scripts/deps.sh).
BUILD      ?= build
TESTBUILD  ?= build-test
FUZZBUILD  ?= build-fuzz
COVBUILD   ?= build-cov
PREFIX     ?= /usr/local
PYTHON     ?= python3
PIP_FLAGS  ?=
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60

.PHONY: all build run test coverage deps fuzz bench install uninstall install-python clean format alloc-fail oracle-wiremock

all: build

# the libraries CMakeLists.txt asks pkg-config for
LIBS = yaml-0.1 jansson hiredis libpq libcurl libpcre2-8 'openssl >= 3.0'

build:
	@command -v cmake >/dev/null && pkg-config --exists $(LIBS) 2>/dev/null || scripts/deps.sh build
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCIGUARD_TESTS=OFF >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

deps:
	scripts/deps.sh build

run:
	scripts/deps.sh build
	$(MAKE) build
	@echo '--- ciguard check examples/broken-service (exit 1 = findings, as intended) ---'
	./$(BUILD)/ciguard check examples/broken-service; rc=$$?; \
	  echo "--- exit status $$rc ---"; test $$rc -le 1

test:
	scripts/deps.sh test
	cmake -S . -B $(TESTBUILD) -DCMAKE_BUILD_TYPE=Debug -DCIGUARD_SANITIZE=ON -DCIGUARD_WERROR=ON >/dev/null
	cmake --build $(TESTBUILD) -j $(JOBS)
	cd $(TESTBUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS)

# the recorded verdicts of tests/oracle/wiremock_cases.txt against the real
# WireMock (java, and the npm package wiremock for the jar, cached in
# $(BUILD)/wiremock-cache); RECORD=1 rewrites the stale ones
oracle-wiremock:
	@command -v java >/dev/null && command -v npm >/dev/null || \
	  { echo "oracle-wiremock needs java (17+) and npm" >&2; exit 2; }
	BUILD=$(BUILD) $(PYTHON) tests/oracle/wiremock.py --real $(if $(RECORD),--record)

# line and branch coverage of src/ by the tests of `make test` (without the
# sanitizers): the ciguard program, libciguard.so under the Python tests
# and the test programs all write their .gcda files into $(COVBUILD),
# zeroed first. Per file, weakest last, then the totals; the report comes
# out even when a test fails, and the target fails then too, or below 85 %
# of the lines of src/.
coverage:
	scripts/deps.sh test
	scripts/deps.sh coverage
	cmake -S . -B $(COVBUILD) -DCMAKE_BUILD_TYPE=Debug -DCIGUARD_COVERAGE=ON -DCIGUARD_WERROR=ON -DCIGUARD_BENCH=OFF >/dev/null
	cmake --build $(COVBUILD) -j $(JOBS)
	find $(COVBUILD) -name '*.gcda' -delete
	rc=0; (cd $(COVBUILD) && ctest --output-on-failure -j $(JOBS)) || rc=$$?; \
	gcovr -r . --object-directory $(COVBUILD) --filter src/ \
	  --json $(COVBUILD)/coverage.json && \
	gcovr -r . -a $(COVBUILD)/coverage.json --txt --sort-percentage && \
	gcovr -r . -a $(COVBUILD)/coverage.json --txt --branches \
	  --sort-percentage --print-summary --fail-under-line 85 || rc=1; \
	exit $$rc

# every N of the allocation-failure sweep (tests/alloc/run.sh, issue 15) on
# make test's sanitizer build; make test itself runs a sample
alloc-fail:
	scripts/deps.sh test
	cmake -S . -B $(TESTBUILD) -DCMAKE_BUILD_TYPE=Debug -DCIGUARD_SANITIZE=ON -DCIGUARD_WERROR=ON -DCIGUARD_ALLOC_FAIL=ON >/dev/null
	cmake --build $(TESTBUILD) -j $(JOBS) --target ciguard
	sh tests/alloc/run.sh $(TESTBUILD)/ciguard .

fuzz:
	scripts/deps.sh fuzz
	CC=clang cmake -S . -B $(FUZZBUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCIGUARD_FUZZ=ON -DCIGUARD_TESTS=OFF >/dev/null
	cmake --build $(FUZZBUILD) -j $(JOBS)
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZBUILD=$(FUZZBUILD) fuzz/run.sh

bench:
	scripts/deps.sh bench
	$(MAKE) build
	bench/run.sh $(BUILD)/ciguard $(BUILD)/limiter_bench

# the prefix goes in at configure time too: ciguard.pc names it
install: build
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)
	cmake --install $(BUILD)

# exactly the files the last install wrote (CMake's list of them), and the
# headers' folder when that leaves it empty
uninstall:
	@test -f $(BUILD)/install_manifest.txt || { echo "make uninstall: $(BUILD)/install_manifest.txt is missing: nothing was installed from $(BUILD)" >&2; exit 1; }
	xargs -d '\n' rm -fv <$(BUILD)/install_manifest.txt
	@sed -n 's|/ciguard/[^/]*\.h$$|/ciguard|p' $(BUILD)/install_manifest.txt | sort -u | xargs -r rmdir --ignore-fail-on-non-empty
	rm -f $(BUILD)/install_manifest.txt

# The Python package, with a copy of libciguard.so.0 inside it, into
# $(PYTHON)'s environment, offline (Debian's setuptools, no build
# isolation). Debian's own python3 refuses to install outside a virtualenv:
# use PYTHON=venv/bin/python, or PIP_FLAGS=--user / --prefix DIR.
install-python: build
	CIGUARD_BUNDLE_LIBRARY=$(CURDIR)/$(BUILD)/libciguard.so.0 \
	  $(PYTHON) -m pip install --no-build-isolation --no-deps --no-index \
	  $(PIP_FLAGS) ./python

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(TESTBUILD) $(FUZZBUILD) $(COVBUILD)
