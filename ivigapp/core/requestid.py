"""The id of the request being served, for audit rows and log correlation."""

import contextvars
import re
import uuid

_current = contextvars.ContextVar("request_id", default="")
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id_get() -> str:
    return _current.get()


def request_id_start(incoming: str | None) -> tuple[str, contextvars.Token]:
    value = incoming if incoming and _ACCEPTABLE.match(incoming) else uuid.uuid4().hex
    return value, _current.set(value)


def request_id_end(token: contextvars.Token) -> None:
    _current.reset(token)
