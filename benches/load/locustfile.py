"""A mixed day at the registry, for locust (docs/performance.md, "Load"):
clerks filing single entries and reading their ledger and inventory, regulators reading the firm
directory, firm ledgers, the in-transit board and findings, and one validation run.

    precursor-registry serve --data-dir /tmp/load --filing-rate-limit-per-minute 0 &   # PRECURSOR_ADMIN_PASSWORD set
    PRECURSOR_ADMIN_PASSWORD=… python3 benches/load/setup.py http://127.0.0.1:8080 20
    locust -f benches/load/locustfile.py --headless -u 40 -r 20 -t 60s --host http://127.0.0.1:8080 --csv /tmp/load

setup.py registers the firms and accounts and writes benches/load/accounts.json (not committed).
"""
import itertools
import json
import os
import random
import threading

from locust import HttpUser, between, task

HERE = os.path.dirname(__file__)
with open(os.path.join(HERE, "accounts.json")) as f:
    ACCOUNTS = json.load(f)
PASSWORD = ACCOUNTS["password"]
CLERKS = itertools.cycle(ACCOUNTS["clerks"])
LOCK = threading.Lock()
VALIDATED = threading.Event()


def sign_in(client, username):
    r = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD}, name="sign in")
    return {"Authorization": "Bearer " + r.json()["access_token"]}


class Clerk(HttpUser):
    weight = 8
    wait_time = between(0.05, 0.2)

    def on_start(self):
        with LOCK:
            account = next(CLERKS)
        self.firm = account["firm_id"]
        self.headers = sign_in(self.client, account["username"])
        self.seq = 0

    @task(5)
    def file_an_entry(self):
        self.seq += 1
        entry = {"kind": "production", "chemical_id": ACCOUNTS["chemical_id"],
                 "quantity": "%d.%03d" % (random.randint(1, 900), self.seq % 1000),
                 "occurred_at": "2026-03-01T08:00:00Z", "warehouse": "W1", "note": "负载测试"}
        self.client.post("/api/v1/firms/%s/ledger" % self.firm, json=entry, headers=self.headers,
                         name="file one entry")

    @task(2)
    def read_the_ledger(self):
        self.client.get("/api/v1/firms/%s/ledger?limit=50" % self.firm, headers=self.headers,
                        name="own ledger page")

    @task(1)
    def read_the_inventory(self):
        self.client.get("/api/v1/firms/%s/inventory" % self.firm, headers=self.headers,
                        name="own inventory")


class Regulator(HttpUser):
    weight = 2
    wait_time = between(0.2, 0.5)

    def on_start(self):
        self.headers = sign_in(self.client, ACCOUNTS["regulator"])
        # One validation run in the day, by the first regulator to start.
        if not VALIDATED.is_set():
            VALIDATED.set()
            self.client.post("/api/v1/custody/validations", json={}, headers=self.headers,
                             name="validation run")

    @task(2)
    def firm_directory(self):
        self.client.get("/api/v1/firms?limit=50", headers=self.headers, name="firm directory")

    @task(2)
    def a_firm_ledger(self):
        firm = random.choice(ACCOUNTS["clerks"])["firm_id"]
        self.client.get("/api/v1/firms/%s/ledger?limit=100" % firm, headers=self.headers,
                        name="a firm's ledger")

    @task(1)
    def in_transit_board(self):
        self.client.get("/api/v1/shipments/summary", headers=self.headers, name="in-transit board")

    @task(1)
    def findings(self):
        self.client.get("/api/v1/custody/findings?limit=50", headers=self.headers, name="findings")
