# -*- Python -*-
import os
import shutil

import lit.formats
from lit.llvm import llvm_config

config.name = "TinyFormer"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.tf_obj_root, "test")
config.excludes = ["fixtures", "Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]

llvm_config.use_default_substitutions()
# `not` at the start of a RUN line is found through PATH.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(
    ["tf-opt", "tf-translate", "tinyformer", "tinyformer-cost-layers"],
    [config.tf_tools_dir, config.llvm_tools_dir])

# Ours, not lit's own interpreter: Debian's python3 with numpy.
config.substitutions.insert(0, ("%python", config.python_executable))
config.substitutions.append(
    ("%fixtures", os.path.join(config.tf_src_root, "test", "fixtures")))
config.substitutions.append(("%tf_tools", config.tf_tools_dir))
config.substitutions.append(("%tf_build", config.tf_obj_root))
config.substitutions.append(("%tf_src", config.tf_src_root))
# The Python bindings (python/bindings; not in sanitized builds).
import glob
if glob.glob(os.path.join(config.tf_obj_root, "python", "tinyformer", "_tinyformer*.so")):
    config.available_features.add("python-bindings")
# The dialect-and-passes plugin for stock mlir-opt (tools/tinyformer-plugin).
config.substitutions.append(
    ("%tf_plugin", os.path.join(config.tf_obj_root, "lib", "TinyFormerPlugin.so")))
config.substitutions.append(
    ("%mlir_opt", os.path.join(config.llvm_tools_dir, "mlir-opt")))
config.substitutions.append(
    ("%examples", os.path.join(config.tf_src_root, "examples")))
config.substitutions.append(
    ("%runtime", os.path.join(config.tf_src_root, "runtime")))
config.substitutions.append(
    ("%pytools", os.path.join(config.tf_src_root, "python", "tools")))
config.substitutions.append(
    ("%ort_run", "node " + os.path.join(config.tf_src_root, "tools", "ort-run",
                                        "ort-run.mjs")))

# Stock mlir-opt loads the plugin only when neither is sanitized (an ASan
# plugin needs the ASan runtime loaded before the tool).
if not config.tf_sanitizer and os.path.exists(
        os.path.join(config.llvm_tools_dir, "mlir-opt")):
    config.available_features.add("mlir-opt-plugin")

# Accuracy checks need the Fashion-MNIST test set (dataset-fashion-mnist).
if os.path.isdir("/usr/share/datasets/fashion-mnist"):
    config.available_features.add("fashion-mnist")

# ONNX Runtime comparisons need node and onnxruntime-node (the README's
# set-up installs both); without them those tests are reported unsupported.
if shutil.which("node") and os.path.isdir(
        os.path.join(config.tf_node_modules, "onnxruntime-node")):
    config.available_features.add("ort")
