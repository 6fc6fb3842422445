"""Every docstring example in the package runs and prints what it says."""

import doctest
import importlib
import pkgutil

import pytest

import convop

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(convop.__path__, "convop.")
    if not m.name.endswith("__main__")
)


#: packages whose examples need an optional extra, and the modules that extra brings
#: (the core suite of .ci/run has NumPy and SciPy only: these are skipped there)
EXTRAS = {
    "convop.experiments": ("matplotlib",),
    "convop.torch": ("torch",),
    "convop.compress": ("torch", "tensorly"),
    "convop.graph._constructors": ("networkx",),
    "convop.graph.torch": ("torch",),
    "convop.recsys": ("torch", "sklearn", "networkx"),
    "convop.dask": ("dask", "distributed"),
}


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    for package, needs in EXTRAS.items():
        if name == package or name.startswith(package + "."):
            for module in needs:
                pytest.importorskip(module)
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        # an application subpackage whose optional dependency is not installed here;
        # a missing convop module is a real failure
        if exc.name is None or exc.name.split(".")[0] == "convop":
            raise
        pytest.skip(f"{name} needs {exc.name}, not installed")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest failure(s) in {name}"
