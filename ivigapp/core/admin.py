"""Helpers for admin pages whose writes go through a service."""


def adopt(obj, created) -> None:
    """Gives the admin's unsaved `obj` every stored value of the row the service `created`, so
    that the admin's own message and links name the real row ("triage rules v3 (draft)", not
    "vNone")."""
    for field in created._meta.concrete_fields:
        setattr(obj, field.attname, getattr(created, field.attname))
    obj._state.adding = False
    obj._state.db = created._state.db
