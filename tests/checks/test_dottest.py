"""The dot test must fail on a wrong adjoint (a check that cannot fail is a defect)."""

import numpy as np
import pytest

import convop


class _WrongAdjoint(convop.Operator):
    def __init__(self, conj: bool = True):
        super().__init__((4,), (4,), np.complex128)
        self.M = np.arange(16.0).reshape(4, 4) * (1 + 1j)
        self.conj = conj

    def _apply(self, x):
        return x @ self.M.T

    def _adjoint(self, y):
        return y @ (self.M.conj() if self.conj else self.M)  # transpose only, no conjugate


def test_dottest_accepts_right_adjoint():
    assert _WrongAdjoint(conj=True) is not None
    assert convop.dottest(_WrongAdjoint(conj=True), complex=True, rng=0) < 1e-12


def test_dottest_catches_missing_conjugate():
    with pytest.raises(AssertionError, match=r"<Ax, y> = .*<x, A\^H y> = "):
        convop.dottest(_WrongAdjoint(conj=False), complex=True, rng=0)


def test_dottest_catches_off_by_one_adjoint():
    A = convop.Convolution(np.array([1.0, 2.0, 3.0]), (8,), "same")

    class Shifted(convop.Operator):
        def _apply(self, x):
            return A._apply(x)

        def _adjoint(self, y):
            return np.roll(A._adjoint(y), 1, axis=-1)

    with pytest.raises(AssertionError):
        convop.dottest(Shifted((8,), (8,), np.float64), rng=1)


def test_checks_module_exports():
    from convop import checks

    assert checks.dottest is convop.dottest
