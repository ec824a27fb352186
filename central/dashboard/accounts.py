"""Dashboard accounts: roles, the halls each may see, argon2 passwords, sessions that expire.

Roles:
- ``city_admin`` sees and changes every hall's kiosks;
- ``hall_manager`` sees and changes the kiosks of their own halls;
- ``technician`` sees the kiosks of their halls (devices, supplies, state) and changes no
  setting: maintenance is a manager's decision, since it turns residents away. Technicians do
  install kiosks, so they may ask for enrolment codes for their halls; revoking a kiosk is
  again a manager's decision.

A session is a random cookie of which only the SHA-256 is stored. It ends after ``idle_s``
without a request or ``absolute_s`` after signing in, whichever comes first. Five wrong
passwords in a row lock the account for ``lockout_s``; an unknown user name costs the same
argon2 work as a known one, so timing does not tell which names exist.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from enum import Enum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, delete, insert, select, update

from central.storage import db
from central.storage.store import utc_now

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")
MIN_PASSWORD = 10
LAST_SEEN_EVERY_S = 30  # a session's last_seen is written at most this often


class Role(str, Enum):
    CITY_ADMIN = "city_admin"
    HALL_MANAGER = "hall_manager"
    TECHNICIAN = "technician"


class SessionLimits(BaseModel):
    """[dashboard] in the central config."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    idle_s: float = Field(1800.0, gt=0, description="A session unused this long ends.")
    absolute_s: float = Field(43200.0, gt=0, description="A session ends this long after sign-in.")
    max_failures: int = Field(5, ge=1, description="Wrong passwords in a row before a lockout.")
    lockout_s: float = Field(900.0, gt=0, description="How long a locked account stays locked.")


class AccountError(ValueError):
    """An account cannot be made or changed as asked; the message says why."""


class LoginRefused(Exception):
    """Wrong name or password, a disabled account, or a locked one (``locked`` says which)."""

    def __init__(self, locked: bool = False) -> None:
        super().__init__("locked" if locked else "refused")
        self.locked = locked


class Account(BaseModel):
    model_config = ConfigDict(frozen=True)

    username: str
    role: Role
    halls: tuple[str, ...]
    disabled: bool = False

    @property
    def hall_scope(self) -> list[str] | None:
        """The halls this account may see; None means every hall."""
        return None if self.role is Role.CITY_ADMIN else list(self.halls)

    @property
    def can_change_settings(self) -> bool:
        return self.role in (Role.CITY_ADMIN, Role.HALL_MANAGER)

    @property
    def can_revoke(self) -> bool:
        return self.can_change_settings

    def sees_hall(self, hall_id: str | None) -> bool:
        return self.role is Role.CITY_ADMIN or (hall_id is not None and hall_id in self.halls)


class SignedIn(BaseModel):
    """A live session: whose, and the CSRF token its forms must carry."""

    account: Account
    csrf_token: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    def __init__(self, engine: Engine, limits: SessionLimits | None = None,
                 clock: Callable[[], dt.datetime] = utc_now,
                 hasher: PasswordHasher | None = None) -> None:
        self.engine = engine
        self.limits = limits or SessionLimits()
        self.clock = clock
        self.hasher = hasher or PasswordHasher()
        self._dummy_hash = ""  # made at the first unknown name; hashing costs tens of ms

    # -- managing accounts ------------------------------------------------------------------
    def add(self, username: str, role: Role | str, halls: list[str], password: str) -> Account:
        role = Role(role)
        username = _checked_name(username)
        _check_password(password)
        halls = sorted(set(halls))
        if role is not Role.CITY_ADMIN and not halls:
            raise AccountError(f"a {role.value} needs at least one hall (--hall)")
        with self.engine.begin() as c:
            known = set(c.execute(select(db.halls.c.hall_id)).scalars())
            unknown = [h for h in halls if h not in known]
            if unknown:
                raise AccountError("no such hall: " + ", ".join(unknown))
            if c.scalar(select(db.accounts.c.username)
                        .where(db.accounts.c.username == username)) is not None:
                raise AccountError(f"{username} exists already")
            c.execute(insert(db.accounts).values(
                username=username, role=role.value, password_hash=self.hasher.hash(password),
                disabled=False, failed_logins=0, created_at=self.clock()))
            if halls:
                c.execute(insert(db.account_halls),
                          [{"username": username, "hall_id": h} for h in halls])
        return Account(username=username, role=role, halls=tuple(halls))

    def set_password(self, username: str, password: str) -> None:
        """A new password also ends the account's sessions and lifts a lockout."""
        _check_password(password)
        self._change(username, password_hash=self.hasher.hash(password), failed_logins=0,
                     locked_until=None)

    def disable(self, username: str) -> None:
        self._change(username, disabled=True)

    def _change(self, username: str, **values: object) -> None:
        with self.engine.begin() as c:
            done = c.execute(update(db.accounts).where(db.accounts.c.username == username)
                             .values(**values)).rowcount
            if not done:
                raise AccountError(f"no account {username}")
            c.execute(delete(db.dashboard_sessions)
                      .where(db.dashboard_sessions.c.username == username))

    def get(self, username: str) -> Account | None:
        with self.engine.connect() as c:
            row = c.execute(select(db.accounts).where(db.accounts.c.username == username)).first()
            if row is None:
                return None
            halls = c.execute(select(db.account_halls.c.hall_id)
                              .where(db.account_halls.c.username == username)
                              .order_by(db.account_halls.c.hall_id)).scalars().all()
        return Account(username=row.username, role=Role(row.role), halls=tuple(halls),
                       disabled=row.disabled)

    def all(self) -> list[Account]:
        with self.engine.connect() as c:
            names = c.execute(select(db.accounts.c.username)
                              .order_by(db.accounts.c.username)).scalars().all()
        return [a for a in (self.get(n) for n in names) if a is not None]

    # -- signing in -------------------------------------------------------------------------
    def login(self, username: str, password: str) -> tuple[str, SignedIn]:
        """A new session's cookie value and what it holds; raises LoginRefused."""
        now = self.clock()
        with self.engine.connect() as c:
            row = c.execute(select(db.accounts)
                            .where(db.accounts.c.username == username.strip().lower())).first()
        if row is None:
            self._dummy_hash = self._dummy_hash or self.hasher.hash(secrets.token_urlsafe(16))
            self._verify(self._dummy_hash, password)
            raise LoginRefused()
        if row.locked_until is not None and db.utc(row.locked_until) > now:
            raise LoginRefused(locked=True)
        if not self._verify(row.password_hash, password) or row.disabled:
            self._failed(row, now)
            raise LoginRefused()
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.engine.begin() as c:
            c.execute(update(db.accounts).where(db.accounts.c.username == row.username)
                      .values(failed_logins=0, locked_until=None))
            c.execute(insert(db.dashboard_sessions).values(
                token_sha256=token_hash(token), username=row.username, csrf_token=csrf,
                created_at=now, last_seen=now))
        return token, SignedIn(account=self.get(row.username), csrf_token=csrf)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _failed(self, row, now: dt.datetime) -> None:
        failures = (row.failed_logins or 0) + 1
        locked = now + dt.timedelta(seconds=self.limits.lockout_s) \
            if failures >= self.limits.max_failures else None
        with self.engine.begin() as c:
            c.execute(update(db.accounts).where(db.accounts.c.username == row.username)
                      .values(failed_logins=0 if locked else failures, locked_until=locked))

    def session(self, token: str | None) -> SignedIn | None:
        """The live session for a cookie; None when absent, unknown, expired or disabled."""
        if not token:
            return None
        now, s = self.clock(), db.dashboard_sessions
        key = token_hash(token)
        with self.engine.connect() as c:
            row = c.execute(select(s).where(s.c.token_sha256 == key)).first()
        if row is None:
            return None
        idle = (now - db.utc(row.last_seen)).total_seconds()
        age = (now - db.utc(row.created_at)).total_seconds()
        account = self.get(row.username)
        if idle > self.limits.idle_s or age > self.limits.absolute_s or account is None \
                or account.disabled:
            self.logout(token)
            return None
        if idle > LAST_SEEN_EVERY_S:
            with self.engine.begin() as c:
                c.execute(update(s).where(s.c.token_sha256 == key).values(last_seen=now))
        return SignedIn(account=account, csrf_token=row.csrf_token)

    def logout(self, token: str) -> None:
        with self.engine.begin() as c:
            c.execute(delete(db.dashboard_sessions)
                      .where(db.dashboard_sessions.c.token_sha256 == token_hash(token)))

    def purge_expired(self) -> int:
        """Sessions past their idle limit are deleted; how many."""
        cutoff = self.clock() - dt.timedelta(seconds=self.limits.idle_s)
        with self.engine.begin() as c:
            return c.execute(delete(db.dashboard_sessions)
                             .where(db.dashboard_sessions.c.last_seen < cutoff)).rowcount


def _checked_name(username: str) -> str:
    name = username.strip().lower()
    if not 3 <= len(name) <= 64 or not set(name) <= USERNAME_CHARS:
        raise AccountError("a user name is 3-64 of a-z, 0-9, '.', '_' and '-'")
    return name


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
