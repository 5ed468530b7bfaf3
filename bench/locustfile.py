"""The Locust scenario of ``bench/load.py`` (not run on its own): members of the largest
bank browse their dashboard and statement and log exchanges; coordinators open the
approval queue, approve what waits, and read the audit log and the members list.

Reads ``LOAD_PEOPLE`` (a JSON file the benchmark writes: the members' and
coordinators' emails, the members' account ids, the password) and ``LOAD_HOSTS`` (the
app instances, comma separated: each simulated person keeps to one, as behind a load
balancer with sticky sessions; spread round-robin). Only loopback addresses.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import uuid
from datetime import UTC, datetime, timedelta

from locust import HttpUser, between, task

with open(os.environ["LOAD_PEOPLE"], encoding="utf-8") as _file:
    PEOPLE = json.load(_file)
HOSTS = os.environ["LOAD_HOSTS"].split(",")
assert all(h.startswith(("http://127.", "http://localhost")) for h in HOSTS)
_host_turn = itertools.count()
_member_turn = itertools.count()
_coordinator_turn = itertools.count()
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
APPROVE_CSRF = re.compile(r'name="approve-csrf_token" type="hidden" value="([^"]+)"')
REVIEW = re.compile(r'href="/coordinators/approvals/(\d+)"')


def _csrf(html: str, pattern=CSRF) -> str:
    match = pattern.search(html)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


class Person(HttpUser):
    abstract = True
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.client.base_url = HOSTS[next(_host_turn) % len(HOSTS)]
        self.host = self.client.base_url
        page = self.client.get("/auth/sign-in", name="sign-in page").text
        with self.client.post(
            "/auth/sign-in",
            data={"csrf_token": _csrf(page), "email": self.email, "password": PEOPLE["password"]},
            name="sign in",
            catch_response=True,
        ) as response:
            if "/auth/sign-in" in response.url:
                response.failure("sign-in refused")


class Member(Person):
    weight = 8

    def on_start(self) -> None:
        members = PEOPLE["members"]
        self.email, self.account = members[next(_member_turn) % len(members)]
        super().on_start()

    @task(4)
    def dashboard(self) -> None:
        self.client.get("/members/", name="member dashboard")

    @task(2)
    def statement(self) -> None:
        self.client.get("/members/statement", name="statement")

    @task(1)
    def log_exchange(self) -> None:
        page = self.client.get("/members/log", name="log form").text
        others = [a for _, a in PEOPLE["members"] if a != self.account]
        with self.client.post(
            "/members/log",
            data={
                "csrf_token": _csrf(page),
                "direction": "gave",
                "counterpart": str(random.choice(others)),
                "hours": "0",
                "minutes": "30",
                "service_date": (datetime.now(UTC).date() - timedelta(days=1)).isoformat(),
                "category": "",
                "description": "Load test",
                "idempotency_key": uuid.uuid4().hex,
                "action": "record",
            },
            name="log exchange",
            catch_response=True,
        ) as response:
            if "/members/log/" not in response.url:
                response.failure(f"not recorded (ended at {response.url})")


class Coordinator(Person):
    weight = 1

    def on_start(self) -> None:
        coordinators = PEOPLE["coordinators"]
        self.email = coordinators[next(_coordinator_turn) % len(coordinators)]
        super().on_start()

    @task(3)
    def approve(self) -> None:
        queue = self.client.get("/coordinators/approvals", name="approval queue").text
        waiting = REVIEW.findall(queue)
        if not waiting:
            return
        transfer_id = random.choice(waiting)
        detail = self.client.get(
            f"/coordinators/approvals/{transfer_id}", name="approval detail"
        ).text
        match = APPROVE_CSRF.search(detail)
        if match is None:  # approved by another coordinator meanwhile
            return
        self.client.post(
            f"/coordinators/approvals/{transfer_id}/approve",
            data={"approve-csrf_token": match.group(1)},
            name="approve",
        )

    @task(1)
    def audit_log(self) -> None:
        self.client.get("/coordinators/audit", name="audit log")

    @task(1)
    def members_list(self) -> None:
        self.client.get("/coordinators/members", name="members list")
