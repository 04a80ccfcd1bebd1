"""A device that speaks the sync protocol over the real HTTP API, with an outbox."""

import itertools
import uuid

import pytest
from django.test import Client


class Device:
    def __init__(self, user, *, schema_version=1):
        self.http = Client()
        self.http.force_login(user)
        self.user = user
        self.client_id = str(uuid.uuid4())
        self.schema_version = schema_version
        self.ids = itertools.count(1)
        self.outbox = []
        self.cursor = None
        self.replica = {}
        response = self.post("/api/sync/v1/clients", {"client_id": self.client_id, "schema_version": schema_version})
        assert response.status_code == 200, response.content

    def post(self, url, body):
        return self.http.post(url, body, content_type="application/json")

    def write(self, table, row_id=None, *, set=None, kind="upsert", base_version=None, base=None):
        mutation = {
            "id": next(self.ids),
            "kind": kind,
            "table": table,
            "row_id": str(row_id or uuid.uuid4()),
            "base_version": base_version,
            "set": set or {},
            "base": base or {},
        }
        self.outbox.append(mutation)
        return mutation

    def push(self, mutations=None):
        batch = self.outbox if mutations is None else mutations
        response = self.post(
            "/api/sync/v1/push",
            {"client_id": self.client_id, "schema_version": self.schema_version, "mutations": batch},
        )
        if response.status_code == 200:
            acked = response.json()["last_mutation_id"]
            self.outbox = [m for m in self.outbox if m["id"] > acked]
        return response

    def pull_all(self, limit=500):
        pages = 0
        while True:
            response = self.post(
                "/api/sync/v1/pull",
                {
                    "client_id": self.client_id,
                    "schema_version": self.schema_version,
                    "cursor": self.cursor,
                    "limit": limit,
                },
            )
            assert response.status_code == 200, response.content
            body = response.json()
            if body["reset"]:
                self.replica = {}
            for scope in body["scopes_removed"]:
                self.replica = {k: v for k, v in self.replica.items() if v.get("scope") != scope}
            for change in body["changes"]:
                key = (change["table"], change["id"])
                if change["deleted"]:
                    self.replica.pop(key, None)
                else:
                    self.replica[key] = change
            self.cursor = body["cursor"]
            pages += 1
            if not body["has_more"]:
                return body, pages


@pytest.fixture
def device_for():
    return Device
