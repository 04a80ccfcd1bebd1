"""RELIABILITY T8 / SYNC B3: a Hypothesis state machine over the real sync API, in-process.

Two devices of one patient (phone, tablet) and the patient's nurse speak the protocol through
Django's test client. Rules create, edit (3-way merge) and delete diary rows, go offline (their
requests are never sent), lose responses (the batch is applied but the outbox is kept, so it is
retried), replay old batches late, raise alerts with red-flag reports, and annotate and
acknowledge alerts as the nurse. Another patient writes into their own diary all along.

A reference model of the server predicts the result of every mutation and the state of every
diary row it touches ("server state == model"). On top of it, SYNC.md B3's invariants:

I1  no lost writes: every acknowledged mutation is in the mutation log with an explicit result,
    every accepted create exists (or was tombstoned by a logged delete), every accepted edit is the
    current value, was knowingly superseded, or is kept in sync_conflict;
I2  exactly-once: mutation ids are logged once and consecutively, retried batches replay the first
    results, each row is created once;
I3  convergence: after healing, phone, tablet and nurse hold exactly the server's live rows;
I4  monotonic reads: per device, a row's version and the cursor never go back;
I5  scope safety: no device ever receives a row outside its patient's scope.

Each example builds its own patient, nurse and infusion (one pytest-django transaction holds
every example), so examples never see each other's rows.
"""

import itertools
import sys
import uuid
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from ivigapp.patients import services as patient_services
from ivigapp.patients.roles import ROLE_NURSE
from ivigapp.reactions import services
from ivigapp.reactions.models import HydrationLog
from ivigapp.sync.models import MutationLog, SyncClient, SyncConflict, patient_scope_id
from ivigapp.sync.pull import cursor_load
from ivigapp.sync.tables import TABLES
from tests.clinical_fixtures import infusion_open, patient_weigh, plan_standard
from tests.conftest import make_patient, make_staff
from tests.reactions.conftest import red_flags
from tests.sync.conftest import Device

pytestmark = pytest.mark.django_db

PHONE, TABLET, NURSE = "phone", "tablet", "nurse"
PATIENT_DEVICES = (PHONE, TABLET)
EVERYONE = (PHONE, TABLET, NURSE)
RESULTS = {"applied", "merged", "conflict", "rejected"}

# The diary tables the reference model follows, and the draft fields the rules edit.
DIARY = ("vial", "hydration", "medication")
EDITABLE = {"vial": ("quantity", "lot_number"), "hydration": ("volume_ml", "phase"), "medication": ("dose", "drug")}
VALUES = {
    "quantity": st.integers(1, 4),
    "lot_number": st.sampled_from(["LOT123", "AB-99", "ZX900"]),
    "volume_ml": st.sampled_from([100, 250, 500]),
    "phase": st.sampled_from(["same_day", "during", "after"]),
    "dose": st.sampled_from(["1 g", "500 mg", "10 mg"]),
    "drug": st.sampled_from(["Paracetamol", "Cetirizine"]),
}
LIMITS = {"quantity": (1, 50), "volume_ml": (1, 5000)}
INVALID = {"vial": {"quantity": 0}, "hydration": {"volume_ml": 9000}, "rate_change": {"rate_ml_h": "50"}}
CREATE = {
    "vial": {
        "lot_number": VALUES["lot_number"],
        "expiry_date": st.just("2030-01-01"),
        "vial_size_g": st.sampled_from(["5.0", "10.0", "20.0"]),
        "quantity": VALUES["quantity"],
    },
    "hydration": {"phase": VALUES["phase"], "volume_ml": VALUES["volume_ml"]},
    "medication": {
        "category": st.sampled_from(["premed", "as_needed"]),
        "drug": VALUES["drug"],
        "dose": VALUES["dose"],
    },
}
SEED = {
    "vial": {"lot_number": "LOT123", "expiry_date": "2030-01-01", "vial_size_g": "10.0", "quantity": 1},
    "hydration": {"phase": "during", "volume_ml": 250},
    "medication": {"category": "premed", "drug": "Paracetamol", "dose": "1 g"},
}
CLINICAL_TIME = {"hydration": "logged_at", "medication": "given_at"}
LIMIT = st.sampled_from([500, 5])  # small pages exercise the cursor between pages

_serial = itertools.count(1)
STATS = Counter()  # result classes and faults seen over a run (B3 asks for the counts); handy in a debugger


def iso(moment):
    return moment.isoformat()


def infusing_patient(username, *, region, admin, product, protocol, nurse):
    """A new patient of this nurse with an infusion in progress."""
    patient = make_patient(username, region, admin)
    patient_services.care_team_assign(
        actor=admin, nurse=nurse, patient=patient, starts_at=timezone.now() - timedelta(days=1)
    )
    return patient, infusion_start(patient, admin=admin, product=product, protocol=protocol)


def infusion_start(patient, *, admin, product, protocol):
    """Weighs the patient, gives them a plan and starts an infusion at 35 mL/h, through the services."""
    patient_weigh(patient, admin)
    episode = infusion_open(patient, plan_standard(patient, admin, product, protocol))
    services.rate_change_record(actor=patient.user, episode=episode, at=episode.started_at, rate_ml_h=Decimal(35))
    return episode


class ModelDevice(Device):
    """A Device that checks every pull page as it arrives: I4 (monotonic reads) and I5 (scope)."""

    def __init__(self, user, *, label, patient_id):
        self.label = label
        self.patient_id = str(patient_id)
        self.scope_id = patient_scope_id(patient_id)
        self.seen_versions = {}
        self.cursor_versions = {}
        self.in_scope = set()
        super().__init__(user)

    def post(self, url, body):
        response = super().post(url, body)
        if url.endswith("/pull") and response.status_code == 200:
            self._check_page(response.json())
        return response

    def _check_page(self, body):
        assert body["reset"] is False and body["scopes_removed"] == [], (self.label, body["reset"])
        by_table = defaultdict(list)
        for change in body["changes"]:
            key = (change["table"], change["id"])
            seen = self.seen_versions.get(key, 0)
            assert change["version"] >= seen, f"I4: {self.label} got {key} at v{change['version']} after v{seen}"
            self.seen_versions[key] = change["version"]
            by_table[change["table"]].append(change["id"])
            patient_id = (change.get("row") or {}).get("patient_id")
            assert patient_id in (None, self.patient_id), f"I5: {self.label} received {key} of patient {patient_id}"
        for table, ids in by_table.items():
            ids = [row_id for row_id in ids if (table, row_id) not in self.in_scope]
            scopes = dict(TABLES[table].model.objects.filter(pk__in=ids).values_list("pk", "scope_id"))
            foreign = {row_id: scopes.get(uuid.UUID(row_id)) for row_id in ids}
            foreign = {row_id: scope for row_id, scope in foreign.items() if scope != self.scope_id}
            assert not foreign, f"I5: {self.label} received {table} rows of other scopes: {foreign}"
            self.in_scope.update((table, row_id) for row_id in ids)  # a row never changes scope
        cursor = cursor_load(body["cursor"])
        assert set(cursor) == {self.scope_id}, f"I5: {self.label}'s cursor names {sorted(cursor)}"
        for scope, (_epoch, version) in cursor.items():
            before = self.cursor_versions.get(scope, 0)
            assert version >= before, f"I4: {self.label}'s cursor for {scope} went from {before} to {version}"
            self.cursor_versions[scope] = version


class SyncMachine(RuleBasedStateMachine):
    """One patient's phone and tablet and their nurse against the real push and pull endpoints."""

    world: dict = {}  # set by the test: region, admin, product, protocol, stranger device and episode

    def __init__(self):
        super().__init__()
        world = self.world
        n = next(_serial)
        nurse = make_staff(f"modelnurse{n}", ROLE_NURSE)
        patient, episode = infusing_patient(f"modelpatient{n}", nurse=nurse, **world["setup"])
        self.episode_id = str(episode.pk)
        self.scope_id = patient_scope_id(patient.pk)
        users = {PHONE: patient.user, TABLET: patient.user, NURSE: nurse}
        self.devices = {name: ModelDevice(user, label=name, patient_id=patient.pk) for name, user in users.items()}
        self.online = dict.fromkeys(PATIENT_DEVICES, True)
        self.sent = {name: [] for name in EVERYONE}  # batches each device has sent, for late replays
        self.written = dict.fromkeys(EVERYONE, 0)  # the highest mutation id each device has made
        self.acked = dict.fromkeys(EVERYONE, 0)  # the highest id each device knows is acknowledged
        # The reference model of the server.
        self.last = {d.client_id: 0 for d in self.devices.values()}  # last_mutation_id per client
        self.results = {}  # (client, mutation id) -> the first result the server gave
        self.expect = {}  # (client, mutation id) -> allowed statuses, for tables the model does not follow
        self.invalid = set()  # (client, mutation id) of deliberately invalid edits
        self.rows = {}  # row id -> {"table", "version", "deleted", "values"} for DIARY rows
        self.conflicts = defaultdict(int)  # row id -> sync_conflict rows expected
        self.healed, self.heals, self.stranger_writes, self.reports = True, 0, 0, 0
        self.pushes, self.nurse_pulled_at = 0, 0
        # Start from a synced diary with one row of each kind, so edits and deletes can begin at once.
        for table, values in SEED.items():
            self._create(PHONE, table, values)
        self._push(PHONE)
        for name in PATIENT_DEVICES:
            self._pull(name)

    # Helpers -------------------------------------------------------------------------------------

    def _write(self, name, table, row_id=None, *, expect=None, invalid=False, **mutation):
        device = self.devices[name]
        written = device.write(table, row_id, **mutation)
        written["recorded_at"] = iso(timezone.now())
        self.healed = False
        self.written[name] = written["id"]
        key = (device.client_id, written["id"])
        if expect is not None:
            self.expect[key] = expect
        if invalid:
            self.invalid.add(key)
        return written

    def _rows(self, name, tables):
        return sorted(key for key in self.devices[name].replica if key[0] in tables)

    def _view(self, name, key):
        """What the device shows for a row: its replica with its pending, valid edits on top."""
        device = self.devices[name]
        change = device.replica[key]
        values = dict(change["row"])
        for mutation in device.outbox:
            if (
                mutation["row_id"] == key[1]
                and mutation["kind"] == "upsert"
                and (device.client_id, mutation["id"]) not in self.invalid
            ):
                values.update(mutation["set"])
        return change["version"], values

    def _push(self, name, *, lose_response=False):
        device = self.devices[name]
        if not device.outbox:
            return
        kept = list(device.outbox)
        batch = [dict(m) for m in device.outbox]
        response = device.push()
        self.pushes += 1
        assert response.status_code == 200, (name, response.status_code, response.content)
        body = response.json()
        self._account(device, batch, body)
        self.sent[name].append(batch)
        if lose_response:
            STATS["lost responses"] += 1
            device.outbox = kept  # the response never arrived: nothing is pruned, the batch is retried later
        else:
            self.acked[name] = max(self.acked[name], body["last_mutation_id"])

    def _pull(self, name, limit=500):
        device = self.devices[name]
        body, pages = device.pull_all(limit=limit)
        STATS["pull pages"] += pages
        # Client obligation (SYNC 2.5): drop outbox entries at or below the server's last_mutation_id.
        device.outbox = [m for m in device.outbox if m["id"] > body["last_mutation_id"]]
        self.acked[name] = max(self.acked[name], body["last_mutation_id"])

    def _account(self, device, batch, body):
        """Checks each result against the model; replays must repeat the first result exactly."""
        client = device.client_id
        by_id = {m["id"]: m for m in batch}
        returned = [r["id"] for r in body["results"]]
        assert returned == [m["id"] for m in batch][: len(returned)], (returned, list(by_id))
        for result in body["results"]:
            key = (client, result["id"])
            if key in self.results:
                assert result == self.results[key], f"I2: retry of {key} gave {result}, first {self.results[key]}"
                STATS["replayed"] += 1
                continue
            assert result["id"] == self.last[client] + 1, f"I2: {key} applied after {self.last[client]}"
            self.last[client] = result["id"]
            self.results[key] = result
            mutation = by_id[result["id"]]
            STATS[f"{mutation['table']}.{mutation['kind']}.{result['status']}"] += 1
            if mutation["table"] in DIARY:
                status, version = self._predict(mutation)
                assert (result["status"], result.get("row_version")) == (status, version), (
                    f"model: {mutation} should give {status} v{version}, server said {result}"
                )
            else:
                assert result["status"] in self.expect[key], (mutation, result)
            if result["status"] == "conflict":
                conflict = SyncConflict.objects.filter(pk=result.get("conflict_id")).first()
                assert conflict is not None and str(conflict.row_id) == mutation["row_id"], (mutation, result)
        assert body["last_mutation_id"] == self.last[client]

    def _predict(self, m):
        """The server's conflict policy (SYNC 2.6) on the model: (status, row_version)."""
        row = self.rows.get(m["row_id"])
        if m["kind"] == "delete":
            if row is None:
                return "applied", 0
            if row["deleted"]:
                return "applied", row["version"]
            status = "applied"
            if m["base_version"] is not None and m["base_version"] != row["version"]:
                status = "conflict"
                self.conflicts[m["row_id"]] += 1
            row["deleted"] = True
            row["version"] += 1
            return status, row["version"]
        if row is None:
            if m["base_version"] is not None:
                return "rejected", None
            values = {name: m["set"][name] for name in EDITABLE[m["table"]]}
            self.rows[m["row_id"]] = {"table": m["table"], "version": 1, "deleted": False, "values": values}
            return "applied", 1
        if row["deleted"]:
            self.conflicts[m["row_id"]] += 1  # an edit never resurrects; it is kept against the tombstone
            return "conflict", row["version"]
        valid = all(LIMITS.get(n, (v, v))[0] <= v <= LIMITS.get(n, (v, v))[1] for n, v in m["set"].items())
        if m["base_version"] is None or not valid:
            return "rejected", None
        values = row["values"]
        if row["version"] == m["base_version"]:
            values.update(m["set"])
            row["version"] += 1
            return "applied", row["version"]
        apply, conflicts = {}, 0
        for name, value in m["set"].items():
            if values[name] == value:
                continue
            if not (name in m["base"] and values[name] == m["base"][name]):
                conflicts += 1
            apply[name] = value
        if apply:
            values.update(apply)
            row["version"] += 1
        self.conflicts[m["row_id"]] += conflicts
        return ("conflict" if conflicts else "merged"), row["version"]

    # Rules -------------------------------------------------------------------------------------

    def _create(self, name, table, values):
        values = {"episode_id": self.episode_id, **values}
        if table in CLINICAL_TIME:
            values[CLINICAL_TIME[table]] = iso(timezone.now() - timedelta(minutes=30))
        self._write(name, table, set=values)

    def _edit(self, name, key, fields, data):
        version, shown = self._view(name, key)
        changes = {field: data.draw(VALUES[field], label=f"{name} {field}") for field in fields}
        base = {field: shown[field] for field in fields}
        self._write(name, key[0], key[1], set=changes, base_version=version, base=base)

    @rule(device=st.sampled_from(PATIENT_DEVICES), table=st.sampled_from(DIARY), data=st.data())
    def create(self, device, table, data):
        self._create(device, table, data.draw(st.fixed_dictionaries(CREATE[table]), label="values"))

    @precondition(lambda self: any(self._rows(d, DIARY) for d in PATIENT_DEVICES))
    @rule(data=st.data())
    def edit(self, data):
        device = data.draw(st.sampled_from([d for d in PATIENT_DEVICES if self._rows(d, DIARY)]), label="device")
        key = data.draw(st.sampled_from(self._rows(device, DIARY)), label="row")
        fields = data.draw(st.lists(st.sampled_from(EDITABLE[key[0]]), min_size=1, max_size=2, unique=True))
        self._edit(device, key, fields, data)

    @precondition(lambda self: set(self._rows(PHONE, DIARY)) & set(self._rows(TABLET, DIARY)))
    @rule(data=st.data())
    def both_devices_edit_one_row(self, data):
        """The concurrent case the 3-way merge exists for: same row, same or different fields."""
        key = data.draw(st.sampled_from(sorted(set(self._rows(PHONE, DIARY)) & set(self._rows(TABLET, DIARY)))))
        for device in PATIENT_DEVICES:
            self._edit(device, key, [data.draw(st.sampled_from(EDITABLE[key[0]]), label=f"{device} field")], data)

    @precondition(lambda self: any(self._rows(d, INVALID) for d in PATIENT_DEVICES))
    @rule(data=st.data())
    def edit_with_a_bad_value(self, data):
        """Rejected (or, against a tombstone, kept as a conflict); acknowledged either way."""
        device = data.draw(st.sampled_from([d for d in PATIENT_DEVICES if self._rows(d, INVALID)]), label="device")
        table, row_id = data.draw(st.sampled_from(self._rows(device, INVALID)), label="row")
        version, shown = self._view(device, (table, row_id))
        changes = INVALID[table]
        base = {name: shown[name] for name in changes}
        expect = {"rejected"} if table not in DIARY else None
        self._write(device, table, row_id, set=changes, base_version=version, base=base, expect=expect, invalid=True)

    @precondition(lambda self: any(self._rows(d, DIARY) for d in PATIENT_DEVICES))
    @rule(data=st.data())
    def delete(self, data):
        device = data.draw(st.sampled_from([d for d in PATIENT_DEVICES if self._rows(d, DIARY)]), label="device")
        key = data.draw(st.sampled_from(self._rows(device, DIARY)), label="row")
        self._write(device, key[0], key[1], kind="delete", base_version=self.devices[device].replica[key]["version"])

    @precondition(lambda self: self.reports < 2)
    @rule(device=st.sampled_from(PATIENT_DEVICES))
    def report_a_red_flag(self, device):
        self.reports += 1
        values = {
            "episode_id": self.episode_id,
            "onset_at": iso(timezone.now() - timedelta(minutes=5)),
            "red_flag_answers": red_flags("RF_LIMB"),
        }
        self._write(device, "symptom_report", set=values, expect={"applied"})

    @precondition(lambda self: any(self.online.values()))
    @rule(data=st.data())
    def go_offline(self, data):
        device = data.draw(st.sampled_from([d for d in PATIENT_DEVICES if self.online[d]]), label="device")
        self.online[device] = False

    @precondition(lambda self: not all(self.online.values()))
    @rule(data=st.data(), limit=LIMIT)
    def come_online_and_sync(self, data, limit):
        device = data.draw(st.sampled_from([d for d in PATIENT_DEVICES if not self.online[d]]), label="device")
        self.online[device] = True
        self._push(device)
        self._pull(device, limit)

    @precondition(lambda self: any(self.online.values()))
    @rule(data=st.data(), limit=LIMIT)
    def sync(self, data, limit):
        device = data.draw(st.sampled_from([d for d in PATIENT_DEVICES if self.online[d]]), label="device")
        self._push(device)
        self._pull(device, limit)

    @precondition(lambda self: any(self.online[d] and self.devices[d].outbox for d in PATIENT_DEVICES))
    @rule(data=st.data())
    def push_but_lose_the_response(self, data):
        candidates = [d for d in PATIENT_DEVICES if self.online[d] and self.devices[d].outbox]
        self._push(data.draw(st.sampled_from(candidates), label="device"), lose_response=True)

    @precondition(lambda self: any(self.online[d] and self.sent[d] for d in PATIENT_DEVICES))
    @rule(data=st.data())
    def replay_an_old_batch_late(self, data):
        """A duplicated request arrives after newer ones: every result is the first one again."""
        device = data.draw(st.sampled_from([d for d in PATIENT_DEVICES if self.online[d] and self.sent[d]]))
        batch = data.draw(st.sampled_from(self.sent[device]), label="batch")
        response = self.devices[device].push(batch)
        assert response.status_code == 200, response.content
        self._account(self.devices[device], batch, response.json())

    @precondition(lambda self: self.nurse_pulled_at < self.pushes)
    @rule(limit=LIMIT)
    def nurse_pulls(self, limit):
        self.nurse_pulled_at = self.pushes
        self._pull(NURSE, limit)

    @precondition(lambda self: self._rows(NURSE, ("alert",)))
    @rule(data=st.data(), acknowledge=st.booleans())
    def nurse_annotates_an_alert(self, data, acknowledge):
        key = data.draw(st.sampled_from(self._rows(NURSE, ("alert",))), label="alert")
        change = self.devices[NURSE].replica[key]
        self._write(NURSE, "alert_note", set={"alert_id": key[1], "text": "Called back."}, expect={"applied"})
        if acknowledge:
            base = {"acknowledged": change["row"]["acknowledged_at"] is not None}
            self._write(
                NURSE,
                "alert",
                key[1],
                set={"acknowledged": True},
                base_version=change["version"],
                base=base,
                expect={"applied", "merged"},
            )
        self._push(NURSE)

    @precondition(lambda self: self.stranger_writes < 2)
    @rule(report=st.booleans())
    def another_patient_writes(self, report):
        """Rows of another scope appear all along; I5 checks none of them reaches these devices."""
        self.stranger_writes += 1
        stranger, episode_id = self.world["stranger"], self.world["stranger_episode_id"]
        if report:
            values = {
                "episode_id": episode_id,
                "onset_at": iso(timezone.now()),
                "red_flag_answers": red_flags("RF_LIMB"),
            }
            stranger.write("symptom_report", set=values)
        else:
            values = {"episode_id": episode_id, "phase": "during", "volume_ml": 200, "logged_at": iso(timezone.now())}
            stranger.write("hydration", set=values)
        body = stranger.push().json()
        assert [r["status"] for r in body["results"]] == ["applied"]

    @precondition(lambda self: not self.healed and self.heals < 2)
    @rule()
    def heal(self):
        """Mid-run healing (also done at the end by teardown)."""
        self.heals += 1
        self._heal()

    def _heal(self):
        """Everyone online, every outbox drained, everyone pulls: I1, I2 and I3 must hold."""
        self.healed = True
        for name in PATIENT_DEVICES:
            self.online[name] = True
        for _ in range(5):
            for name in EVERYONE:
                self._push(name)
            if not any(d.outbox for d in self.devices.values()):
                break
        assert not any(d.outbox for d in self.devices.values()), "outboxes did not drain"
        for name in EVERYONE:
            self._pull(name)
        ours, theirs = self._server_rows()
        self._check_convergence(ours, theirs)
        self._check_no_lost_writes(ours)

    def teardown(self):
        if sys.exc_info()[0] is None:  # after a failed step, leave its error alone
            self._heal()

    # Invariants --------------------------------------------------------------------------------

    @invariant()
    def server_matches_model(self):
        for table in DIARY:
            fields = EDITABLE[table]
            actual = {
                str(row["id"]): {
                    "version": row["version"],
                    "deleted": row["deleted"],
                    "values": {n: row[n] for n in fields},
                }
                for row in TABLES[table]
                .model.objects.filter(scope_id=self.scope_id)
                .values("id", "version", "deleted", *fields)
            }
            expected = {
                row_id: {k: v for k, v in row.items() if k != "table"}
                for row_id, row in self.rows.items()
                if row["table"] == table
            }
            assert actual == expected, f"server != model for {table}"
        counts = defaultdict(int)
        for row_id in SyncConflict.objects.filter(scope_id=self.scope_id).values_list("row_id", flat=True):
            counts[str(row_id)] += 1
        diary_counts = {k: v for k, v in counts.items() if k in self.rows}
        assert diary_counts == {k: v for k, v in self.conflicts.items() if v}, "sync_conflict rows != model"

    @invariant()
    def exactly_once_and_no_dropped_outbox_entry(self):
        clients = [device.client_id for device in self.devices.values()]
        logs = defaultdict(list)
        for client, mutation_id in MutationLog.objects.filter(client_id__in=clients).values_list(
            "client_id", "mutation_id"
        ):
            logs[str(client)].append(mutation_id)
        lasts = {
            str(pk): last
            for pk, last in SyncClient.objects.filter(pk__in=clients).values_list("pk", "last_mutation_id")
        }
        for name, device in self.devices.items():
            logged, last = sorted(logs[device.client_id]), lasts[device.client_id]
            assert logged == list(range(1, last + 1)), f"I2: {name} logged {logged}, last_mutation_id {last}"
            assert last == self.last[device.client_id]
            pending = {m["id"] for m in device.outbox}
            dropped = set(range(1, self.written[name] + 1)) - pending - set(logged)
            assert not dropped, f"{name}'s outbox dropped unacknowledged mutations {sorted(dropped)}"
            assert self.acked[name] <= last
            assert all(m["id"] > self.acked[name] for m in device.outbox), f"{name} kept acknowledged entries"

    def _server_rows(self):
        """Every row of this scope and of the other patient's, by (table, id): one query per table."""
        stranger_scope = patient_scope_id(self.world["stranger_patient_id"])
        ours, theirs = {}, set()
        for table in TABLES.values():
            for row in table.model.objects.filter(scope_id__in=[self.scope_id, stranger_scope]):
                if row.scope_id == self.scope_id:
                    ours[(table.name, str(row.pk))] = row
                else:
                    theirs.add((table.name, str(row.pk)))
        return ours, theirs

    def _check_convergence(self, ours, theirs):
        """I3: every replica equals the server's live rows of the scope (ids and versions), and each other."""
        server = {key: row.version for key, row in ours.items() if not row.deleted}
        for name, device in self.devices.items():
            replica = {key: change["version"] for key, change in device.replica.items()}
            missing, extra = set(server) - set(replica), set(replica) - set(server)
            stale = {k: (replica[k], server[k]) for k in set(server) & set(replica) if replica[k] != server[k]}
            assert not (missing or extra or stale), f"I3: {name} missing {missing}, extra {extra}, stale {stale}"
            assert not theirs & set(device.replica), f"I5: {name} holds another patient's rows"
        phone, tablet, nurse = (self.devices[n].replica for n in EVERYONE)
        assert phone == tablet, "I3: phone and tablet differ"
        assert nurse == phone, "I3: the nurse's replica differs from the patient's"
        for row_id, row in self.rows.items():
            if not row["deleted"]:
                shown = {n: phone[(row["table"], row_id)]["row"][n] for n in row["values"]}
                assert shown == row["values"], f"I3: replica of {row_id} shows {shown}, model {row['values']}"

    def _check_no_lost_writes(self, ours):
        """I1 (and I2's one create per row) over the whole mutation log of the three devices."""
        clients = {d.client_id: name for name, d in self.devices.items()}
        logs = list(MutationLog.objects.filter(client_id__in=list(clients)).order_by("pk"))
        logged = defaultdict(set)
        for log in logs:
            client = str(log.client_id)
            assert log.result in RESULTS and log.response["status"] == log.result
            assert log.response == self.results[(client, log.mutation_id)], "I1: the log disagrees with the ack"
            logged[clients[client]].add(log.mutation_id)
        for name in EVERYONE:
            missing = set(range(1, self.acked[name] + 1)) - logged[name]
            assert not missing, f"I1: {name}'s acknowledged mutations {sorted(missing)} are not logged"
        conflicts = defaultdict(list)
        for (table, _), row in ours.items():
            if table == "sync_conflict":
                conflicts[str(row.row_id)].append(row)
        accepted = [log for log in logs if log.result != "rejected"]
        deleted_by_log = {log.payload["row_id"] for log in accepted if log.payload["kind"] == "delete"}
        creates = defaultdict(int)
        for index, log in enumerate(accepted):
            mutation = log.payload
            row = ours.get((mutation["table"], mutation["row_id"]))
            if mutation["kind"] == "upsert" and mutation["base_version"] is None:
                creates[mutation["row_id"]] += 1
                assert row is not None, f"I1: created {mutation} is gone from the scope"
                assert not row.deleted or mutation["row_id"] in deleted_by_log, f"I1: {mutation} deleted by no one"
            elif mutation["kind"] == "upsert" and mutation["table"] in DIARY and not row.deleted:
                later = accepted[index + 1 :]
                self._check_edit_kept(mutation, log.response, row, conflicts[mutation["row_id"]], later)
        duplicated = {row_id: n for row_id, n in creates.items() if n > 1}
        assert not duplicated, f"I2: rows created more than once: {duplicated}"

    def _check_edit_kept(self, mutation, response, row, conflicts, later):
        """An accepted edit's value is current, kept in sync_conflict, or knowingly superseded later."""
        for name, value in mutation["set"].items():
            if getattr(row, name) == value:
                continue
            if any(c.field == name and value in (c.kept_value, c.other_value) for c in conflicts):
                continue
            superseded = any(
                log.payload["row_id"] == mutation["row_id"]
                and name in log.payload.get("set", {})
                and (log.payload["base_version"] >= response["row_version"] or log.payload["base"].get(name) == value)
                for log in later
                if log.payload["kind"] == "upsert"
            )
            assert superseded, f"I1: the edit {mutation} ({name}={value!r}) is lost; row has {getattr(row, name)!r}"


HYPOTHESIS_SETTINGS = settings(
    max_examples=15,
    stateful_step_count=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def test_the_sync_protocol_keeps_its_invariants(region, admin_user, product, protocol, other_patient):
    setup = {"region": region, "admin": admin_user, "product": product, "protocol": protocol}
    # The other patient's diary (another nurse's patient) exists before the run and grows during it.
    stranger_episode = infusion_start(other_patient, admin=admin_user, product=product, protocol=protocol)
    stranger = Device(other_patient.user)
    stranger.write(
        "hydration",
        set={
            "episode_id": str(stranger_episode.pk),
            "phase": "during",
            "volume_ml": 300,
            "logged_at": iso(timezone.now()),
        },
    )
    assert stranger.push().json()["results"][0]["status"] == "applied"
    services.hydration_record(
        actor=other_patient.user, episode=stranger_episode, phase="after", volume_ml=100, logged_at=timezone.now()
    )
    SyncMachine.world = {
        "setup": setup,
        "stranger": stranger,
        "stranger_episode_id": str(stranger_episode.pk),
        "stranger_patient_id": other_patient.pk,
    }
    run_state_machine_as_test(SyncMachine, settings=HYPOTHESIS_SETTINGS)


def test_two_devices_edit_one_field_from_one_base(episode, nurse):
    """Phone and tablet change the same draft field offline from the same base; the tablet's
    response is lost and its batch retried. One conflict row, the later arrival wins, and every
    device converges with the conflict in its replica."""
    user = episode.patient.user
    phone, tablet = Device(user), Device(user)
    created = phone.write(
        "hydration",
        set={
            "episode_id": str(episode.pk),
            "phase": "during",
            "volume_ml": 250,
            "logged_at": iso(timezone.now() - timedelta(minutes=20)),
        },
    )
    row_id, key = created["row_id"], ("hydration", created["row_id"])
    assert [r["status"] for r in phone.push().json()["results"]] == ["applied"]
    phone.pull_all()
    tablet.pull_all()
    assert phone.replica[key]["version"] == tablet.replica[key]["version"] == 1

    # Both offline: the same field, the same base.
    phone.write("hydration", row_id, set={"volume_ml": 300}, base_version=1, base={"volume_ml": 250})
    tablet.write("hydration", row_id, set={"volume_ml": 500}, base_version=1, base={"volume_ml": 250})

    # The phone comes back first and even pulls its own change before the tablet arrives.
    assert phone.push().json()["results"] == [{"id": 2, "status": "applied", "row_version": 2}]
    phone.pull_all()
    assert phone.replica[key]["row"]["volume_ml"] == 300 and "conflicts" not in phone.replica[key]

    # The tablet's push is applied but the response is lost; it retries the same batch.
    kept = list(tablet.outbox)
    lost = tablet.push().json()
    tablet.outbox = kept
    retried = tablet.push().json()
    assert retried["results"] == lost["results"] and tablet.outbox == []
    result = retried["results"][0]
    assert (result["status"], result["row_version"]) == ("conflict", 3)

    conflict = SyncConflict.objects.get(row_id=row_id)  # exactly one, despite the retry
    assert str(conflict.pk) == result["conflict_id"]
    assert (conflict.field, conflict.base_value, conflict.kept_value, conflict.other_value) == (
        "volume_ml",
        250,
        500,
        300,
    )
    assert HydrationLog.objects.get(pk=row_id).volume_ml == 500, "the later arrival wins, by server order"
    assert MutationLog.objects.filter(client_id=tablet.client_id).count() == 1

    nurse_device = Device(nurse)
    for device in (phone, tablet, nurse_device):
        device.pull_all()
    assert phone.replica == tablet.replica == nurse_device.replica
    for device in (phone, tablet, nurse_device):
        assert device.replica[key]["version"] == 3 and device.replica[key]["row"]["volume_ml"] == 500
        assert device.replica[key]["conflicts"] == [str(conflict.pk)]
        assert device.replica[("sync_conflict", str(conflict.pk))]["row"]["other_value"] == 300


def test_a_note_pushed_by_sync_keeps_the_id_its_device_made(episode, nurse):
    """Regression: the machine found alert notes pushed by sync stored under a server-made id (P2)."""
    from ivigapp.reactions.models import AlertNote

    patient_device = Device(episode.patient.user)
    patient_device.write(
        "symptom_report",
        set={"episode_id": str(episode.pk), "onset_at": iso(timezone.now()), "red_flag_answers": red_flags("RF_LIMB")},
    )
    patient_device.push()
    nurse_device = Device(nurse)
    nurse_device.pull_all()
    alert_id = next(row_id for table, row_id in nurse_device.replica if table == "alert")
    note = nurse_device.write("alert_note", set={"alert_id": alert_id, "text": "Called back."})
    assert nurse_device.push().json()["results"][0]["status"] == "applied"
    nurse_device.pull_all()
    assert [str(pk) for pk in AlertNote.objects.values_list("pk", flat=True)] == [note["row_id"]]
    assert ("alert_note", note["row_id"]) in nurse_device.replica
