"""Real data shipped with pidkit's dependencies (no download at run time)."""

from __future__ import annotations

import numpy as np

__all__ = ["load_digits_halves"]


def load_digits_halves() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 handwritten digits as two modalities: top and bottom image halves.

    Returns
    -------
    x1 : ndarray (1797, 32)
        Pixel intensities (0-16) of rows 0-3 of each image.
    x2 : ndarray (1797, 32)
        Pixel intensities of rows 4-7.
    y : ndarray (1797,)
        Digit labels 0-9.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images.reshape(len(digits.images), 8, 8)
    x1 = images[:, :4, :].reshape(len(images), -1).astype(np.float64)
    x2 = images[:, 4:, :].reshape(len(images), -1).astype(np.float64)
    return x1, x2, digits.target.astype(np.int64)
