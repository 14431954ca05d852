"""The package's layers: every import inside sklearn_palsy points downwards.

docs/architecture.rst describes the layers; this test reads every module's
imports (statically, with :mod:`ast`) and fails on any that points to the
same layer or above, so the page and the code cannot drift apart.
"""

import ast
import re
from pathlib import Path

import sklearn_palsy

PACKAGE = Path(sklearn_palsy.__file__).parent

# Bottom to top; a unit may import only from units of lower layers, except
# that the application modules of the top layers are ordered themselves.
LAYERS = [
    {"__init__", "exceptions"},
    {"utils"},
    {"faces"},
    {"datasets", "preprocessing", "model_selection"},
    {"neural", "clinical"},
    {"fusion", "reporting"},
    {"io"},
    {"paper"},
    {"cli"},
    {"__main__"},
]
LAYER_OF = {unit: level for level, units in enumerate(LAYERS) for unit in units}


def _unit(dotted):
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports():
    """(importing unit, imported unit, file, line) for every internal import."""
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(relative.parts)
        package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else (
            module.removesuffix(".__init__"))
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.startswith("sklearn_palsy"):
                target = node.module
            else:
                continue
            yield _unit(module), _unit(target), path.name, node.lineno


def test_every_unit_of_the_package_has_a_layer():
    units = {path.stem if path.is_file() else path.name
             for path in PACKAGE.iterdir()
             if (path.suffix == ".py" or (path / "__init__.py").exists())}
    assert units == set(LAYER_OF)


def test_no_import_points_to_the_same_layer_or_above():
    upward = [
        f"{source} ({name}:{line}) imports {target}"
        for source, target, name, line in _imports()
        if source != target and LAYER_OF[target] >= LAYER_OF[source]
    ]
    assert upward == []


def test_the_package_root_gives_only_its_version_to_the_layers_below():
    names = set()
    for path in PACKAGE.rglob("*.py"):
        if path.parent == PACKAGE and path.name == "__init__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level and not node.module:
                if node.level == len(path.relative_to(PACKAGE).parts):
                    names |= {alias.name for alias in node.names}
    assert names <= {"__version__"}


def _module_of(path, package):
    relative = path.relative_to(package.parent).with_suffix("")
    parts = list(relative.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _file_graph(package=PACKAGE):
    """Each module's file -> the package files it imports, function-local too.

    ``from .x import name`` points to ``x`` (its ``__init__`` when a
    package) and, when ``name`` is itself a module of ``x``, to that module.
    """
    modules = {_module_of(path, package): path for path in package.rglob("*.py")}
    graph = {name: set() for name in modules}
    for name, path in modules.items():
        parent = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = parent.split(".")[: len(parent.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                names = [f"{target}.{alias.name}" for alias in node.names]
                candidates = [target, *names]
            elif isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            else:
                continue
            graph[name] |= {c for c in candidates if c in modules and c != name}
    return graph


def _cycles(graph):
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circle_between_files():
    # A package's __init__ importing its modules is no circle unless one of
    # them imports the package back.
    assert _cycles(_file_graph()) == []


def test_the_cycle_check_finds_a_circle_through_a_function_local_import(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from ._b import g\n")
    (package / "a.py").write_text("from .sub import g\n")
    (package / "sub" / "_b.py").write_text("def g():\n    from .. import a\n")
    (package / "c.py").write_text("import pkg.a\n")
    graph = _file_graph(package)
    assert graph["pkg.c"] == {"pkg.a"} and graph["pkg.sub._b"] == {"pkg", "pkg.a"}
    assert _cycles(graph) == [["pkg.a", "pkg.sub", "pkg.sub._b"]]


def test_the_root_holds_only_init_exceptions_main_and_subpackages():
    files = {path.name for path in PACKAGE.iterdir() if path.is_file()}
    assert files <= {"__init__.py", "exceptions.py", "__main__.py", "py.typed"}
    folders = {path.name for path in PACKAGE.iterdir()
               if path.is_dir() and path.name != "__pycache__"}
    assert all((PACKAGE / name / "__init__.py").exists() for name in folders)


def test_every_subpackage_is_reachable_from_the_root():
    for name in sorted(LAYER_OF):
        if name in {"__init__", "__main__"}:
            continue
        assert getattr(sklearn_palsy, name).__name__ == f"sklearn_palsy.{name}"


# Private exceptions that never leave the module that raises them: each is
# caught there and turned into an error of exceptions.py.
CONTROL_FLOW = {
    "_Invalid": "io/_checks.py",  # caught by io/_safe.py -> ModelFileError
    "_Unencodable": "io/_encode.py",  # caught by io/_safe.py -> TypeError
    "_Terminated": "utils/_atomic.py",  # SIGTERM during a write, re-raised
}


def _exception_classes(root=PACKAGE):
    """(class, file) for every class deriving from an error or warning name."""
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = [ast.unparse(base) for base in node.bases]
            if any(base.endswith(("Error", "Warning", "Exception")) for base in bases):
                yield node.name, path.relative_to(root).as_posix()


def test_every_error_and_warning_class_is_defined_in_exceptions():
    outside = {name: where for name, where in _exception_classes()
               if where != "exceptions.py"}
    assert outside == CONTROL_FLOW


def test_moved_errors_and_warnings_still_import_from_their_old_homes():
    import sklearn_palsy.exceptions as exceptions
    from sklearn_palsy import clinical, faces, preprocessing

    for module, name in [(faces, "BackendFallbackWarning"),
                         (faces, "MultipleFacesWarning"),
                         (faces, "FaceCacheWarning"),
                         (faces, "LandmarkFileError"),
                         (preprocessing, "HeadPoseError"),
                         (preprocessing, "HeadPoseWarning"),
                         (preprocessing, "NoFaceFallbackWarning"),
                         (clinical, "MovementWarning"),
                         (sklearn_palsy, "HeadPoseError")]:
        assert getattr(module, name) is getattr(exceptions, name)


def test_the_landmark_backends_are_written_out_once():
    # A tuple, list or set literal naming both landmark models is the list of
    # backends written out again; utils/_backends.py holds the one copy.
    places = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
                values = {element.value for element in node.elts
                          if isinstance(element, ast.Constant)}
                if {"mediapipe", "dlib"} <= values:
                    places.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert places == ["utils/_backends.py:15"]


def test_the_architecture_page_shows_every_file():
    page = (PACKAGE.parent / "docs" / "architecture.rst").read_text()
    tree = page[page.index(".. code-block:: text"):page.index("The layers\n---")]
    missing = [
        path.relative_to(PACKAGE).as_posix()
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "__init__.py"
        and not re.search(rf"(?<!\w){re.escape(path.stem)}\b", tree)
    ]
    folders = [path.name for path in PACKAGE.rglob("*")
               if path.is_dir() and (path / "__init__.py").exists()
               and f"{path.name}/" not in tree]
    assert missing == [] and folders == []


def test_the_layer_table_matches_the_layers_here():
    page = (PACKAGE.parent / "docs" / "architecture.rst").read_text()
    table = page[page.index("The layers\n---"):page.index("Rules that go with")]
    rows = table.split("   * - ")[2:]  # after the header row
    units = [re.sub(r"\([^)]*\)", "", row.split("\n     - ")[1]) for row in rows]
    documented = [set(re.findall(r"``(\w+)``", text)) for text in units]
    assert documented == LAYERS


def test_the_readme_module_table_lists_every_subpackage():
    readme = (PACKAGE.parent / "README.md").read_text()
    table = readme[readme.index("| module | what it holds |"):]
    table = table[:table.index("\n\n")]
    rows = set(re.findall(r"^\| `sklearn_palsy\.(\w+)` \|", table, flags=re.M))
    subpackages = {unit for unit in LAYER_OF if unit not in {"__init__", "__main__"}}
    assert rows == subpackages
