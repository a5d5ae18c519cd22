"""Load without loss: many Open311 reports and course sign-ups at once, then what the database holds.

The clients (threads over ``http.client`` and ``requests``, 127.0.0.1 only, bounded in count and
time) and the checks of what they were told against the rows. ``tests/load/test_load.py`` runs
them at a small scale against gunicorn (``tests/load/server.py``); ``benchmarks/load.py`` and
``benchmarks/faults.py`` at full size.
"""
from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import itertools
import json
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from tests.load.server import HOST, REQUEST_TIMEOUT_S, get
from tests.outbox import rendered

#: Postal codes that each name one municipality of the Region (1040 and 1050 name two).
POSTAL_CODES = ("1000", "1030", "1060", "1080", "1180", "1210")
LANGUAGES = ("fr", "nl", "en")
BRUSSELS = ZoneInfo("Europe/Brussels")
#: The per-key Open311 budget during a load: it measures the portal, not the limit.
RATE_LIMIT = "100000 per minute"
#: Sent with every report whose index is a multiple of this: the outbox gets written too.
EMAIL_EVERY = 4


def load_settings(redis_url: str) -> dict[str, str]:
    """The settings of a load run: the Open311 budget out of the way, the workers' rate limits
    shared in ``redis_url``, no minimum time to fill a form (clients are faster than people), and
    ``X-Forwarded-For`` trusted, so that each simulated resident has an address of their own."""
    return {"OPEN311_RATE_LIMIT": RATE_LIMIT, "RATELIMIT_STORAGE_URI": redis_url,
            "FORM_MIN_SECONDS": "0", "TRUST_PROXY": "1"}


def dispose(app: Any) -> None:
    """Close the app's sessions and pooled connections (a test database is dropped next)."""
    from portal.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def create_course_session(app: Any, capacity: int, *, starts_in_days: int = 14,
                          course_type: str = "basic-first-aid") -> int:
    """An open session through ``portal.courses.organising.create_session``; returns its id."""
    from portal.courses import organising
    from portal.extensions import db

    start = (dt.datetime.now(BRUSSELS) + dt.timedelta(days=starts_in_days)).replace(
        hour=9, minute=0, second=0, microsecond=0)
    with app.app_context():
        session = organising.create_session(organising.SessionDraft(
            course_type_code=course_type, language="fr", venue_name="Maison de quartier",
            address="Rue du Trône 12, 1050 Ixelles", municipality_nis="21009",
            capacity=capacity, dates=[(start, start + dt.timedelta(hours=4))],
            notes={"fr": "Apportez une pièce d'identité.", "nl": "Breng uw identiteitskaart mee.",
                   "en": "Bring an identity document."}))
        db.session.commit()
        return int(session.id)


def post_form(port: int, path: str, fields: dict[str, str], headers: dict[str, str] | None = None,
              timeout: float = REQUEST_TIMEOUT_S) -> tuple[int, bytes]:
    """(status, body) of an urlencoded POST; raises OSError/HTTPException when nothing answers."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("POST", path, body=urlencode(fields).encode(),
                           headers={"Content-Type": "application/x-www-form-urlencoded",
                                    **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1) of ``values``; 0 when there are none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-share * len(ordered) // 1))))
    return ordered[rank - 1]


# --------------------------------------------------------------------------- Open311 load

API_PATH = "/open311/v2/requests.json"


def service_codes(port: int) -> list[str]:
    """The categories the API offers today (not a list written here)."""
    status, body = get(port, "/open311/v2/services.json")
    if status != 200:
        raise RuntimeError(f"GET /open311/v2/services.json answered {status}")
    return [item["service_code"] for item in json.loads(body)]


def brussels_today() -> str:
    return dt.datetime.now(BRUSSELS).date().isoformat()


def report_fields(index: int, key: str, codes: Sequence[str], today: str,
                  email_every: int = EMAIL_EVERY, run: str = "") -> dict[str, str]:
    """One submission. 7 categories × 6 postal codes are coprime: every pair comes up."""
    fields = {
        "api_key": key,
        "service_code": codes[index % len(codes)],
        "attribute[postal_code]": POSTAL_CODES[index % len(POSTAL_CODES)],
        "description": f"Load test {run} report {index}: graffiti and a broken bus shelter window.",
        "occurred_on": today,
        "locale": LANGUAGES[index % len(LANGUAGES)],
    }
    if email_every and index % email_every == 0:
        fields["email"] = f"reporter{index}.{run or 'load'}@example.be"
    return fields


@dataclass
class Answer:
    """One request as its client saw it. ``status`` 0: no HTTP answer (``error`` says why)."""

    index: int
    status: int
    started: float
    ended: float
    reference: str | None = None
    error: str = ""
    kind: str = "api"
    body: bytes = b""

    @property
    def latency_ms(self) -> float:
        return (self.ended - self.started) * 1000


def run_clients(clients: int, total: int, deadline_s: float,
                work: Callable[[int], Answer], stop: threading.Event | None = None) -> list[Answer]:
    """``clients`` threads take indexes 0..total-1 in turn and run ``work`` on each.

    Bounded twice: at most ``total`` calls, and no new call after ``deadline_s`` seconds (or
    once ``stop`` is set).
    """
    counter = itertools.count()
    lock = threading.Lock()
    answers: list[Answer] = []
    end = time.monotonic() + deadline_s

    def client() -> None:
        mine: list[Answer] = []
        while time.monotonic() < end and not (stop is not None and stop.is_set()):
            with lock:
                index = next(counter)
            if index >= total:
                break
            mine.append(work(index))
        with lock:
            answers.extend(mine)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=deadline_s + 2 * REQUEST_TIMEOUT_S)
    return sorted(answers, key=lambda a: a.index)


def submit_report(port: int, fields: dict[str, str], index: int,
                  timeout: float = REQUEST_TIMEOUT_S,
                  headers: dict[str, str] | None = None) -> Answer:
    """POST one report; the answer with its ``service_request_id`` when it was accepted."""
    started = time.perf_counter()
    try:
        status, body = post_form(port, API_PATH, fields, headers=headers, timeout=timeout)
    except (OSError, http.client.HTTPException) as error:
        return Answer(index, 0, started, time.perf_counter(), error=type(error).__name__)
    answer = Answer(index, status, started, time.perf_counter())
    if 200 <= status < 300:
        try:
            answer.reference = json.loads(body)[0]["service_request_id"]
        except (ValueError, LookupError, TypeError):
            answer.error = "2xx without a service_request_id"
    else:
        answer.body = body[:2000]
    return answer


def api_load(port: int, key: str, total: int, clients: int, *, deadline_s: float = 300.0,
             email_every: int = EMAIL_EVERY, stop: threading.Event | None = None,
             run: str = "") -> tuple[list[Answer], float]:
    """``total`` Open311 submissions from ``clients`` threads; (answers, wall-clock seconds)."""
    codes = service_codes(port)
    today = brussels_today()
    run = run or secrets.token_hex(3)

    def work(index: int) -> Answer:
        return submit_report(port, report_fields(index, key, codes, today, email_every, run), index)

    started = time.perf_counter()
    answers = run_clients(clients, total, deadline_s, work, stop)
    return answers, time.perf_counter() - started


@dataclass
class ApiCheck:
    """What the database holds against what the clients were told."""

    sent: int
    statuses: Counter[int]
    no_answer: int
    accepted: int
    #: 2xx answers whose reference is not a row: lost reports. Must be empty.
    missing: list[str]
    #: References given to more than one 2xx answer. Must be empty.
    duplicates: list[str]
    rows: int
    #: Rows no client was told about (a worker killed after its commit, before its answer).
    unanswered_rows: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    @property
    def rps(self) -> float:
        answered = self.sent - self.no_answer
        return answered / self.seconds if self.seconds else 0.0

    def problems(self, allow_no_answer: bool = False) -> list[str]:
        found = []
        if self.missing:
            found.append(f"{len(self.missing)} accepted report(s) not in the database: {self.missing[:5]}")
        if self.duplicates:
            found.append(f"{len(self.duplicates)} reference(s) given twice: {self.duplicates[:5]}")
        if self.server_errors:
            found.append(f"{self.server_errors} answer(s) 5xx: {dict(self.statuses)}")
        if self.no_answer and not allow_no_answer:
            found.append(f"{self.no_answer} request(s) without an answer: {dict(self.errors)}")
        return found


def check_reports(app: Any, answers: Sequence[Answer], seconds: float) -> ApiCheck:
    """Every 2xx has its row (by reference), every reference is unique."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.reports.models import Report

    with app.app_context():
        stored = list(db.session.scalars(select(Report.reference)))
        db.session.remove()
    stored_set = set(stored)
    told = [a.reference for a in answers if 200 <= a.status < 300 and a.reference]
    counts = Counter(told)
    latencies = [a.latency_ms for a in answers if a.status]
    return ApiCheck(
        sent=len(answers),
        statuses=Counter(a.status for a in answers if a.status),
        no_answer=sum(1 for a in answers if not a.status),
        accepted=sum(1 for a in answers if 200 <= a.status < 300),
        missing=[ref for ref in told if ref not in stored_set]
        + [f"answer {a.index}: {a.error}" for a in answers if 200 <= a.status < 300 and not a.reference],
        duplicates=sorted(ref for ref, n in counts.items() if n > 1)
        + sorted(ref for ref, n in Counter(stored).items() if n > 1),
        rows=len(stored),
        unanswered_rows=len(stored_set - set(told)),
        seconds=seconds,
        p50_ms=percentile(latencies, 0.50),
        p99_ms=percentile(latencies, 0.99),
        errors=Counter(a.error for a in answers if a.error),
    )


# --------------------------------------------------------------------------- sign-ups

class _FormFields(HTMLParser):
    """The hidden inputs of the page's POST form that holds ``submission_key``."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self._current: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form" and values.get("method", "").lower() == "post":
            self._current = {}
        elif tag == "input" and self._current is not None and values.get("type") == "hidden":
            self._current[values.get("name", "")] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._current is not None:
            self.forms.append(self._current)
            self._current = None


def sign_up_form(page: str) -> dict[str, str] | None:
    parser = _FormFields()
    parser.feed(page)
    for form in parser.forms:
        if "csrf_token" in form:
            return {name: value for name, value in form.items() if name}
    return None


@dataclass
class SignUpAnswer:
    """One resident's sign-up as the client saw it (statuses 0: no answer)."""

    index: int
    lang: str
    email: str
    get_status: int = 0
    post_status: int = 0
    booking_status: int = 0
    #: "confirmed" or "waiting", as the booking page says.
    booking_state: str = ""
    token: str = ""
    sent: float = 0.0
    answered: float = 0.0
    error: str = ""

    @property
    def latency_ms(self) -> float:
        return (self.answered - self.sent) * 1000 if self.answered else 0.0


def client_addresses(count: int) -> list[str]:
    """One made-up address per resident (never contacted: only an X-Forwarded-For label).

    A random block of 10.0.0.0/8 per run, so that the per-address limits kept in Redis by an
    earlier run do not count against this one.
    """
    base = int(ipaddress.IPv4Address("10.0.0.0")) + secrets.randbelow(2**24 - count - 2)
    return [str(ipaddress.IPv4Address(base + 1 + i)) for i in range(count)]


def signup_load(port: int, session_id: int, total: int, *, barrier_timeout_s: float = 120.0,
                run: str = "") -> tuple[list[SignUpAnswer], float]:
    """``total`` residents sign up at once; (answers, seconds from the barrier to the last answer)."""
    import requests

    run = run or secrets.token_hex(3)
    addresses = client_addresses(total)
    barrier = threading.Barrier(total)
    answers = [SignUpAnswer(i, LANGUAGES[i % len(LANGUAGES)], f"resident{i}.{run}@example.be")
               for i in range(total)]
    released: list[float] = []
    base = f"http://{HOST}:{port}"

    def resident(answer: SignUpAnswer) -> None:
        http_session = requests.Session()
        http_session.trust_env = False  # no proxy from the environment: 127.0.0.1 only
        http_session.headers["X-Forwarded-For"] = addresses[answer.index]
        path = f"/{answer.lang}/courses/{session_id}"
        form = None
        try:
            page = http_session.get(base + path, timeout=REQUEST_TIMEOUT_S, allow_redirects=False)
            answer.get_status = page.status_code
            form = sign_up_form(page.text) if page.status_code == 200 else None
            if form is None:
                answer.error = "no sign-up form"
        except requests.RequestException as error:
            answer.error = f"GET: {type(error).__name__}"
        try:
            barrier.wait(timeout=barrier_timeout_s)
        except threading.BrokenBarrierError:
            pass  # someone's GET failed or took too long: send anyway, it is recorded
        if form is None:
            return
        form.update({"name": f"Résident {answer.index}", "email": answer.email,
                     "phone": "0470 12 34 56",
                     "purpose": "driving-licence" if answer.index % 2 else "general",
                     "consent": "y"})
        try:
            answer.sent = time.perf_counter()
            if not released:
                released.append(answer.sent)
            response = http_session.post(base + path, data=form, timeout=REQUEST_TIMEOUT_S,
                                         allow_redirects=False)
            answer.answered = time.perf_counter()
            answer.post_status = response.status_code
            location = response.headers.get("Location", "")
            match = re.search(r"/courses/booking/([A-Za-z0-9_-]+)", location)
            if response.status_code != 303 or not match:
                answer.error = f"POST answered {response.status_code}"
                return
            answer.token = match.group(1)
            booking = http_session.get(base + location if location.startswith("/") else location,
                                       timeout=REQUEST_TIMEOUT_S, allow_redirects=False)
            answer.booking_status = booking.status_code
            state = re.search(r'class="booking-status booking-([a-z_]+)"', booking.text)
            answer.booking_state = state.group(1) if state else ""
        except requests.RequestException as error:
            answer.error = f"POST: {type(error).__name__}"
        finally:
            http_session.close()

    threads = [threading.Thread(target=resident, args=(a,), daemon=True) for a in answers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=barrier_timeout_s + 3 * REQUEST_TIMEOUT_S)
    last = max((a.answered for a in answers if a.answered), default=0.0)
    return answers, (last - released[0]) if released and last else 0.0


@dataclass
class SignUpCheck:
    total: int
    capacity: int
    statuses: Counter[int]
    no_answer: int
    confirmed: int
    waiting: int
    #: The waiting positions, in id order, as the e-mails told them (must be 1..n).
    told_positions: list[int]
    #: Pairs (a answered before b was sent) checked for a.id < b.id, and those out of order.
    ordered_pairs: int
    out_of_order: int
    seconds: float
    p50_ms: float
    p99_ms: float
    problems: list[str]


def check_signups(app: Any, session_id: int, capacity: int,
                  answers: Sequence[SignUpAnswer], seconds: float) -> SignUpCheck:
    """Exact capacity, the waiting list in arrival order, one registration per client."""
    from sqlalchemy import select

    from portal.courses.models import BookingLink, Registration, RegistrationStatus
    from portal.extensions import db
    from portal.i18n import gettext, speaking
    from portal.notify.models import OutboxMessage
    from portal.tokens import hash_secret

    problems: list[str] = []
    with app.app_context():
        rows = list(db.session.scalars(select(Registration).where(
            Registration.session_id == session_id).order_by(Registration.id)))
        by_hash = {link.token_hash: link.registration_id
                   for link in db.session.scalars(select(BookingLink))}
        bodies: dict[str, list[str]] = {}
        for message in db.session.scalars(select(OutboxMessage)):
            bodies.setdefault(message.recipient, []).append(rendered(message).body)
        confirmed = [r for r in rows if r.status == RegistrationStatus.CONFIRMED]
        waiting = [r for r in rows if r.status == RegistrationStatus.WAITING]
        others = [r for r in rows if r.status not in (RegistrationStatus.CONFIRMED,
                                                       RegistrationStatus.WAITING)]
        if len(confirmed) != min(capacity, len(answers)):
            problems.append(f"{len(confirmed)} confirmed for {capacity} places")
        if others:
            problems.append(f"{len(others)} registration(s) neither confirmed nor waiting")
        if [r.id for r in confirmed] != [r.id for r in rows[:len(confirmed)]]:
            problems.append("the confirmed are not the first registrations")
        # What each waiting person was told, in the language they signed up in.
        told: list[int] = []
        for rank, registration in enumerate(waiting, start=1):
            found = 0
            for position in (rank, *range(1, len(waiting) + 1)):
                with speaking(registration.language):
                    sentence = gettext("This session is full. You are number %(position)s on "
                                       "the waiting list.", position=position)
                if any(sentence in body for body in bodies.get(registration.email or "", [])):
                    found = position
                    break
            told.append(found)
        if told != list(range(1, len(waiting) + 1)):
            wrong = [(rank, got) for rank, got in enumerate(told, start=1) if rank != got]
            problems.append(f"waiting positions told (rank, told) differ: {wrong[:5]}")
        # Each client: one answer, one registration of its own, in the state its page shows.
        ids: dict[int, int] = {}
        status_of = {r.id: r.status for r in rows}
        for answer in answers:
            registration_id = by_hash.get(hash_secret(answer.token)) if answer.token else None
            if registration_id is None:
                problems.append(f"client {answer.index}: no registration "
                                f"(GET {answer.get_status}, POST {answer.post_status}, {answer.error})")
                continue
            ids[answer.index] = registration_id
            if answer.booking_status != 200 or answer.booking_state != status_of.get(registration_id):
                problems.append(f"client {answer.index}: booking page {answer.booking_status} "
                                f"{answer.booking_state!r}, database {status_of.get(registration_id)!r}")
        if len(set(ids.values())) != len(ids):
            problems.append("two clients got the same registration")
        if len(rows) != len(answers):
            problems.append(f"{len(rows)} registrations for {len(answers)} clients")
        db.session.remove()
    # Arrival order: whoever had their answer before another sent the form is ahead of them.
    done = sorted((a for a in answers if a.index in ids and a.answered), key=lambda a: a.answered)
    sent = sorted((a for a in answers if a.index in ids and a.sent), key=lambda a: a.sent)
    pairs = bad = 0
    for later in sent:
        for earlier in done:
            if earlier.answered >= later.sent:
                break
            pairs += 1
            if ids[earlier.index] >= ids[later.index]:
                bad += 1
    if bad:
        problems.append(f"{bad} of {pairs} ordered pairs out of arrival order")
    statuses = Counter(a.post_status for a in answers if a.post_status)
    server_errors = sum(n for s, n in statuses.items() if s >= 500) + sum(
        1 for a in answers if a.get_status >= 500 or a.booking_status >= 500)
    if server_errors:
        problems.append(f"{server_errors} answer(s) 5xx: {dict(statuses)}")
    no_answer = sum(1 for a in answers if not a.post_status)
    if no_answer:
        problems.append(f"{no_answer} client(s) without an answer: "
                        f"{Counter(a.error for a in answers if not a.post_status)}")
    latencies = [a.latency_ms for a in answers if a.answered]
    return SignUpCheck(len(answers), capacity, statuses, no_answer, len(confirmed), len(waiting),
                       told, pairs, bad, seconds, percentile(latencies, 0.5),
                       percentile(latencies, 0.99), problems)
