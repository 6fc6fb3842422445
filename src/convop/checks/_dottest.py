"""The dot test: ⟨A x, y⟩ = ⟨x, Aᴴ y⟩ for random x, y."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["dottest"]


def dottest(op: Any, *, rng: Any = None, complex: bool = False, rtol: float = 1e-6) -> float:
    """Check that ``op.adjoint`` is the adjoint of ``op.apply`` on random vectors.

    Parameters
    ----------
    op : Operator
        Anything with ``input_shape``, ``output_shape``, ``apply`` and ``adjoint``.
    rng : numpy.random.Generator or int, optional
        Random source (``numpy.random.default_rng(rng)``).
    complex : bool
        Use complex random vectors (tests the conjugation in the adjoint).
    rtol : float
        Largest accepted relative mismatch.

    Returns
    -------
    float
        ``|⟨A x, y⟩ − ⟨x, Aᴴ y⟩| / max(|⟨A x, y⟩|, |⟨x, Aᴴ y⟩|)``.

    Raises
    ------
    AssertionError
        If the mismatch exceeds ``rtol``; the message prints both inner products.

    Notes
    -----
    The vectors are float64 (complex128), so the test measures the operator's
    arithmetic in double precision whatever its dtype.

    Examples
    --------
    >>> import numpy as np, convop
    >>> A = convop.Convolution(np.array([1.0, 2.0, 3.0]), (16,), "same", boundary="reflect")
    >>> convop.dottest(A, rng=0) < 1e-12
    True
    """
    gen = np.random.default_rng(rng)

    def draw(shape: tuple[int, ...]) -> np.ndarray:
        v = gen.standard_normal(shape)
        return v + 1j * gen.standard_normal(shape) if complex else v

    x, y = draw(tuple(op.input_shape)), draw(tuple(op.output_shape))
    lhs = np.vdot(y, op.apply(x))  # ⟨A x, y⟩ = yᴴ A x
    rhs = np.vdot(op.adjoint(y), x)  # ⟨x, Aᴴ y⟩ = (Aᴴ y)ᴴ x
    scale = max(abs(lhs), abs(rhs), np.finfo(float).tiny)
    err = float(abs(lhs - rhs) / scale)
    if err > rtol:
        raise AssertionError(
            f"dot test failed for {op!r}: <Ax, y> = {lhs!r}, <x, A^H y> = {rhs!r}, "
            f"relative mismatch {err:.3e} > rtol={rtol:.1e}"
        )
    return err
