"""The package's layers: every import inside sklearn_palsy points downwards.

docs/architecture.rst describes the layers; this test reads every module's
imports (statically, with :mod:`ast`) and fails on any that points to the
same layer or above, so the page and the code cannot drift apart.
"""

import ast
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
