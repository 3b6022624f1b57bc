"""SMTP delivery of digests with aiosmtplib; the message is built here, the server is configured."""

from __future__ import annotations

import os
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib
import msgspec


class MailSettings(msgspec.Struct, frozen=True):
    host: str | None = None  # unset: no email is sent (digests then go by webhook only)
    port: int = 25
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    sender: str = "Sorot <sorot@localhost>"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> MailSettings:
        env = os.environ if env is None else env
        return cls(
            host=env.get("SOROT_SMTP_HOST") or None,
            port=int(env.get("SOROT_SMTP_PORT", "25")),
            username=env.get("SOROT_SMTP_USER") or None,
            password=env.get("SOROT_SMTP_PASSWORD") or None,
            starttls=env.get("SOROT_SMTP_STARTTLS", "").lower() in {"1", "true", "yes", "on"},
            sender=env.get("SOROT_SMTP_FROM", "Sorot <sorot@localhost>"),
        )


def build_message(
    sender: str,
    recipients: list[str],
    subject: str,
    text: str,
    html: str,
    chart_svg: str,
    attachment: tuple[str, bytes],
    message_key: str,
) -> EmailMessage:
    """Text and HTML alternatives, the chart as an inline image the HTML refers to by cid, the CSV attached.

    ``message_key`` makes the Message-ID stable per schedule and period, so a digest retried
    after a crash mid-send is recognised as the same message by mail clients.
    """
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{message_key}@sorot>"
    msg.set_content(text)
    chart_cid = make_msgid(domain="sorot")
    msg.add_alternative(html.replace("cid:chart", "cid:" + chart_cid[1:-1]), subtype="html")
    html_part = msg.get_body(("html",))
    assert isinstance(html_part, EmailMessage)
    html_part.add_related(chart_svg.encode(), maintype="image", subtype="svg+xml", cid=chart_cid, filename="chart.svg")
    name, data = attachment
    msg.add_attachment(data, maintype="text", subtype="csv", filename=name)
    return msg


async def send(settings: MailSettings, message: EmailMessage) -> None:
    if settings.host is None:
        raise RuntimeError("SOROT_SMTP_HOST is not set")
    await aiosmtplib.send(
        message,
        hostname=settings.host,
        port=settings.port,
        username=settings.username,
        password=settings.password,
        start_tls=settings.starttls,
        timeout=30,
    )
