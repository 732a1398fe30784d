"""setuptools hook: with CIGUARD_BUNDLE_LIBRARY=PATH (``make install-python``
sets it), a copy of that libciguard.so goes into the package as
ciguard/libciguard.so.0, where the package looks first after
$CIGUARD_LIBRARY; the wheel is then tagged for this platform. Without it,
the package finds the library through the system loader."""

import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

BUNDLE = os.environ.get("CIGUARD_BUNDLE_LIBRARY")


class BuildPy(build_py):
    def run(self) -> None:
        super().run()
        if BUNDLE:
            dest = os.path.join(self.build_lib, "ciguard", "libciguard.so.0")
            self.mkpath(os.path.dirname(dest))
            shutil.copyfile(BUNDLE, dest)
            os.chmod(dest, 0o755)


class BinaryDistribution(Distribution):
    def has_ext_modules(self) -> bool:
        return bool(BUNDLE)


if BUNDLE and not os.path.isfile(BUNDLE):
    raise SystemExit(f"CIGUARD_BUNDLE_LIBRARY: no such file: {BUNDLE}")
setup(cmdclass={"build_py": BuildPy}, distclass=BinaryDistribution)
