"""Sparse Poisson / Laplace solves on masked regions.

One solver serves two jobs:

* **flow completion** (``guidance=None``): the harmonic interpolation of a field inside a hole from
  its values on the hole's boundary (Laplace equation, Dirichlet boundary) -- the smoothest field
  that agrees with its surroundings (FGVC, Gao et al. ECCV 2020, complete flow edges then solve).
* **gradient-domain blending**: Poisson image editing (Pérez et al., SIGGRAPH 2003): find ``u`` in
  the region whose Laplacian equals that of a guidance image and whose boundary equals the
  surrounding frame, so a fill takes the colour of its surroundings without a seam.

Only the region's pixels are unknowns (5-point Laplacian, Neumann where the region touches the image
border), so the cost follows the hole's area, not the frame's.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

_OFFSETS = ((-1, 0), (1, 0), (0, -1), (0, 1))


def solve_poisson(
    values: np.ndarray, region: np.ndarray, guidance: np.ndarray | None = None, *, guide_across_boundary: bool = True
) -> np.ndarray:
    """Solve ``Δu = Δg`` in ``region`` with ``u = values`` on its boundary.

    Shape:
        values: ``(H,W)`` or ``(H,W,C)`` float; read outside ``region`` (the boundary condition).
        region: ``(H,W)`` bool, True = unknown.
        guidance: same shape as ``values`` or None; its 5-point Laplacian is the source term
            (None = 0, the Laplace equation: harmonic interpolation).
        guide_across_boundary: also use the guidance's differences between a region pixel and its
            outside neighbours (Pérez's seamless cloning, where ``g`` is a separate source image).
            False when ``g`` is the composite itself: its step at the boundary is the seam to remove.
        returns: float64 array shaped like ``values``; equal to ``values`` outside ``region``.
    """
    values = np.asarray(values, dtype=np.float64)
    squeeze = values.ndim == 2
    if squeeze:
        values = values[..., None]
        guidance = None if guidance is None else np.asarray(guidance, dtype=np.float64)[..., None]
    out = values.copy()
    region = np.asarray(region, dtype=bool)
    n = int(region.sum())
    if n == 0:
        return out[..., 0] if squeeze else out
    h, w = region.shape
    ys, xs = np.nonzero(region)
    index = np.full((h, w), -1, dtype=np.int64)
    index[ys, xs] = np.arange(n)

    degree = np.zeros(n)
    rhs = np.zeros((n, values.shape[2]))
    off_rows, off_cols = [], []
    for dy, dx in _OFFSETS:
        ny, nx = ys + dy, xs + dx
        inside = (ny >= 0) & (ny < h) & (nx >= 0) & (nx < w)
        degree += inside
        p = np.nonzero(inside)[0]
        qy, qx = ny[p], nx[p]
        q_index = index[qy, qx]
        unknown = q_index >= 0
        off_rows.append(p[unknown])
        off_cols.append(q_index[unknown])
        known = ~unknown
        rhs[p[known]] += values[qy[known], qx[known]]
        if guidance is not None:
            difference = guidance[ys[p], xs[p]] - guidance[qy, qx]
            if not guide_across_boundary:
                difference[known] = 0
            rhs[p] += difference
    off_r = np.concatenate(off_rows)
    off_c = np.concatenate(off_cols)
    matrix = sp.csc_matrix(
        (
            np.concatenate([degree, -np.ones(len(off_r))]),
            (np.concatenate([np.arange(n), off_r]), np.concatenate([np.arange(n), off_c])),
        ),
        shape=(n, n),
    )
    solution = spla.splu(matrix, permc_spec="COLAMD").solve(rhs)
    out[ys, xs] = solution
    return out[..., 0] if squeeze else out
