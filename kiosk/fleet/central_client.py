"""HTTP client for the central API: typed answers, timeouts on every call, careful retries.

Retries use truncated exponential backoff with full jitter so a fleet of kiosks that lost the
network together does not come back in lock-step. Only calls that are safe to repeat are retried
(GETs, the eligibility question, and the submission because it carries an idempotency key), and
only when the failure says "try later" (connection error, timeout, 502/503/504). Bodies are never
logged: they hold names, document numbers and photos.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import quote

import requests
from pydantic import BaseModel, ValidationError

from kiosk import __version__
from kiosk.errors import CentralError, CentralRejected, CentralUnavailable, KioskNotTrusted
from kiosk.fleet.credentials import Credentials
from kiosk.fleet.remote_settings import describe_errors
from protocol import signing, wire
from protocol.codes import CENTRAL_UNSIGNED, TrustCode

log = logging.getLogger("kiosk.central")

RETRYABLE_STATUS = frozenset({502, 503, 504})
# Central's answers that are about this kiosk's credentials, not about the request.
TRUST_CODES = frozenset(c.value for c in TrustCode)
M = TypeVar("M", bound=BaseModel)


def backoff_delay(attempt: int, base_s: float, cap_s: float, rng: random.Random) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**attempt)] (attempt counts from 0)."""
    return rng.uniform(0.0, min(cap_s, base_s * (2 ** min(attempt, 30))))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class CentralClient:
    """One kiosk's connection to the central API, shared by its threads: each thread that
    calls gets a requests.Session of its own (a Session is not safe to share across
    threads), kept for that thread's life and closed with the client."""

    def __init__(self, *, base_url: str, kiosk_id: str, timeout_s: float = 5.0, retries: int = 3,
                 backoff_base_s: float = 0.25, backoff_cap_s: float = 4.0,
                 rng: random.Random | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 credentials: Credentials | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.kiosk_id = kiosk_id
        # With credentials every request is signed and every 2xx answer must carry central's
        # signature; without (a kiosk not enrolled yet) requests go unsigned.
        self.credentials = credentials
        self.timeout = (timeout_s, timeout_s)  # (connect, read)
        self.retries = max(0, retries)
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()
        self._directories: dict[str, wire.CityDirectory] = {}
        self._directory_lock = threading.Lock()
        self._reach_lock = threading.Lock()
        self._unreachable = False
        self._on_back: list[Callable[[], None]] = []

    def when_back(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (on the calling thread) each time central answers again after
        it could not be reached: whatever waits for central need not wait for its timer."""
        self._on_back.append(listener)

    # -- the API ---------------------------------------------------------------------------

    def health(self) -> float:
        """Round-trip latency of GET /v1/health in seconds (raises if central is not healthy)."""
        started = time.monotonic()
        self._call("health", "GET", "/health", retry=True)
        return time.monotonic() - started

    def check_eligibility(self, req: wire.EligibilityRequest) -> wire.EligibilityDecision:
        resp = self._call("eligibility", "POST", "/eligibility", body=req, retry=True)
        return self._parse("eligibility", resp, wire.EligibilityDecision)

    def records(self, req: wire.RecordsRequest) -> wire.RecordsSummary:
        """What central already knows about the resident: choices to offer, certain refusals."""
        resp = self._call("records", "POST", "/records", body=req, retry=True)
        return self._parse("records", resp, wire.RecordsSummary)

    def submit_application(self, sub: wire.ApplicationSubmission) -> wire.ApplicationReceipt:
        """Send an application; safe to repeat because the server replays by idempotency key."""
        headers = {wire.IDEMPOTENCY_HEADER: sub.idempotency_key}
        resp = self._call("submit", "POST", "/applications", body=sub, headers=headers, retry=True)
        return self._parse("submit", resp, wire.ApplicationReceipt)

    def application_status(self, number: str) -> wire.ApplicationStatus:
        path = "/applications/" + quote(number, safe="")
        resp = self._call("status", "GET", path, retry=True)
        return self._parse("status", resp, wire.ApplicationStatus)

    def report_card(self, number: str, printed: bool) -> wire.ApplicationStatus:
        """Tell central whether the print-here card came out; False means 'post it instead'."""
        path = "/applications/" + quote(number, safe="") + "/card-printed"
        resp = self._call("card", "POST", path, body=wire.CardPrintOutcome(printed=printed),
                          retry=True)
        return self._parse("card", resp, wire.ApplicationStatus)

    def lookup_status(self, document_number: str) -> list[wire.ApplicationStatus]:
        """Applications for a document; the number travels in the body, never in a URL."""
        body = wire.StatusLookup(document_number=document_number)
        resp = self._call("lookup", "POST", "/applications/lookup", body=body, retry=True)
        return self._parse("lookup", resp, wire.StatusLookupResult).applications

    def registry_face_check(self, document_type: str, document_number: str,
                            live_jpeg: bytes) -> wire.RegistryFaceCheck:
        """人证合一 against the population registry, for a document whose photo cannot be
        read here: central answers a verdict and a distance only. Signed kiosks only (an
        unenrolled kiosk is refused kiosk_not_signed). Retried like any question: it has no
        effect on central; a 429 (this kiosk asked too often) is not retried."""
        body = wire.RegistryFaceCheckRequest(document_type=document_type,
                                             document_number=document_number,
                                             live_jpeg=live_jpeg)
        resp = self._call("face_check", "POST", wire.FACE_CHECK_PATH, body=body, retry=True)
        return self._parse("face_check", resp, wire.RegistryFaceCheck)

    def directory(self, city: str) -> wire.CityDirectory:
        """The city's districts and communities, fetched once per process."""
        with self._directory_lock:
            cached = self._directories.get(city)
        if cached is not None:
            return cached
        path = "/cities/" + quote(city, safe="") + "/directory"
        found = self._parse("directory", self._call("directory", "GET", path, retry=True),
                            wire.CityDirectory)
        with self._directory_lock:
            return self._directories.setdefault(city, found)

    def heartbeat(self, hb: wire.Heartbeat) -> wire.HeartbeatAnswer:
        """Not retried: the next heartbeat is the retry, and a late one would carry stale figures."""
        path = "/kiosks/" + quote(self.kiosk_id, safe="") + "/heartbeat"
        resp = self._call("heartbeat", "POST", path, body=hb, retry=False)
        return self._parse("heartbeat", resp, wire.HeartbeatAnswer)

    def heartbeat_reply(self, hb: wire.Heartbeat) -> tuple[wire.HeartbeatAnswer, tuple[str, ...]]:
        """Like ``heartbeat``, but settings that break the wire contract do not cost the
        whole answer: they are left out and described, so the kiosk can refuse that
        revision and say why in its next heartbeat."""
        path = "/kiosks/" + quote(self.kiosk_id, safe="") + "/heartbeat"
        resp = self._call("heartbeat", "POST", path, body=hb, retry=False)
        try:
            return wire.HeartbeatAnswer.model_validate_json(resp.content), ()
        except ValidationError:
            pass
        try:
            body = resp.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or body.get("settings") is None:
            return self._parse("heartbeat", resp, wire.HeartbeatAnswer), ()  # raises
        raw = body.pop("settings")
        try:
            answer = wire.HeartbeatAnswer.model_validate(body)
        except ValidationError:
            return self._parse("heartbeat", resp, wire.HeartbeatAnswer), ()  # raises
        try:
            wire.KioskSettings.model_validate(raw)
        except ValidationError as exc:
            return answer, describe_errors(exc)
        return answer, ()

    def enrol(self, code: str, public_key: str) -> wire.EnrolmentAnswer:
        """Enrol this kiosk id with a one-time code (unsigned: there is no key yet)."""
        path = "/kiosks/" + quote(self.kiosk_id, safe="") + "/enrol"
        body = wire.EnrolmentRequest(code=code, public_key=public_key)
        resp = self._call("enrol", "POST", path, body=body, retry=True, sign=False)
        return self._parse("enrol", resp, wire.EnrolmentAnswer)

    def _session(self) -> requests.Session:
        """This thread's session, made on its first call."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.update({"User-Agent": f"onetrip-kiosk/{__version__}",
                                    "X-Kiosk-Id": self.kiosk_id, "Accept": "application/json"})
            with self._sessions_lock:
                self._sessions.append(session)
            self._local.session = session
        return session

    def close(self) -> None:
        """Close every thread's session; safe to call twice."""
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()
        self._local = threading.local()

    def __enter__(self) -> CentralClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport ---------------------------------------------------------------------------

    def _call(self, op: str, method: str, path: str, *, body: BaseModel | None = None,
              headers: dict[str, str] | None = None, retry: bool,
              sign: bool = True) -> requests.Response:
        """Send with retries; return a 2xx response or raise a CentralError."""
        attempts = self.retries + 1 if retry else 1
        for attempt in range(attempts):
            try:
                return self._attempt(op, method, path, body, headers, attempt, sign)
            except CentralUnavailable as exc:
                retryable = exc.status is None or exc.status in RETRYABLE_STATUS
                if not retryable or attempt + 1 >= attempts:
                    raise
                self._sleep(self._delay(attempt, exc.retry_after_s))
        raise AssertionError("unreachable")

    def _delay(self, attempt: int, retry_after_s: float | None) -> float:
        """The server's Retry-After when it gave one (capped), our jittered backoff otherwise."""
        if retry_after_s is not None:
            return min(self.backoff_cap_s, retry_after_s)
        return backoff_delay(attempt, self.backoff_base_s, self.backoff_cap_s, self._rng)

    def _attempt(self, op: str, method: str, path: str, body: BaseModel | None,
                 headers: dict[str, str] | None, attempt: int, sign: bool) -> requests.Response:
        data = body.model_dump_json().encode() if body is not None else None
        send_headers = dict(headers or {})
        if data is not None:
            send_headers["Content-Type"] = "application/json"
        signer = self.credentials if sign else None
        if signer is not None:  # signed afresh each attempt: a nonce is good once
            send_headers.update(signer.sign(method, wire.API_PREFIX + path, data or b""))
        started = time.monotonic()
        try:
            resp = self._session().request(method, self.base_url + wire.API_PREFIX + path,
                                         data=data, headers=send_headers, timeout=self.timeout)
        except requests.Timeout as exc:
            self._log(op, attempt, started, outcome="timeout")
            self._reached(False)
            raise CentralUnavailable(f"{op}: timed out", code="central_timeout") from exc
        except requests.RequestException as exc:
            self._log(op, attempt, started, outcome="connection_error")
            self._reached(False)
            raise CentralUnavailable(f"{op}: {type(exc).__name__}") from exc
        self._log(op, attempt, started, outcome=str(resp.status_code))
        self._reached(resp.status_code < 500)
        if resp.status_code >= 400:
            raise self._error(op, resp)
        if signer is not None and not signer.answer_is_centrals(
                send_headers[signing.NONCE], resp.status_code, resp.content,
                resp.headers.get(signing.CENTRAL_SIGNATURE)):
            log.error("central answer not signed by the central this kiosk enrolled with",
                      extra={"op": op, "status": resp.status_code})
            raise KioskNotTrusted(f"{op}: answer not signed by central", code=CENTRAL_UNSIGNED,
                                  status=resp.status_code)
        return resp

    def _reached(self, answered: bool) -> None:
        with self._reach_lock:
            back = answered and self._unreachable
            self._unreachable = not answered
        if back:
            log.info("central answers again")
            for listener in self._on_back:
                try:
                    listener()
                except Exception as exc:  # a listener's fault is not this request's
                    log.error("central-back listener failed: %s", type(exc).__name__)

    def _error(self, op: str, resp: requests.Response) -> CentralError:
        status = resp.status_code
        api = _api_error(resp)
        if status >= 500:
            return CentralUnavailable(
                f"{op}: HTTP {status}" + (f" {api.code}" if api else ""), status=status,
                retry_after_s=parse_retry_after(resp.headers.get("Retry-After")))
        code = api.code if api else f"http_{status}"
        if code in TRUST_CODES:
            return KioskNotTrusted(f"{op}: HTTP {status} {code}", code=code, status=status)
        return CentralRejected(f"{op}: HTTP {status} {code}", code=code, status=status,
                               message=api.message if api else None)

    def _parse(self, op: str, resp: requests.Response, model: type[M]) -> M:
        """A 2xx body that is not the contract means central is broken: treat as unavailable."""
        try:
            return model.model_validate_json(resp.content)
        except ValidationError as exc:
            log.error("central answer does not match the wire contract",
                      extra={"op": op, "status": resp.status_code, "errors": exc.error_count()})
            raise CentralUnavailable(f"{op}: answer does not match {model.__name__}",
                                     code="central_bad_response",
                                     status=resp.status_code) from exc

    def _log(self, op: str, attempt: int, started: float, *, outcome: str) -> None:
        log.info("central %s attempt=%d outcome=%s", op, attempt + 1, outcome,
                 extra={"op": op, "attempt": attempt + 1, "outcome": outcome,
                        "latency_ms": round((time.monotonic() - started) * 1000)})


def _api_error(resp: requests.Response) -> wire.ApiError | None:
    try:
        return wire.ApiError.model_validate_json(resp.content)
    except ValidationError:
        return None
