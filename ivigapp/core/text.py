"""Text PostgreSQL can store: no NUL character and no unpaired surrogate (JSON can send both, as
\\u0000 and \\ud800; PostgreSQL refuses them in text and in jsonb)."""

import re

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(value) -> str | None:
    """The first character PostgreSQL cannot store in `value` (a string, or parsed JSON: its keys and
    strings at any depth), or None."""
    if type(value) is str:
        if value.isascii() and "\x00" not in value:
            return None
        found = _UNSTORABLE.search(value)
        return found.group() if found else None
    if isinstance(value, dict):
        return next((c for k, v in value.items() if (c := unstorable(k) or unstorable(v))), None)
    if isinstance(value, list):
        return next((c for v in value if (c := unstorable(v))), None)
    return None


def storable(value):
    """`value` (a string, or parsed JSON) with each such character replaced by U+FFFD."""
    if type(value) is str:
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v) for v in value]
    return value
