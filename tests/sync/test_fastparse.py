"""The quick push parse must accept only what the serializer accepts, and return exactly its result.

`compile_serializer(S)(data)` is either DEFER (the serializer decides) or the serializer's own
`validated_data`, value for value and type for type. Hypothesis feeds both the same documents:
well-formed ones, which the quick parse should take, and a pool of awkward values (numeric strings,
naive or impossible times, padded text, surrogates, wrong types, out-of-range numbers).
"""

import string
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import fields as f
from rest_framework import serializers

from ivigapp.sync.api import ClientIn, MutationIn, PullIn, PushIn
from ivigapp.sync.fastparse import DEFER, compile_serializer
from ivigapp.sync.tables import TABLES

CREATE_SERIALIZERS = sorted({t.create for t in TABLES.values() if t.create}, key=lambda s: s.__name__)
UPDATE_SERIALIZERS = sorted({t.update for t in TABLES.values() if t.update}, key=lambda s: s.__name__)
SERIALIZERS = [*CREATE_SERIALIZERS, MutationIn, ClientIn, PullIn]

ZONES = [UTC, dt_timezone(timedelta(hours=1)), dt_timezone(timedelta(hours=-5, minutes=-30))]

AWKWARD = st.sampled_from(
    [
        None,
        True,
        False,
        0,
        -1,
        1.0,
        2.5,
        10**20,
        "",
        " ",
        "12",
        " 12",
        "12.0",
        "1e3",
        "NaN",
        "true",
        "abc ",
        " abc",
        "a\x00b",
        "\ud800",
        "x" * 41,
        "x" * 101,
        "2026-02-30",
        "2026-11-22",
        "20261122",
        "2026-11-22T10:00:00",
        "2026-11-22 10:00",
        "2026-11-22T10:00:00Z",
        "2026-11-22T10:00:00.123+05:45",
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+14:00",
        "{12345678-1234-5678-1234-567812345678}",
        "urn:uuid:12345678-1234-5678-1234-567812345678",
        "12345678123456781234567812345678",
        "during",
        "DURING",
        "upsert",
        "vial",
        [],
        [1],
        {},
        {"a": 1},
    ]
)


def _well_formed(field):
    """Values a phone would send for this field."""
    if isinstance(field, f.ChoiceField):
        return st.sampled_from(list(field.choice_strings_to_values))
    if isinstance(field, f.BooleanField):
        return st.booleans()
    if isinstance(field, f.IntegerField):
        low = field.min_value if field.min_value is not None else -(10**6)
        high = field.max_value if field.max_value is not None else 10**6
        return st.integers(low - 2, high + 2)
    if isinstance(field, f.DecimalField):
        return st.decimals(min_value=-999, max_value=9999, places=2).map(str) | st.floats(-100, 1000)
    if isinstance(field, f.UUIDField):
        return st.uuids().map(str)
    if isinstance(field, f.DateTimeField):
        return st.builds(
            lambda moment, zone: moment.replace(tzinfo=zone).isoformat(),
            st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
            st.sampled_from(ZONES),
        )
    if isinstance(field, f.DateField):
        return st.dates(min_value=date(2000, 1, 1)).map(date.isoformat)
    if isinstance(field, f.CharField):
        alphabet = string.ascii_letters + string.digits + " -éعربي"
        return st.text(alphabet=alphabet, max_size=(field.max_length or 30) + 2)
    if isinstance(field, f.DictField):
        return st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5) | st.none(), max_size=3)
    if isinstance(field, f.ListField) and isinstance(field.child, serializers.Serializer):
        return st.lists(document(type(field.child)), max_size=3)
    return st.nothing()


_MISSING = object()


@st.composite
def document(draw, serializer_class):
    data = {}
    for name, field in serializer_class().fields.items():
        value = draw(
            st.one_of(_well_formed(field), _well_formed(field), AWKWARD, st.just(_MISSING))
            if draw(st.booleans())
            # half the documents: every field well formed, so the quick path gets real work
            else _well_formed(field)
        )
        if value is not _MISSING:
            data[name] = value
    if draw(st.booleans()):
        data["unknown_field"] = draw(AWKWARD)
    return data


def same(a, b) -> bool:
    """Equal in value and in type, down to the time zone of a datetime."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, datetime):
        return a == b and a.tzinfo == b.tzinfo
    if isinstance(a, Decimal):
        return a.as_tuple() == b.as_tuple()
    return a == b


def plain(value):
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def check_agrees(serializer_class, data, *, partial=False) -> bool:
    """Asserts the two parses agree; True when the quick one took the document."""
    quick = compile_serializer(serializer_class, partial=partial)(data)
    serializer = serializer_class(data=data, partial=partial)
    valid = serializer.is_valid()
    if quick is DEFER:
        return False
    assert valid, f"quick parse accepted what {serializer_class.__name__} refuses: {serializer.errors}"
    assert same(quick, plain(dict(serializer.validated_data))), (quick, serializer.validated_data)
    return True


@pytest.mark.parametrize("serializer_class", [*SERIALIZERS, PushIn], ids=lambda s: s.__name__)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_quick_parse_is_the_serializer_or_defers(serializer_class, data):
    check_agrees(serializer_class, data.draw(document(serializer_class)))


@pytest.mark.parametrize("serializer_class", [*UPDATE_SERIALIZERS, *CREATE_SERIALIZERS[:2]], ids=lambda s: s.__name__)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_partial_quick_parse_is_the_partial_serializer_or_defers(serializer_class, data):
    """Updates parse partially: a missing field is left out even where it is required or has a
    default (the two create serializers here have both)."""
    check_agrees(serializer_class, data.draw(document(serializer_class)), partial=True)


def test_a_partial_parse_leaves_out_what_a_full_one_fills_in():
    create = TABLES["vial"].create
    document = {"lot_number": "LOT-1"}
    assert compile_serializer(create)(document) is DEFER  # required fields missing: the serializer says so
    assert compile_serializer(create, partial=True)(document) == {"lot_number": "LOT-1"}
    assert dict(create(partial=True).run_validation(document)) == {"lot_number": "LOT-1"}


def test_a_phone_documents_take_the_quick_path():
    """Without this the quick parse could defer everything and the test above would still pass."""
    episode = str(uuid.uuid4())
    now = "2026-11-22T09:15:00.123000+00:00"
    sets = {
        "vial": {"episode_id": episode, "lot_number": "LOT-1", "expiry_date": "2030-01-01", "vial_size_g": "10"},
        "hydration": {"episode_id": episode, "phase": "during", "volume_ml": 250, "logged_at": now},
        "medication": {
            "episode_id": episode,
            "category": "as_needed",
            "drug": "Paracétamol",
            "dose": "",
            "given_at": now,
        },
        "vitals": {"episode_id": episode, "measured_at": now, "temperature_c": 37.2, "systolic": 120, "diastolic": 80},
    }
    for table, values in sets.items():
        assert check_agrees(TABLES[table].create, values), table
    mutations = [
        {"id": i + 1, "kind": "upsert", "table": t, "row_id": str(uuid.uuid4()), "set": s, "recorded_at": now}
        for i, (t, s) in enumerate(sets.items())
    ]
    assert check_agrees(PushIn, {"client_id": str(uuid.uuid4()), "schema_version": 1, "mutations": mutations})


def test_an_invalid_document_is_left_to_the_serializer():
    parse = compile_serializer(TABLES["hydration"].create)
    good = {"episode_id": str(uuid.uuid4()), "phase": "during", "volume_ml": 250, "logged_at": "2026-11-22T09:15Z"}
    assert parse(good) is not DEFER
    for bad in ({**good, "volume_ml": 0}, {**good, "phase": "later"}, {**good, "logged_at": "2026-11-22T09:15"}):
        assert parse(bad) is DEFER
    without = dict(good)
    del without["logged_at"]
    assert parse(without) is DEFER


class Limited(serializers.Serializer):
    """Limits given as validators=, not as the field's own arguments: the quick checks don't know them."""

    count = serializers.IntegerField(validators=[f.MaxValueValidator(5)])
    code = serializers.CharField(validators=[f.MaxLengthValidator(3)])


class Wrapped(serializers.Serializer):
    items = serializers.ListField(child=Limited(), validators=[f.MaxLengthValidator(1)])


def test_validators_given_by_hand_are_left_to_the_serializer():
    assert not check_agrees(Limited, {"count": 6, "code": "ab"})
    assert not check_agrees(Limited, {"count": 1, "code": "abcd"})
    assert check_agrees(Limited, {"count": 5, "code": "abc"})
    assert check_agrees(Wrapped, {"items": [{"count": 1, "code": "a"}]})
    assert not check_agrees(Wrapped, {"items": [{"count": 1, "code": "a"}] * 2})
