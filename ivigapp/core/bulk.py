"""insert_new: bulk_create for new rows whose keys are already set, by COPY on PostgreSQL.

A sync push inserts a hundred diary rows and a hundred mutation-log rows per request. Through
`bulk_create` the ORM prepares every value through several generic calls, and psycopg then parses a
statement with hundreds of placeholders: together about a quarter of the push's CPU. COPY sends the
same values without a statement to parse on either side, and the values that need no preparation
(a str for a text column, an aware datetime for a timestamp, ...) go as they are. Everything else
(a JSON document, a naive datetime, a value of an unexpected type) goes through the field's own
`get_db_prep_save`, so the stored row is the one `bulk_create` would store
(`tests/core/test_bulk.py` compares them column by column).

Elsewhere (SQLite) and for rows without a primary key this is `bulk_create`.
"""

import time
import uuid
from datetime import date, datetime
from decimal import Decimal

from django.db import connection, models, transaction

# Values that get_db_prep_save on PostgreSQL hands to psycopg unchanged, by field class.
_AS_IS = {
    models.CharField: (str,),
    models.TextField: (str,),
    models.IntegerField: (int,),
    models.BigIntegerField: (int,),
    models.SmallIntegerField: (int,),
    models.PositiveIntegerField: (int,),
    models.PositiveSmallIntegerField: (int,),
    models.PositiveBigIntegerField: (int,),
    models.BooleanField: (bool,),
    models.UUIDField: (uuid.UUID,),
    models.DecimalField: (Decimal,),
    models.DateField: (date,),
    models.AutoField: (int,),
    models.BigAutoField: (int,),
    models.SmallAutoField: (int,),
}


def _converter(field):
    """value -> what bulk_create would hand psycopg for this field."""
    target = field.target_field if field.is_relation else field
    kinds = _AS_IS.get(type(target), ())
    aware = type(target) is models.DateTimeField
    if isinstance(field, models.JSONField) and type(field).get_db_prep_value is models.JSONField.get_db_prep_value:
        # What JSONField.get_db_prep_value does with a plain document (not an expression).
        return lambda value: None if value is None else connection.ops.adapt_json_value(value, field.encoder)

    def convert(value):
        if value is None or type(value) in kinds or (aware and type(value) is datetime and value.tzinfo is not None):
            return value
        return field.get_db_prep_save(value, connection)

    return convert


_plans: dict = {}


def _plan(model, with_key: bool):
    """(COPY statement, [(field, converter)], relation fields), or None where the ORM must insert."""
    if (model, with_key) not in _plans:
        concrete = model._meta.local_concrete_fields
        fields = [f for f in concrete if with_key or f is not model._meta.pk]
        if model._meta.parents or any(
            getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) for f in fields
        ):
            _plans[model, with_key] = None  # fields that set themselves on save, or multi-table models
        else:
            qn = connection.ops.quote_name
            columns = ", ".join(qn(f.column) for f in fields)
            copy = f"COPY {qn(model._meta.db_table)} ({columns}) FROM STDIN"
            relations = [f for f in fields if f.is_relation]
            _plans[model, with_key] = (copy, [(f, _converter(f)) for f in fields], relations)
    return _plans[model, with_key]


def _related_saved(row, relations) -> None:
    """bulk_create's check: a related object assigned to the row must have been saved."""
    for field in relations:
        if field.is_cached(row):
            obj = field.get_cached_value(row)
            if obj is None:
                continue
            if obj.pk is None:
                raise ValueError(f"insert_new() of {row!r}: the related {field.name} has not been saved.")
            if getattr(row, field.attname) is None:
                setattr(row, field.attname, obj.pk)


def _copy(sql: str, values: list[list]) -> None:
    connection.validate_no_broken_transaction()
    started = time.monotonic()
    # atomic(savepoint=False) as bulk_create: a failed COPY marks the outer transaction for rollback.
    with (
        transaction.atomic(savepoint=False),
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(sql) as copy,
    ):
        for row in values:
            copy.write_row(row)
    if connection.queries_logged:  # so a statement census (CaptureQueriesContext, DEBUG) counts it
        elapsed = f"{time.monotonic() - started:.3f}"
        connection.queries_log.append({"sql": f"{sql} -- {len(values)} rows", "time": elapsed})


def insert_new(model, rows: list) -> None:
    """Inserts new instances of `model` as model.objects.bulk_create(rows) would (no signals), except
    that rows without a key get theirs from the database without reading it back: their pk stays
    None. The rows must all have a key, or none of them."""
    if not rows:
        return
    with_key = rows[0].pk is not None
    if any((row.pk is not None) != with_key for row in rows):
        raise ValueError("insert_new: either every row has a key or none has")
    if not with_key and not isinstance(model._meta.pk, models.AutoField):
        raise ValueError(f"insert_new: {model.__name__} rows need their keys")
    plan = _plan(model, with_key) if connection.vendor == "postgresql" else None
    if plan is None:
        model.objects.bulk_create(rows)
        return
    sql, columns, relations = plan
    for row in rows:
        _related_saved(row, relations)
    _copy(sql, [[convert(getattr(row, f.attname)) for f, convert in columns] for row in rows])
    for row in rows:
        row._state.adding = False
        row._state.db = connection.alias


def insert_values(model, rows: list[dict]) -> None:
    """insert_new for rows given as {attname: value}, without building instances (a model with an
    AutoField key, which the database assigns). A field left out takes its default."""
    if not isinstance(model._meta.pk, models.AutoField):
        raise ValueError(f"insert_values: {model.__name__} has no database-made key")
    if not rows:
        return
    plan = _plan(model, False) if connection.vendor == "postgresql" else None
    if plan is None:
        model.objects.bulk_create([model(**row) for row in rows])
        return
    sql, columns, _relations = plan
    values = []
    for row in rows:
        values.append([convert(row[f.attname] if f.attname in row else f.get_default()) for f, convert in columns])
    _copy(sql, values)
