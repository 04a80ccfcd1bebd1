"""Quick acceptance of well-formed push input, with DRF as the judge of everything else.

A push carries hundreds of small documents, and DRF's field machinery (one `run_validation` per
field, validators looked up and copied per call) was about a third of the endpoint's CPU. For the
input a phone actually sends (plain JSON types, canonical values), `compile_serializer` gives a
function that checks the same rules in a few dict and type tests and returns exactly what the
serializer's `run_validation` returns. For anything it is not sure of (a numeric string, a naive
time, a value out of range, a missing required field) it answers DEFER, and the caller runs the
serializer itself: the errors a client sees, and every value DRF would coerce, still come from DRF.

The serializers stay the contract and the OpenAPI schema; this module only reads their fields.
`tests/sync/test_fastparse.py` checks with hypothesis that an accepted document gives exactly the
serializer's result.
"""

import uuid
from datetime import date, datetime

from django.utils import timezone
from rest_framework import fields as f
from rest_framework import serializers
from rest_framework.fields import empty

DEFER = None  # "ask the serializer"
_NO = object()  # a field checker's DEFER
_BIG = 10**15


def _auto_validators_only(field) -> bool:
    """True when the field's validators are the ones DRF adds for its own arguments (which the
    quick checks apply from those arguments); a validator given in `validators=` is not."""
    own = {
        f.MinValueValidator: getattr(field, "min_value", None),
        f.MaxValueValidator: getattr(field, "max_value", None),
        f.MaxLengthValidator: getattr(field, "max_length", None),
        f.MinLengthValidator: getattr(field, "min_length", None),
    }
    for validator in field.validators:
        kind = type(validator)
        if kind in (f.ProhibitNullCharactersValidator, f.ProhibitSurrogateCharactersValidator):
            continue
        if kind not in own or own[kind] is None or validator.limit_value != own[kind]:
            return False
    return True


def _bounds(field):
    return getattr(field, "min_value", None), getattr(field, "max_value", None)


def _integer(field):
    low, high = _bounds(field)

    def check(value, zone):
        if type(value) is not int or not -_BIG < value < _BIG:
            return _NO
        if (low is not None and value < low) or (high is not None and value > high):
            return _NO
        return value

    return check


def _char(field):
    if not field.trim_whitespace:
        return None
    low, high = field.min_length, field.max_length

    def check(value, zone):
        if type(value) is not str or value != value.strip() or "\x00" in value:
            return _NO
        if value == "":
            return "" if field.allow_blank else _NO
        if (high is not None and len(value) > high) or (low is not None and len(value) < low):
            return _NO
        if not value.isascii():
            try:
                value.encode()  # a lone surrogate, which DRF refuses
            except UnicodeEncodeError:
                return _NO
        return value

    return check


def _choice(field):
    values = field.choice_strings_to_values

    def check(value, zone):
        if type(value) is not str or value == "":
            return _NO
        return values.get(value, _NO)

    return check


def _uuid(field):
    if field.uuid_format != "hex_verbose":
        return None

    def check(value, zone):
        if type(value) is not str:
            return _NO
        try:
            return uuid.UUID(hex=value)
        except ValueError:
            return _NO

    return check


def _datetime(field):
    if getattr(field, "input_formats", None) not in (None, [f.ISO_8601]) or hasattr(field, "timezone"):
        return None

    def check(value, zone):
        if type(value) is not str:
            return _NO
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return _NO
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            return _NO  # naive: DRF places it in the current time zone and checks it exists there
        try:
            return parsed.astimezone(zone)
        except OverflowError:
            return _NO

    return check


def _date(field):
    if getattr(field, "input_formats", None) not in (None, [f.ISO_8601]):
        return None

    def check(value, zone):
        if type(value) is not str:
            return _NO
        try:
            return date.fromisoformat(value)
        except ValueError:
            return _NO

    return check


def _boolean(field):
    def check(value, zone):
        return value if value is True or value is False else _NO

    return check


def _dict(field):
    if type(field.child) is not f._UnvalidatedField or not field.allow_empty:
        return None

    def check(value, zone):
        return dict(value) if type(value) is dict else _NO

    return check


def _own(field):
    """Any other field: its own run_validation, without the serializer around it."""

    def check(value, zone):
        try:
            return field.run_validation(value)
        except (serializers.ValidationError, f.SkipField):
            return _NO

    return check


_CHECKERS = {
    f.IntegerField: _integer,
    f.CharField: _char,
    f.ChoiceField: _choice,
    f.UUIDField: _uuid,
    f.DateTimeField: _datetime,
    f.DateField: _date,
    f.BooleanField: _boolean,
    f.DictField: _dict,
}


def _list_of(field, child_parse):
    low, high, allow_empty = field.min_length, field.max_length, field.allow_empty

    def check(value, zone):
        if type(value) is not list or (not value and not allow_empty):
            return _NO
        if (high is not None and len(value) > high) or (low is not None and len(value) < low):
            return _NO
        out = []
        for item in value:
            parsed = child_parse(item, zone)
            if parsed is DEFER:
                return _NO
            out.append(parsed)
        return out

    return check


def _checker(field):
    if isinstance(field, serializers.ListField) and isinstance(field.child, serializers.Serializer):
        child = compile_serializer(type(field.child))
        return _list_of(field, child) if _auto_validators_only(field) else _own(field)
    make = _CHECKERS.get(type(field))
    check = make(field) if make and _auto_validators_only(field) else None
    return check or _own(field)


def _compilable(serializer) -> bool:
    cls = type(serializer)
    return (
        cls.validate is serializers.Serializer.validate
        and not serializer.validators
        and not any(hasattr(cls, f"validate_{name}") for name in serializer.fields)
        and all(not fld.read_only and fld.source == name for name, fld in serializer.fields.items())
    )


def compile_serializer(serializer_class, *, partial: bool = False):
    """A function `parse(data)` that returns `dict(serializer_class(partial=partial).run_validation(data))`,
    or DEFER when the serializer should decide (invalid or unusual input). A partial parse (an
    update) leaves every missing field out, required or with a default, as DRF does."""
    serializer = serializer_class(partial=partial)
    if not _compilable(serializer):
        return lambda data, zone=None: DEFER
    plan = []
    for name, fld in serializer.fields.items():
        if partial:
            missing = None
        elif fld.required:
            missing = _NO
        elif fld.default is empty:
            missing = None  # left out of the result
        else:
            missing = fld.get_default  # called per document: a callable default gives a fresh value
        plan.append((name, _checker(fld), fld.allow_null, missing))

    def parse(data, zone=None):
        if type(data) is not dict:
            return DEFER
        zone = zone or timezone.get_current_timezone()  # DRF's DateTimeField reads it per field
        out = {}
        for name, check, allow_null, missing in plan:
            if name not in data:
                if missing is _NO:
                    return DEFER
                if missing is not None:
                    out[name] = missing()
                continue
            value = data[name]
            if value is None:
                if not allow_null:
                    return DEFER
                out[name] = None
                continue
            value = check(value, zone)
            if value is _NO:
                return DEFER
            out[name] = value
        return out

    return parse
