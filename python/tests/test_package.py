"""The package itself: its structures match the C header, and the library
is found where the documentation says (without a redis-server)."""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from ciguard import _native

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir,
                    os.pardir)
PACKAGE = os.path.join(ROOT, "python", "ciguard")


def test_structures_match_the_header(tmp_path):
    """Compile include/ciguard/limiter.h and compare sizes and offsets."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.fail("no C compiler (build-essential)")
    prog = tmp_path / "layout.c"
    prog.write_text(textwrap.dedent("""\
        #include <stddef.h>
        #include <stdio.h>
        #include "ciguard/limiter.h"
        #define F(s, f) printf(#s "." #f " %zu %zu\\n", \\
                offsetof(struct s, f), sizeof(((struct s *)0)->f))
        int main(void)
        {
        	printf("cg_limit_token %zu\\n", sizeof(struct cg_limit_token));
        	printf("cg_limiter_options %zu\\n",
        	       sizeof(struct cg_limiter_options));
        	F(cg_limit_token, id); F(cg_limit_token, fence);
        	F(cg_limit_token, fail_open);
        	F(cg_limiter_options, redis_url); F(cg_limiter_options, ttl_ms);
        	F(cg_limiter_options, connect_timeout_ms);
        	F(cg_limiter_options, command_timeout_ms);
        	F(cg_limiter_options, fail_open);
        	F(cg_limiter_options, ca_file);
        	printf("CG_LIMIT_TOKEN_MAX %d\\n", CG_LIMIT_TOKEN_MAX);
        	printf("CG_LIMIT_ERROR %d\\n", (int)CG_LIMIT_ERROR);
        	return 0;
        }
        """))
    exe = tmp_path / "layout"
    subprocess.run([cc, "-std=c11", "-I", os.path.join(ROOT, "include"),
                    str(prog), "-o", str(exe)], check=True)
    got = subprocess.run([str(exe)], check=True, capture_output=True,
                         text=True).stdout.split("\n")
    want = [
        f"cg_limit_token {ctypes.sizeof(_native.LimitToken)}",
        f"cg_limiter_options {ctypes.sizeof(_native.LimiterOptions)}",
    ]
    for struct, name in (("cg_limit_token", _native.LimitToken),
                         ("cg_limiter_options", _native.LimiterOptions)):
        for field, ftype in name._fields_:  # type: ignore[misc]
            want.append(f"{struct}.{field} {getattr(name, field).offset} "
                        f"{ctypes.sizeof(ftype)}")
    want.append(f"CG_LIMIT_TOKEN_MAX {_native.TOKEN_MAX}")
    want.append(f"CG_LIMIT_ERROR {_native.ERROR}")
    assert [line for line in got if line] == want


def load_in_child(env: dict[str, str], cwd: str) -> subprocess.CompletedProcess[str]:
    code = ("from ciguard import _native; lib = _native.library(); "
            "print(lib._name)")
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env,
                          capture_output=True, text=True)


def test_library_lookup(tmp_path):
    built = os.environ.get("CIGUARD_LIBRARY")
    assert built and os.path.exists(built), "run with CIGUARD_LIBRARY set"
    env = {k: v for k, v in os.environ.items()
           if k not in ("CIGUARD_LIBRARY", "PYTHONPATH", "LD_LIBRARY_PATH")}
    # a copy of the package with the library next to it
    pkg = tmp_path / "site" / "ciguard"
    shutil.copytree(PACKAGE, pkg, ignore=shutil.ignore_patterns(
        "__pycache__", "*.so*"))
    r = load_in_child(env, str(tmp_path / "site"))
    assert r.returncode != 0 and "cannot load libciguard" in r.stderr
    assert "libciguard.so.0" in r.stderr
    shutil.copy(built, pkg / "libciguard.so.0")
    r = load_in_child(env, str(tmp_path / "site"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(pkg / "libciguard.so.0")
    # CIGUARD_LIBRARY comes first, and is the only place looked at
    r = load_in_child(dict(env, CIGUARD_LIBRARY=str(tmp_path / "none.so")),
                      str(tmp_path / "site"))
    assert r.returncode != 0 and "none.so" in r.stderr
    r = load_in_child(dict(env, CIGUARD_LIBRARY=built), str(tmp_path / "site"))
    assert r.returncode == 0 and r.stdout.strip() == built
    # the system loader (here through LD_LIBRARY_PATH)
    os.remove(pkg / "libciguard.so.0")
    libdir = tmp_path / "lib"
    libdir.mkdir()
    shutil.copy(built, libdir / "libciguard.so.0")
    r = load_in_child(dict(env, LD_LIBRARY_PATH=str(libdir)),
                      str(tmp_path / "site"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "libciguard.so.0"


def test_pip_install_offline(tmp_path):
    """`pip install ./python --no-build-isolation` with Debian's setuptools,
    offline, bundling the library when CIGUARD_BUNDLE_LIBRARY names it."""
    pip = subprocess.run([sys.executable, "-m", "pip", "--version"],
                         capture_output=True)
    if pip.returncode != 0:
        pytest.skip("no pip for this python3 (python3-pip)")
    src = tmp_path / "src"
    shutil.copytree(os.path.join(ROOT, "python"), src,
                    ignore=shutil.ignore_patterns("__pycache__", "build",
                                                  "*.egg-info", "*.so*"))
    env = {k: v for k, v in os.environ.items()
           if k not in ("CIGUARD_LIBRARY", "PYTHONPATH")}
    env["CIGUARD_BUNDLE_LIBRARY"] = os.environ["CIGUARD_LIBRARY"]
    env["PIP_NO_INDEX"] = "1"
    target = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                        "--no-build-isolation", "--no-deps", "--no-cache-dir",
                        "--target", str(target), str(src)],
                       env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    installed = target / "ciguard"
    assert (installed / "py.typed").exists()
    assert (installed / "libciguard.so.0").exists()
    del env["CIGUARD_BUNDLE_LIBRARY"]
    r = load_in_child(env, str(target))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(installed / "libciguard.so.0")
