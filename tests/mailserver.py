"""A real SMTP server on loopback for the mail tests (aiosmtpd), and pointing a workspace at it."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path


class Recorder:
    """An aiosmtpd handler that keeps every envelope and refuses the addresses in `refused`."""

    def __init__(self) -> None:
        self.envelopes: list[tuple[str, list[str], bytes]] = []
        self.refused: set[str] = set()
        self.peers: list[tuple[str, int]] = []  # client address per message: one per connection

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        self.peers.append(session.peer)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(content, policy=policy.default)
                for _, _, content in self.envelopes]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def point_mail_at(root: Path, port: int) -> None:
    """Edit campaign.yaml as a user would: the loopback server, and no waiting between messages."""
    path = root / "campaign.yaml"
    text = path.read_text("utf-8")
    for old, new in (("host: localhost", "host: 127.0.0.1"), ("port: 25", f"port: {port}"),
                     ("rate_per_minute: 30", "rate_per_minute: 60000")):
        assert old in text
        text = text.replace(old, new)
    path.write_text(text, "utf-8")
