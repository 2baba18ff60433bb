"""Join tests: a real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it
receives, and CKAN pointed at it."""

from __future__ import annotations

import email
import email.policy
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass
class Mail:
    to: list[str]
    subject: str
    body: str
    sender: str

    def links(self) -> list[str]:
        return re.findall(r"https?://\S+", self.body)


class Inbox:
    """What the SMTP server received, in order."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(
            envelope.content, policy=email.policy.default
        )
        body = message.get_body(preferencelist=("plain",))
        self.mails.append(
            Mail(
                to=list(envelope.rcpt_tos),
                subject=str(message["Subject"]),
                body=body.get_content() if body is not None else "",
                sender=str(message["From"]),
            )
        )
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.mails if address in m.to]


@pytest.fixture
def smtp(ckan_config: Any, monkeypatch: Any) -> Iterator[Inbox]:
    """A real SMTP server on 127.0.0.1; CKAN's mailer sends to it."""
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(ckan_config, "smtp.server", f"127.0.0.1:{port}")
    monkeypatch.setitem(ckan_config, "smtp.mail_from", "portail@region.example")
    try:
        yield inbox
    finally:
        controller.stop()


def path_of(url: str) -> str:
    """The path and query of a link of the portal (site_url stripped)."""
    return re.sub(r"^https?://[^/]+", "", url)
