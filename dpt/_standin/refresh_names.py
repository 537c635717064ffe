"""Regenerate names.json, the exact public names of real CuPy that the stand-in mirrors.

Run with a Python that has the real cupy installed (a GPU is not needed; the NCCL and
cuRAND names need their libraries, e.g. the nvidia-nccl-cu12 and nvidia-curand-cu12
wheels, to import):

    python -m venv /tmp/cupyvenv
    /tmp/cupyvenv/bin/pip install cupy-cuda12x cuda-pathfinder nvidia-nccl-cu12 nvidia-curand-cu12
    /tmp/cupyvenv/bin/python dpt/_standin/refresh_names.py > dpt/_standin/names.json

This file imports only cupy and the standard library, so that it runs outside dpt's
environment.
"""
import importlib
import inspect
import json
import sys
import types
import warnings

MODULES = ["cupy", "cupy.cuda", "cupy.cuda.runtime", "cupy.cuda.nccl", "cupy.cuda.curand",
           "cupy.random", "cupy.linalg", "cupy.fft", "cupy.lib", "cupy.lib.stride_tricks",
           "cupyx", "cupyx.scipy",
           "cupyx.scipy.special"]
CLASSES = ["cupy.ndarray", "cupy.ufunc", "cupy.cuda.Device", "cupy.cuda.Stream",
           "cupy.cuda.Event", "cupy.cuda.MemoryPointer", "cupy.cuda.MemoryPool",
           "cupy.cuda.PinnedMemoryPool", "cupy.cuda.PinnedMemoryPointer",
           "cupy.random.RandomState", "cupy.random.Generator",
           "cupy.cuda.nccl.NcclCommunicator"]


def kind(obj):
    """'module', 'class', 'function', or a constant's value (JSON scalars only)."""
    if isinstance(obj, types.ModuleType):
        return "module"
    if inspect.isclass(obj):
        return "class"
    if callable(obj):
        return "function"
    if isinstance(obj, (bool, int, float, str)) and not isinstance(obj, type):
        return {"value": obj}
    return "constant"


def resolve(dotted):
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for p in parts[i:]:
            obj = getattr(obj, p)
        return obj
    raise ImportError(dotted)


def main():
    warnings.simplefilter("ignore")
    import cupy

    out = {"cupy_version": cupy.__version__, "modules": {}, "classes": {}}
    for name in MODULES:
        mod = resolve(name)
        out["modules"][name] = {n: kind(getattr(mod, n)) for n in sorted(dir(mod))
                                if not n.startswith("_") and hasattr(mod, n)}
    for name in CLASSES:
        cls = resolve(name)
        out["classes"][name] = sorted(n for n in dir(cls)
                                      if not n.startswith("_") or (n.startswith("__") and n.endswith("__")))
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
