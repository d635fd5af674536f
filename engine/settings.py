"""Engine settings, passed in explicitly (never read from a web framework's config)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from dataclasses import field
from datetime import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_database_url() -> str:
    """SQLite file under ``instance/`` unless ``DATABASE_URL`` says otherwise."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    instance = PROJECT_ROOT / "instance"
    return f"sqlite:///{instance / 'onewindow.sqlite3'}"


def default_uploads_dir() -> Path:
    """``instance/uploads`` unless ``ONEWINDOW_UPLOADS_DIR`` names a folder every app server shares."""
    configured = os.environ.get("ONEWINDOW_UPLOADS_DIR")
    return Path(configured) if configured else PROJECT_ROOT / "instance" / "uploads"


def default_closing_time() -> time:
    """``ONEWINDOW_HALL_CLOSING_TIME`` (``HH:MM``, China time), else 17:30.

    Acceptance or receipt at or after this time counts as on the next working day (see
    ``engine.legal_time.legal_day``); the same rule dates the notice and the deadline record.
    """
    raw = os.environ.get("ONEWINDOW_HALL_CLOSING_TIME", "").strip()
    if not raw:
        return time(17, 30)
    try:
        return time.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"ONEWINDOW_HALL_CLOSING_TIME 应为 HH:MM（例如 17:30），而不是“{raw}”") from None


@dataclass(frozen=True)
class HallSettings:
    """The hall (政务服务中心) as notices name it: where applicants reply in person or by post."""

    name: str = "市政务服务中心"
    #: Postal address printed on 补正 notices (邮寄补正材料); set ``ONEWINDOW_HALL_ADDRESS`` in production.
    address: str = "（请设置 ONEWINDOW_HALL_ADDRESS）"
    #: China time at which the hall closes on working days.
    closing_time: time = field(default_factory=default_closing_time)

    @classmethod
    def from_environment(cls) -> HallSettings:
        defaults = cls()
        return cls(name=os.environ.get("ONEWINDOW_HALL_NAME", "").strip() or defaults.name,
                   address=os.environ.get("ONEWINDOW_HALL_ADDRESS", "").strip() or defaults.address,
                   closing_time=default_closing_time())


@dataclass(frozen=True)
class PasswordHashing:
    """argon2id cost parameters for new password hashes.

    The defaults are RFC 9106's second recommended option (t=3, 64 MiB, p=4), argon2-cffi's own
    default: about a quarter of a second per hash on a 2-core server, which is what makes a stolen
    user table expensive to attack. They are settings (not constants) only so that the test suite,
    which creates hundreds of accounts and sign-ins, can pass cheap ones; verification always reads
    the parameters from the stored hash, so changing them never locks anybody out.
    """

    time_cost: int = 3
    memory_cost_kib: int = 65536
    parallelism: int = 4


@dataclass(frozen=True)
class SmtpSettings:
    """Where e-mail notices go (``ONEWINDOW_SMTP_HOST``/``_PORT``/``_SENDER``); no host: notices are only logged."""

    host: str = ""
    port: int = 25
    sender: str = "onewindow@localhost"

    @classmethod
    def from_environment(cls) -> SmtpSettings:
        port = os.environ.get("ONEWINDOW_SMTP_PORT", "").strip()
        return cls(host=os.environ.get("ONEWINDOW_SMTP_HOST", "").strip(),
                   port=int(port) if port.isdigit() else 25,
                   sender=os.environ.get("ONEWINDOW_SMTP_SENDER", "").strip() or cls.sender)


@dataclass(frozen=True)
class Webhook:
    """A receiver of case events: deliveries are signed with ``secret`` (HMAC-SHA256 of the body)."""

    name: str
    url: str
    secret: str
    #: Event types it receives; empty = all.
    events: frozenset[str] = frozenset()


def _named_urls(variable: str) -> list[tuple[str, str]]:
    """The ``name=url`` pairs of a comma-separated environment variable (incomplete items skipped)."""
    pairs = []
    for item in os.environ.get(variable, "").split(","):
        name, _, url = item.strip().partition("=")
        if name and url:
            pairs.append((name.strip(), url.strip()))
    return pairs


def default_webhooks() -> tuple[Webhook, ...]:
    """``ONEWINDOW_WEBHOOKS="name=https://host/path,..."`` with ``ONEWINDOW_WEBHOOK_SECRET`` signing them."""
    secret = os.environ.get("ONEWINDOW_WEBHOOK_SECRET", "")
    return tuple(Webhook(name, url, secret) for name, url in _named_urls("ONEWINDOW_WEBHOOKS"))


@dataclass(frozen=True)
class ServiceEndpoint:
    """An outside system a service task may call (``http:<name>``): the deploy-time allowlist."""

    name: str
    url: str
    #: Signs requests like webhook deliveries (``X-OneWindow-Signature``); empty: unsigned.
    secret: str = ""


def default_service_endpoints() -> tuple[ServiceEndpoint, ...]:
    """``ONEWINDOW_SERVICE_ENDPOINTS="name=https://host/path,..."``, signed with ``ONEWINDOW_SERVICE_SECRET``."""
    secret = os.environ.get("ONEWINDOW_SERVICE_SECRET", "")
    return tuple(ServiceEndpoint(name, url, secret) for name, url in _named_urls("ONEWINDOW_SERVICE_ENDPOINTS"))


@dataclass(frozen=True)
class EngineSettings:
    database_url: str = field(default_factory=default_database_url)
    processes_dir: Path = PROJECT_ROOT / "processes"
    forms_dir: Path = PROJECT_ROOT / "forms"
    #: The sample hall: its organisation (``organisation/*.csv``) and catalogue (``sample_catalogue.xlsx``).
    catalogue_dir: Path = PROJECT_ROOT / "processes" / "_catalogue"
    #: CPU seconds one diagram expression (script, condition, timer) may use.
    script_time_limit_s: float = 1.0
    #: Largest BPMN/DMN file accepted, in bytes; bigger ones are refused before parsing.
    max_xml_bytes: int = 2 * 1024 * 1024
    #: How often a step is retried when it lost an optimistic-lock race on a *different* task.
    conflict_retries: int = 5
    #: Longest pause before the first retry of a lost race, in seconds; doubled per retry, each pause
    #: a random fraction of it (jitter), so colliding steps spread out instead of colliding again.
    conflict_backoff_s: float = 0.01
    #: Live workflows kept in memory per process, keyed by case and lock version, so a step on a
    #: case this process saved last skips deserializing it. 0 disables the cache.
    workflow_cache_size: int = 256
    #: Where uploaded materials are stored, one file per SHA-256.
    uploads_dir: Path = field(default_factory=default_uploads_dir)
    #: Largest upload accepted, in bytes.
    max_upload_bytes: int = 20 * 1024 * 1024
    #: The hall: its name, postal address and closing time (legal acceptance dates depend on it).
    hall: HallSettings = field(default_factory=HallSettings.from_environment)
    #: E-mail gateway for notices to applicants (``engine.services.notices``).
    smtp: SmtpSettings = field(default_factory=SmtpSettings.from_environment)
    #: Key of the history chain heads' HMAC (``ONEWINDOW_HISTORY_KEY``), kept out of the database so
    #: that someone who can write the database still cannot rewrite a case's whole history unnoticed.
    #: Every process (app servers, timer workers, CLI) must have the same key; empty: heads unsigned.
    history_key: str = field(default_factory=lambda: os.environ.get("ONEWINDOW_HISTORY_KEY", ""))
    #: argon2id parameters for new password hashes (production strength unless a test says otherwise).
    password_hashing: PasswordHashing = field(default_factory=PasswordHashing)
    #: Groups that may use the operations console (incidents, retry, suspend, terminate, token moves).
    operations_groups: frozenset[str] = field(default_factory=lambda: frozenset(
        g.strip() for g in os.environ.get("ONEWINDOW_OPERATIONS_GROUPS", "admin").split(",") if g.strip()))
    #: Where case events are delivered (the outbox); none configured = no outbox rows at all.
    webhooks: tuple[Webhook, ...] = field(default_factory=default_webhooks)
    #: Delivery attempts before an outbox row is given up (``failed``, shown on the console).
    webhook_attempts: int = 6
    #: Endpoints service tasks may call (``spiffworkflow:serviceTaskOperator id="http:<name>"``);
    #: a diagram naming any other is refused at deploy.
    service_endpoints: tuple[ServiceEndpoint, ...] = field(default_factory=default_service_endpoints)
    #: Delivery attempts of one service call before it becomes an incident on its case.
    service_call_attempts: int = 5
    #: Groups that may send a message or signal to any case (outside systems' accounts, operators);
    #: other staff may send only to cases they see.
    message_groups: frozenset[str] = field(default_factory=lambda: frozenset(
        g.strip() for g in os.environ.get("ONEWINDOW_MESSAGE_GROUPS", "admin,integration").split(",") if g.strip()))
