"""Registers the load test's firms and accounts on a fresh registry; writes accounts.json beside
this file. Usage: PRECURSOR_ADMIN_PASSWORD=… python3 benches/load/setup.py BASE_URL FIRMS"""
import json
import os
import sys
import urllib.request

BASE, FIRMS = sys.argv[1], int(sys.argv[2])
PASSWORD = "load-test-password-1"
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def credit_code(n):
    first17 = "91350902MD%07d" % n
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS))
    return first17 + ALPHABET[(31 - total % 31) % 31]


def call(method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


def login(username, password):
    return call("POST", "/api/v1/auth/login", body={"username": username, "password": password})["access_token"]


admin = login("admin", os.environ["PRECURSOR_ADMIN_PASSWORD"])
call("POST", "/api/v1/users", admin, {"username": "load.regulator", "password": PASSWORD, "role": "regulator"})
regulator = login("load.regulator", PASSWORD)
chemical = call("GET", "/api/v1/chemicals?q=67-64-1", regulator)["items"][0]["id"]
clerks = []
for i in range(FIRMS):
    firm = call("POST", "/api/v1/firms", regulator, {"name": "负载企业%d" % i, "credit_code": credit_code(i),
                "region_code": "350902", "address": "宁德", "activities": ["use"]})
    name = "load.clerk%d" % i
    call("POST", "/api/v1/users", admin, {"username": name, "password": PASSWORD, "role": "enterprise", "firm_id": firm["id"]})
    clerks.append({"username": name, "firm_id": firm["id"]})
with open(os.path.join(os.path.dirname(__file__), "accounts.json"), "w") as f:
    json.dump({"password": PASSWORD, "regulator": "load.regulator", "chemical_id": chemical, "clerks": clerks}, f)
print("registered %d firms and their clerks" % FIRMS)
