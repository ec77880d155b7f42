"""Where alerts go: an email through an SMTP server (stdlib smtplib) and a Slack-compatible incoming webhook (httpx).

A channel either delivers or raises; :mod:`bridge.alerts.alerter` logs the
failure and carries on, so a dead mail server never breaks a cycle. Both keep
their timeouts short for the same reason.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

import httpx

from bridge.alerts.model import Alert
from bridge.config.schema import AlertsConfig, EmailAlerts, WebhookAlerts

SMTP_TIMEOUT = 10.0  # seconds for the whole exchange with the mail server's every step
WEBHOOK_TIMEOUT = 5.0


class Channel(Protocol):
    name: str

    def send(self, alert: Alert) -> None:
        """Deliver ``alert`` or raise."""


class EmailChannel:
    name = "email"

    def __init__(self, settings: EmailAlerts, *, timeout: float = SMTP_TIMEOUT) -> None:
        self.settings = settings
        self.timeout = timeout

    def message(self, alert: Alert) -> EmailMessage:
        settings = self.settings
        message = EmailMessage()
        message["Subject"] = alert.subject
        message["From"] = settings.sender
        message["To"] = ", ".join(settings.to)
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain="pm-bridge")
        # Lets a mail filter sort alerts without parsing the subject.
        message["X-PM-Bridge-Alert"] = f"{alert.kind}; {alert.state}; links={','.join(alert.links)}"
        message.set_content(alert.body)
        return message

    def send(self, alert: Alert) -> None:
        settings = self.settings
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if settings.ssl:
            smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=self.timeout)
        with smtp:
            if settings.starttls and not settings.ssl:
                smtp.starttls(context=context)  # refuses (raises) rather than send a password in clear
            if settings.user:
                password = settings.password.get_secret_value() if settings.password else ""
                smtp.login(settings.user, password)
            smtp.send_message(self.message(alert))


class WebhookChannel:
    """Slack's incoming-webhook JSON (``{"text": ...}``), which Mattermost, Rocket.Chat and others accept too."""

    name = "webhook"

    def __init__(self, settings: WebhookAlerts, *, timeout: float = WEBHOOK_TIMEOUT) -> None:
        self.url = settings.url.get_secret_value()
        self.timeout = timeout

    @staticmethod
    def payload(alert: Alert) -> dict[str, str]:
        return {"text": f"*{alert.subject}*\n{alert.body}"}

    def send(self, alert: Alert) -> None:
        response = httpx.post(self.url, json=self.payload(alert), timeout=self.timeout, follow_redirects=False)
        if response.status_code >= 300:
            # The URL is the webhook's credential: name the status only (the redactor knows the URL too).
            raise RuntimeError(f"the webhook answered {response.status_code}")


def channels_for(rules: AlertsConfig) -> list[Channel]:
    found: list[Channel] = []
    if rules.email is not None:
        found.append(EmailChannel(rules.email))
    if rules.webhook is not None:
        found.append(WebhookChannel(rules.webhook))
    return found
