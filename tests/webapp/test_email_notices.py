"""E-mail notices: a person keeps the address their notices go to (their account page; an administrator for
staff), and with an SMTP server configured every notice is also mailed there; without one it is only logged.

The SMTP server is a tiny one in this file, on a local port: it speaks just enough SMTP to take messages.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import logging
import re
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from engine.services.notices import LogGateway
from engine.services.notices import SmtpGateway
from engine.services.notices import gateway_for
from engine.settings import SmtpSettings
from tests.webapp.conftest import User
from tests.webapp.test_journey import APPLICATION


class TinySmtp:
    """Accepts connections on 127.0.0.1 and keeps each message's envelope recipients and content."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn, conn.makefile("rb") as lines:
                self._session(conn, lines)

    def _session(self, conn: socket.socket, lines: Any) -> None:
        conn.sendall(b"220 tiny ESMTP\r\n")
        recipients: list[str] = []
        while line := lines.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                conn.sendall(b"250-tiny\r\n250 8BITMIME\r\n")
            elif verb == b"RCPT":
                recipients.append(re.search(rb"<([^>]*)>", line).group(1).decode())
                conn.sendall(b"250 ok\r\n")
            elif verb == b"DATA":
                conn.sendall(b"354 go on\r\n")
                body = b""
                while (chunk := lines.readline()) not in (b".\r\n", b""):
                    body += chunk[1:] if chunk.startswith(b"..") else chunk
                self.messages.append((recipients, email.message_from_bytes(body, policy=email.policy.default)))
                recipients = []
                conn.sendall(b"250 queued\r\n")
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:  # MAIL, RSET, NOOP
                conn.sendall(b"250 ok\r\n")

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def smtp_server() -> Iterator[TinySmtp]:
    server = TinySmtp()
    yield server
    server.close()


def test_the_gateway_is_smtp_only_when_a_server_is_configured() -> None:
    assert isinstance(gateway_for(SmtpSettings()), LogGateway)
    assert isinstance(gateway_for(SmtpSettings(host="127.0.0.1", port=2525)), SmtpGateway)


def test_a_person_sets_their_address_and_a_bad_one_changes_nothing(login: Any) -> None:
    citizen: User = login("demo_enterprise2")
    saved = citizen.post("/account", {"email": "owner@example.cn"}, follow_redirects=True)
    assert saved.status_code == 200 and 'value="owner@example.cn"' in saved.get_data(as_text=True)
    refused = citizen.post("/account", {"email": "not an address"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "电子邮箱格式不正确" in html and 'value="not an address"' in html
    assert 'value="owner@example.cn"' in citizen.get("/account").get_data(as_text=True)  # unchanged


def test_an_administrator_keeps_a_staff_members_address(login: Any) -> None:
    admin: User = login("demo_admin")
    form = admin.get("/admin/staff/demo_zj_sh").get_data(as_text=True)
    values = {key: value for key, value in re.findall(r'<input id="f-([a-z_]+)" name="\1"[^>]* value="([^"]*)"', form)}
    values.update(roles=re.findall(r'name="roles" value="([^"]+)" checked', form), editing="demo_zj_sh",
                  posts=re.findall(r'<option value="([^"]+)" selected>', form), status="在用")
    bad = admin.post("/admin/staff", {**values, "email": "zj@@example"})
    assert bad.status_code == 422 and "电子邮箱格式不正确" in bad.get_data(as_text=True)
    assert admin.post("/admin/staff", {**values, "email": "zj.sh@example.cn"}).status_code == 302
    assert 'value="zj.sh@example.cn"' in admin.get("/admin/staff/demo_zj_sh").get_data(as_text=True)


def test_notices_are_mailed_when_smtp_is_configured_and_only_logged_otherwise(
        web_app: Flask, login: Any, smtp_server: TinySmtp, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    ctx = web_app.extensions["onewindow"]
    citizen: User = login("demo_citizen")
    citizen.post("/account", {"email": "zhangsan@example.cn"})

    # Without a server: the notice (收件凭证 of the application) is logged, nothing is mailed.
    with caplog.at_level(logging.INFO, logger="onewindow.notices"):
        started = citizen.post("/matters/food_business/apply")
        assert citizen.submit(started.location, APPLICATION).status_code == 302
    assert any("notice to demo_citizen" in r.getMessage() for r in caplog.records)
    assert smtp_server.messages == []

    monkeypatch.setattr(ctx, "settings", dataclasses.replace(
        ctx.settings, smtp=SmtpSettings(host="127.0.0.1", port=smtp_server.port, sender="hall@example.cn")))
    started = citizen.post("/matters/food_business/apply")
    done = citizen.submit(started.location, APPLICATION)
    assert done.status_code == 302
    page = citizen.get(done.location).get_data(as_text=True)
    number = re.search(r'class="case-number">([0-9A-Z]+)<', page).group(1)
    mailed = [(to, m) for to, m in smtp_server.messages if number in m.get_content()]
    assert mailed, smtp_server.messages
    for to, message in mailed:  # one mail per notice: the 办理状态 已接件 and the 收件凭证
        assert to == ["zhangsan@example.cn"] and message["To"] == "zhangsan@example.cn"
        assert message["From"] == "hall@example.cn" and message["Subject"].startswith("【一窗通办】")
    assert sorted(m["Subject"] for _to, m in mailed) == ["【一窗通办】办理状态：已接件", "【一窗通办】收件凭证"]
