"""Parametric models K(θ) = mat(Q θ): linear in θ, with Jacobians in θ and in y.

Every model here is a linear map of its parameters: a fixed sparse matrix
``Q`` of shape ``(m*n, p)`` sends ``θ ∈ R^p`` to the column-major
vectorisation of an ``m × n`` matrix ``K(θ)``.  Derivatives are therefore
exact and cheap:

- in θ:  ``J_θ(K(θ) y) dθ = K(dθ) y`` and ``J_θᵀ w = Qᵀ vec(w yᵀ)``;
- in y:  ``J_y(K(θ) y) dy = K(θ) dy`` and ``J_yᵀ w = K(θ)ᵀ w``.

Models: :class:`Diagonal`, :class:`Antisymmetric`, :class:`MMatrix` (the
three small examples of Haber & Ruthotto's notes), :class:`Stencil` (a
convolution kernel as parameter) and :class:`MultichannelStencil` (a conv
layer's weight as parameter).
"""

from convop.parametric._base import ParametricOperator
from convop.parametric._models import Antisymmetric, Diagonal, MMatrix
from convop.parametric._stencil import MultichannelStencil, Stencil

__all__ = [
    "Antisymmetric",
    "Diagonal",
    "MMatrix",
    "MultichannelStencil",
    "ParametricOperator",
    "Stencil",
]
