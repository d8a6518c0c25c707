"""When a JWT expires: read from its payload (not verified; the service does that)."""

import base64
import binascii
import json
import time


def expires_at(token: str) -> float | None:
    """The ``exp`` claim of `token` as a Unix time, or None (not a JWT, or no ``exp``)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, binascii.Error):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None


def refresh_delay(expiry: float, margin: float) -> float:
    """Seconds from now until a token expiring at `expiry` should be refreshed.

    `margin` seconds before it expires, or half-way through what is left when that is
    shorter, so that a short-lived token is still refreshed in time.
    """
    left = expiry - time.time()
    return max(0.0, min(left - margin, left / 2))
