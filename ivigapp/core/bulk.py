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

import functools
import json
import operator
import time
import uuid
from datetime import date, datetime
from decimal import Decimal

from django.db import connection, models, transaction
from django.db.models import query_utils, signals
from django.db.models.base import ModelState
from django.db.models.fields import related_descriptors

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
        # JSONField.get_db_prep_value wraps a plain document for psycopg to dump with json.dumps (and
        # the field's encoder); COPY takes the same JSON text as it is.
        dumps = functools.partial(json.dumps, cls=field.encoder) if field.encoder else json.dumps
        return lambda value: None if value is None else dumps(value)

    def convert(value):
        if value is None or type(value) in kinds or (aware and type(value) is datetime and value.tzinfo is not None):
            return value
        return field.get_db_prep_save(value, connection)

    return convert


_layouts: dict = {}


def _plain_attributes(model) -> bool:
    """Whether Model.__init__ is the model's own and each field's attribute just keeps the value put
    in the instance's __dict__ (not a file's, say, which does more on assignment)."""
    if model.__init__ is not models.Model.__init__ or model.__setattr__ is not object.__setattr__:
        return False
    plain = (query_utils.DeferredAttribute, related_descriptors.ForeignKeyDeferredAttribute)
    return all(type(model.__dict__.get(f.attname)) in plain for f in model._meta.concrete_fields)


def new_instance(model, values: dict, **related):
    """model(**values, **related) for `values` keyed by attname (`episode_id`, not `episode`), for the
    hundreds of rows a push builds. Where Model.__init__ would only store each value in the
    instance's __dict__ (see _plain_attributes, and no pre_init or post_init receiver listens), the
    values go there directly; otherwise the model is built positionally, as Model.from_db builds
    rows. The objects in `related` (by relation name) are then assigned as usual, so their type is
    checked and they are cached. A field left out takes its default."""
    if model not in _layouts:
        fields = model._meta.concrete_fields
        defaults = [(f.attname, f.get_default) for f in fields]
        relations = {f.name: f.attname for f in fields if f.is_relation}
        attnames = [f.attname for f in fields] if _plain_attributes(model) else None
        _layouts[model] = (defaults, {f.attname for f in fields}, relations, attnames)
    defaults, names, relations, attnames = _layouts[model]
    if not values.keys() <= names or not related.keys() <= relations.keys():
        raise TypeError(f"{model.__name__}: unexpected fields {sorted((values.keys() - names) | related.keys())}")
    if any(relations[name] in values for name in related):
        raise TypeError(f"{model.__name__}: a relation given both as an object and as a key")
    args = [values[name] if name in values else default() for name, default in defaults]
    # pre_init and post_init receivers are looked for on every call: they may connect at any time.
    if attnames and not (signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model)):
        row = model.__new__(model)
        row._state = ModelState()
        row.__dict__.update(zip(attnames, args, strict=True))
    else:
        row = model(*args)
    for name, obj in related.items():
        setattr(row, name, obj)
    return row


_plans: dict = {}


def _plan(model, with_key: bool):
    """(COPY statement, [(field, converter)], relation fields, row -> values), or None where the ORM
    must insert."""
    if (model, with_key) not in _plans:
        concrete = model._meta.local_concrete_fields
        fields = [f for f in concrete if with_key or f is not model._meta.pk]
        if model._meta.parents or any(
            getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) for f in fields
        ):
            _plans[model, with_key] = None  # fields that set themselves on save, or multi-table models
        else:
            qn = connection.ops.quote_name
            names = ", ".join(qn(f.column) for f in fields)
            copy = f"COPY {qn(model._meta.db_table)} ({names}) FROM STDIN"
            relations = [f for f in fields if f.is_relation]
            columns = [(f, _converter(f)) for f in fields]
            _plans[model, with_key] = (copy, columns, relations, _reader(columns))
    return _plans[model, with_key]


def _reader(columns):
    """row -> its COPY values for `columns` ((field, converter) pairs): the attributes read at once,
    each through its converter."""
    read = operator.attrgetter(*(f.attname for f, _convert in columns))
    converters = [convert for _f, convert in columns]
    if len(columns) == 1:
        return lambda row: [converters[0](read(row))]
    return lambda row: [convert(value) for convert, value in zip(converters, read(row), strict=True)]


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
    sql, _columns, relations, values = plan
    for row in rows:
        _related_saved(row, relations)
    _copy(sql, [values(row) for row in rows])
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
    sql, columns, _relations, _values = plan
    values = []
    for row in rows:
        values.append([convert(row[f.attname] if f.attname in row else f.get_default()) for f, convert in columns])
    _copy(sql, values)


def update_changed(model, changes: list[tuple]) -> None:
    """For each (row, field names) of `changes`, what row.save(update_fields=names) stores, in one
    UPDATE for all of them (without signals). Each row writes only the fields it names: a field
    that another row changed keeps its stored value here, so a concurrent write to it is not undone.

    The rows' new values come in a table of values joined on the key: column c<i> says whether the
    row changes field i and v<i> holds the value. SQLite (3.33+) and PostgreSQL both read
    `WITH v(...) AS (VALUES ...) UPDATE ... FROM v`; PostgreSQL needs each value cast to its column's
    type, SQLite stores by the column's affinity.
    """
    if not changes:
        return
    meta = model._meta
    named = {name for _row, names in changes for name in names}
    fields = [f for f in meta.local_concrete_fields if f.name in named or f.attname in named]
    if len(fields) != len(named) or any(f.primary_key for f in fields):
        raise ValueError(f"update_changed: {sorted(named)} are not all updatable fields of {model.__name__}")
    qn = connection.ops.quote_name
    table, key = qn(meta.db_table), qn(meta.pk.column)
    pg = connection.vendor == "postgresql"

    def cast(expression, field):
        return f"CAST({expression} AS {field.cast_db_type(connection)})" if pg else expression

    columns = ", ".join(["k", *(f"c{i}, v{i}" for i in range(len(fields)))])
    assignments = ", ".join(
        f"{qn(f.column)} = CASE WHEN v.c{i} THEN {cast(f'v.v{i}', f)} ELSE {table}.{qn(f.column)} END"
        for i, f in enumerate(fields)
    )
    per_row = 1 + 2 * len(fields)
    marks = "(" + ", ".join(["%s"] * per_row) + ")"
    limit = connection.features.max_query_params
    size = max(1, limit // per_row) if limit else len(changes)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        for start in range(0, len(changes), size):
            chunk = changes[start : start + size]
            params = []
            for row, names in chunk:
                params.append(meta.pk.get_db_prep_value(row.pk, connection))
                for field in fields:
                    changed = field.name in names or field.attname in names
                    params += [
                        changed,
                        field.get_db_prep_save(getattr(row, field.attname), connection) if changed else None,
                    ]
            values = ", ".join([marks] * len(chunk))
            cursor.execute(
                f"WITH v({columns}) AS (VALUES {values}) "  # noqa: S608 (a model's own table and columns)
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{key} = v.k",
                params,
            )
