"""Correctness checks for linear maps and derivatives: dot tests and Taylor tests."""
from ._dottest import dottest

__all__ = ["dottest"]
try:  # the Taylor test lands with the parametric models
    from ._taylor import taylor_test  # noqa: F401
    __all__.append("taylor_test")
except ImportError:  # pragma: no cover
    pass
