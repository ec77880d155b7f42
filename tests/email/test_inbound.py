"""Reading one inbound message, and the last gate before the wire: pure checks."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest

from bridge.errors import ConfigError
from connectors.email import inbound, tokens
from connectors.email.outbound import check_recipients
from tests.email.support import CLIENT, SIGNING_KEY, reply, settings

SETTINGS = settings(None)
TODAY = 20_000


def address(item: str = "t3") -> str:
    return tokens.reply_address(SIGNING_KEY, "mail", "Acme", item, TODAY + 10, SETTINGS.reply_domain)


@pytest.mark.parametrize(("text", "approve"), [
    ("Approved.", True), ("APPROVE", True), ("approve, thanks", True), ("  Approved! Go ahead", True),
    ("Approval later, not yet", False), ("I do not approve", False), ("approves", False),
])
def test_only_a_first_word_approve_or_approved_approves(text: str, approve: bool) -> None:
    read = inbound.read(reply(address(), text), SETTINGS, "mail", "Acme", TODAY)
    assert isinstance(read, inbound.Reply) and read.task_id == "t3"
    assert read.approve is approve
    assert read.text == text.strip()  # the signature and the quoted message are gone


def test_an_html_only_reply_is_read_as_markdown() -> None:
    message = EmailMessage()
    message["From"] = CLIENT
    message["To"] = address()
    message["Subject"] = "Re: x"
    message.set_content("<p>Looks <b>fine</b> &amp; ready</p><div>On Mon, Agency wrote:</div><blockquote>old</blockquote>",
                        subtype="html")
    read = inbound.read(message.as_bytes(), SETTINGS, "mail", "Acme", TODAY)
    assert isinstance(read, inbound.Reply)
    assert read.text == "Looks **fine** & ready"  # the quoted message is gone (tests/email/test_html_replies.py)


def test_a_reply_to_another_project_or_connection_is_forged() -> None:
    for connection, project in (("mail", "Globex"), ("other", "Acme")):
        read = inbound.read(reply(address(), "ok"), SETTINGS, connection, project, TODAY)
        assert isinstance(read, inbound.Refused) and "forged" in read.reason


def test_a_sender_is_matched_without_case_and_only_by_address() -> None:
    assert isinstance(inbound.read(reply(address(), "ok", sender=CLIENT.upper()), SETTINGS, "mail", "Acme", TODAY),
                      inbound.Reply)
    lookalike = reply(address(), "ok", sender="carla@client.example.evil.example")
    assert isinstance(inbound.read(lookalike, SETTINGS, "mail", "Acme", TODAY), inbound.Refused)


def test_a_request_takes_its_subject_as_title() -> None:
    read = inbound.read(reply("request@replies.agency.example", "Details here", subject="Fwd: Re: New landing page"),
                        SETTINGS, "mail", "Acme", TODAY)
    assert isinstance(read, inbound.Reply) and read.kind == "request"
    assert read.title == "New landing page" and read.text == "Details here"


def test_no_message_leaves_for_an_address_that_is_not_the_clients() -> None:
    message = EmailMessage()
    message["To"] = CLIENT
    check_recipients(message, [CLIENT])
    message["Cc"] = "someone@else.example"
    with pytest.raises(ConfigError):
        check_recipients(message, [CLIENT])
    with pytest.raises(ConfigError):
        check_recipients(EmailMessage(), [CLIENT])  # no recipient at all


def test_attached_files_are_named_in_the_comment_not_copied() -> None:
    """Files cannot cross from an email (docs/email.md, "Files"): the agency learns she sent them."""
    raw = email.message_from_bytes(reply(address(), "Here is our logo"), policy=email.policy.default)
    assert isinstance(raw, EmailMessage)
    raw.add_attachment(b"\x89PNG" + b"0" * 3000, maintype="image", subtype="png", filename="logo.png")
    read = inbound.read(raw.as_bytes(), SETTINGS, "mail", "Acme", TODAY)
    assert isinstance(read, inbound.Reply)
    assert read.text == "Here is our logo\n\n_(attached, not copied by the bridge: logo.png (3 KB))_"
    only_file = EmailMessage()
    only_file["From"], only_file["To"], only_file["Subject"] = CLIENT, address(), "Re: x"
    only_file.add_attachment(b"%PDF" + b"1" * 100, maintype="application", subtype="pdf", filename="brief.pdf")
    read = inbound.read(only_file.as_bytes(), SETTINGS, "mail", "Acme", TODAY)
    assert isinstance(read, inbound.Reply) and "brief.pdf" in read.text
