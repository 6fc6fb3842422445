"""Correctness checks for linear maps and derivatives: dot tests and Taylor tests."""

from convop.checks._dottest import dottest
from convop.checks._taylor import taylor_test

__all__ = ["dottest", "taylor_test"]
