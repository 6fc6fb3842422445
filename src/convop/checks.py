"""Correctness checks for linear maps and derivatives: dot tests and Taylor tests."""
from ._dottest import dottest
from ._taylor import taylor_test

__all__ = ["dottest", "taylor_test"]
