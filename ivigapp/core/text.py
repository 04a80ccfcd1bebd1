"""Text PostgreSQL can store: no NUL character and no unpaired surrogate (JSON can send both, as
\\u0000 and \\ud800; PostgreSQL refuses them in text and in jsonb)."""

import re

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(text: str) -> str | None:
    """The first character of `text` PostgreSQL cannot store, or None."""
    if text.isascii() and "\x00" not in text:
        return None
    found = _UNSTORABLE.search(text)
    return found.group() if found else None


def storable(text: str) -> str:
    """`text` with each such character replaced by U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text)
