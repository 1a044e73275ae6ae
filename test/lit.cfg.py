# lit configuration for mlopt: IR, pass and tool tests run with FileCheck.
import os

import lit.formats

config.name = "mlopt"
# The internal shell: portable, and what newer lit releases require.
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.mlopt_binary_dir, "test")
# pytest and GoogleTest suites live beside the lit tests; lit skips them.
config.excludes = ["python", "unittests", "CMakeLists.txt", "lit.cfg.py"]

# Our tools first, then FileCheck, not and count from LLVM.
config.environment["PATH"] = os.pathsep.join(
    [config.mlopt_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")]
)
config.substitutions.append(("%mlopt_src", config.mlopt_source_dir))

# Compiled-code caches of the tests live in the build tree, not in ~/.cache.
config.environment["MLOPT_CACHE_DIR"] = os.path.join(config.mlopt_binary_dir, "test", "cache")

# Tests of generated vector code need the host's AVX2.
try:
    with open("/proc/cpuinfo") as cpuinfo:
        if " avx2" in cpuinfo.read():
            config.available_features.add("avx2")
except OSError:
    pass
