"""VAPID keys: from the environment, or generated once into the data folder."""

import base64
from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from py_vapid import Vapid


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
