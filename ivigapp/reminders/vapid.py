"""VAPID keys: from the environment, or generated once into the data folder. The Authorization
header a push service checks is signed once per audience and reused until it nears expiry."""

import base64
import threading
import time
from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from py_vapid import Vapid

# RFC 8292 allows a token to live at most 24 hours; pywebpush signs for 12. A cached header is
# renewed an hour before it expires, so no push service ever sees one about to lapse in flight.
VAPID_TOKEN_SECONDS = 12 * 3600
VAPID_RENEW_SECONDS = 3600

_headers: dict[str, tuple[int, str]] = {}  # audience -> (exp, Authorization header)
_headers_lock = threading.Lock()


@lru_cache(maxsize=1)
def vapid() -> Vapid:
    if settings.VAPID_PRIVATE_KEY:
        return Vapid.from_string(settings.VAPID_PRIVATE_KEY)
    path = settings.DATA_DIR / "vapid_private.pem"
    if not path.exists():
        key = Vapid()
        key.generate_keys()
        key.save_key(str(path))
        path.chmod(0o600)
    return Vapid.from_file(str(path))


def vapid_public_key() -> str:
    """The application server key the browser subscribes with (base64url, uncompressed point)."""
    raw = vapid().public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def vapid_authorization(audience: str) -> str:
    """`vapid t=<JWT>,k=<public key>` for one push service origin (`https://host[:port]`). Signing
    is an ECDSA signature per call; a burst of sends to one push service needs only one."""
    now = int(time.time())
    cached = _headers.get(audience)
    # Renewed near its expiry, and also if the clock went back (a token dated ahead is refused).
    if cached and VAPID_RENEW_SECONDS < cached[0] - now <= VAPID_TOKEN_SECONDS:
        return cached[1]
    with _headers_lock:
        exp = now + VAPID_TOKEN_SECONDS
        header = vapid().sign({"sub": settings.VAPID_SUBJECT, "aud": audience, "exp": exp})["Authorization"]
        _headers[audience] = (exp, header)
    return header


def vapid_authorization_forget() -> None:
    """Drops the cached headers (after a key change, and between tests)."""
    with _headers_lock:
        _headers.clear()
