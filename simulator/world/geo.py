"""Geography: great-circle distances computed from coordinates (never typed by hand)."""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), km."""


def great_circle_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Return the matrix of great-circle distances between points, in km (haversine formula).

    Args:
        lat: Latitudes in degrees, shape (n,).
        lon: Longitudes in degrees, shape (n,).

    Returns:
        Symmetric ``float`` array of shape (n, n) with zeros on the diagonal.
    """
    phi = np.radians(np.asarray(lat, dtype=float))
    lam = np.radians(np.asarray(lon, dtype=float))
    dphi = phi[:, None] - phi[None, :]
    dlam = lam[:, None] - lam[None, :]
    a = np.sin(dphi / 2) ** 2 + np.cos(phi)[:, None] * np.cos(phi)[None, :] * np.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
