"""What made a result: the hash of the code a step actually runs, the commit and the library versions.

``code_hash(fn)`` follows, from the source of ``fn``, every name it uses that resolves to something of
the ``sal`` package (functions, classes, Numba kernels, module constants, names imported inside the
function) and hashes the source of all of them. A workflow rule carries that hash as a parameter, so
editing a plot function reruns only its figure, editing a kernel reruns the simulations that call it,
and editing anything else reruns nothing. Code that is reached only dynamically (a name built from a
string) is invisible to this analysis: the package imports what it runs by name.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib
import importlib.util
import inspect
import platform
import subprocess
import sys
import textwrap
import types
from pathlib import Path

PACKAGE = "sal"
_PACKAGE_DIR = Path(__file__).resolve().parent
LIBRARIES = ("numpy", "numba", "scipy", "xarray", "h5py", "h5netcdf")


def _in_package(obj) -> bool:
    module = obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", None)
    return isinstance(module, str) and (module == PACKAGE or module.startswith(PACKAGE + "."))


def _unwrap(obj):
    """The Python function behind a Numba dispatcher, a partial, a static/class method or a decorator (the
    class behind a bound class method)."""
    for _ in range(10):
        if hasattr(obj, "py_func"):  # numba.njit dispatcher
            obj = obj.py_func
        elif isinstance(obj, functools.partial):
            obj = obj.func
        elif isinstance(obj, (staticmethod, classmethod)):
            obj = obj.__func__
        elif isinstance(obj, types.MethodType):  # Model.check: the class (its fields are the code), else the function
            obj = obj.__self__ if isinstance(obj.__self__, type) else obj.__func__
        elif hasattr(obj, "__wrapped__"):
            obj = obj.__wrapped__
        else:
            return obj
    return obj


def _references(tree: ast.AST, namespace: dict, module_name: str):
    """(name, object) of every global name in ``tree`` that ``namespace`` resolves, following
    ``module.attr`` chains, and of names imported inside function bodies."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            chain = []
            while isinstance(node, ast.Attribute):
                chain.append(node.attr)
                node = node.value
            if isinstance(node, ast.Name) and node.id in namespace:
                obj, name = namespace[node.id], node.id
                if isinstance(obj, types.ModuleType) and not _in_package(obj):
                    continue  # numpy.exp, sys.stderr, ...: other libraries (their versions are recorded)
                for attr in reversed(chain):  # follow module.attr chains as far as they go
                    if not (isinstance(obj, types.ModuleType) and hasattr(obj, attr)):
                        break
                    obj, name = getattr(obj, attr), f"{obj.__name__}.{attr}"
                found.append((name, obj))
        elif isinstance(node, ast.Name) and node.id in namespace:
            found.append((node.id, namespace[node.id]))
        elif isinstance(node, ast.ImportFrom):
            base = importlib.util.resolve_name("." * node.level + (node.module or ""),
                                               module_name.rpartition(".")[0]) if node.level else node.module
            if base and (base == PACKAGE or base.startswith(PACKAGE + ".")):
                module = importlib.import_module(base)
                for alias in node.names:
                    obj = getattr(module, alias.name, None)
                    found.append((alias.name, obj if obj is not None else
                                  importlib.import_module(f"{base}.{alias.name}")))
    return found


def _parse(source: str) -> ast.AST:
    return ast.parse(textwrap.dedent(source))


def _value(value, seen: dict) -> str:
    """A stable text for a constant (visiting the code objects it holds), so that editing a module
    constant a function reads changes the hash too."""
    value = _unwrap(value)
    if isinstance(value, (types.FunctionType, type, types.ModuleType)):
        _visit(value, seen)
        return f"<{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', value.__name__)}>"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_value(k, seen)}: {_value(v, seen)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(map(repr, value)) if isinstance(value, (set, frozenset)) else value
        return f"{type(value).__name__}(" + ", ".join(_value(v, seen) for v in items) + ")"
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        return repr(value)
    if isinstance(value, Path) and value.is_file() and _PACKAGE_DIR in value.resolve().parents:
        return f"<file {value.name}: {hashlib.sha256(value.read_bytes()).hexdigest()}>"  # e.g. the style
    if _in_package(type(value)):  # an instance of one of our classes (e.g. a registry entry)
        _visit(type(value), seen)
        return f"{type(value).__qualname__}({_value(getattr(value, '__dict__', {}), seen)})"
    return "<object>"  # another library's object (a logger, a ufunc): its state is not the code


def _visit(obj, seen: dict) -> None:
    """Add the source of ``obj`` (if it is code of the package) and of everything it uses to ``seen``."""
    obj = _unwrap(obj)
    if not isinstance(obj, (types.FunctionType, type, types.ModuleType)) or not _in_package(obj):
        return
    if isinstance(obj, types.ModuleType):
        if obj.__name__ not in seen:
            seen[obj.__name__] = Path(obj.__file__).read_text() if getattr(obj, "__file__", None) else ""
        return
    key = f"{obj.__module__}.{obj.__qualname__}"
    if key in seen:
        return
    source = inspect.getsource(obj)
    seen[key] = source
    if isinstance(obj, type):
        namespace = vars(sys.modules[obj.__module__])
        extra = list(obj.__mro__[1:])
    else:
        namespace = dict(obj.__globals__)
        if obj.__closure__:
            namespace.update((name, cell.cell_contents) for name, cell in
                             zip(obj.__code__.co_freevars, obj.__closure__) if _cell_filled(cell))
        extra = list(obj.__defaults__ or ()) + list((obj.__kwdefaults__ or {}).values())
    for name, ref in _references(_parse(source), namespace, obj.__module__):
        ref = _unwrap(ref)
        if isinstance(ref, (types.FunctionType, type, types.ModuleType)):
            _visit(ref, seen)
        elif name == "__file__":  # where the checkout lies does not change what the code computes
            seen.setdefault(f"{obj.__module__}:{name}", repr(Path(ref).resolve().relative_to(_PACKAGE_DIR).as_posix()))
        elif not isinstance(ref, types.BuiltinFunctionType):
            seen.setdefault(f"{obj.__module__}:{name}", _value(ref, seen))
    for ref in extra:
        _value(ref, seen)


def _cell_filled(cell) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def code_sources(*objects) -> dict[str, str]:
    """{qualified name: source} of everything of the package that ``objects`` run (see module doc)."""
    seen: dict[str, str] = {}
    for i, obj in enumerate(objects):
        if isinstance(_unwrap(obj), (types.FunctionType, type, types.ModuleType)):
            _visit(obj, seen)
        elif obj is not None:  # data that decides the result, e.g. a table of the paper's values
            seen[f"<argument {i}>"] = _value(obj, seen)
    return seen


def code_hash(*objects) -> str:
    """A short hash of the source of everything of the package that ``objects`` run."""
    digest = hashlib.sha256()
    for name, source in sorted(code_sources(*objects).items()):
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(source.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


@functools.lru_cache(maxsize=1)
def git_commit() -> str:
    """The commit of the checkout the package is imported from ('+dirty' with local changes), or ''."""
    root = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                timeout=10)
        if commit.returncode != 0:
            return ""
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return commit.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def versions() -> dict[str, str]:
    """Versions of Python and of the numerical libraries a result depends on."""
    out = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            out[name] = importlib.import_module(name).__version__
        except ImportError:
            out[name] = "absent"
    return out


def attributes(code: str) -> dict[str, str]:
    """Global attributes of a result file made by the code with hash ``code``: that hash, the commit and
    the library versions."""
    return {"sal_code": code, "sal_commit": git_commit(),
            **{f"version_{name}": value for name, value in versions().items()}}
