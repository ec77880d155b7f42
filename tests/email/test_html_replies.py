"""HTML-only replies, as Gmail and Outlook write them, become readable Markdown comments: formatting kept, styles
and the quoted message gone, "Approved" still approves (through the real IMAP server and engine)."""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from connectors.email.inbound import html_reply
from connectors.email.sink import SmtpSink
from tests.email.support import CLIENT, PARIS, EmailWorld, deliver, imap_server, parse, settings, smtp

GMAIL = (
    '<div dir="ltr">Looks good, but<br>can we make the <b>blue</b> darker?<div><br></div>'
    '<div><a href="https://client.example/ref.png">our reference</a></div></div><br>'
    '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, Dec 7, 2026 at 9:00 AM Agency &lt;'
    '<a href="mailto:updates@agency.example">updates@agency.example</a>&gt; wrote:<br></div>'
    '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204)">'
    "SECRET QUOTE<br>Final logo</blockquote></div>"
)
OUTLOOK = (
    '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta http-equiv="Content-Type" '
    'content="text/html; charset=utf-8"><style><!-- p.MsoNormal {margin:0cm; font-family:"Calibri"} --></style>'
    '</head><body lang="EN-US"><div class="WordSection1"><p class="MsoNormal">Approved &#8211; go ahead.<o:p></o:p>'
    '</p><ul><li class="MsoListParagraph">keep the <i>dark</i> variant <img src="cid:image001.png@01DA" alt="x">'
    '</li></ul><p class="MsoNormal"><o:p>&nbsp;'
    '</o:p></p><p class="MsoNormal">Best regards,<br>Carla<o:p></o:p></p><div id="appendonsend"></div>'
    '<hr style="display:inline-block;width:98%" tabindex="-1"><div id="divRplyFwdMsg" dir="ltr"><font face="Calibri">'
    "<b>From:</b> Agency &lt;updates@agency.example&gt;<br><b>Sent:</b> Monday, December 7, 2026 9:00 AM<br>"
    "<b>Subject:</b> Approval needed: Final logo</font></div><div><p>SECRET QUOTE</p></div></body></html>"
)


def html_only(to: str, html: str) -> bytes:
    message = EmailMessage()
    message["From"] = f"Carla Client <{CLIENT}>"
    message["To"] = to
    message["Subject"] = "Re: Approval needed: Final logo"
    message["Message-ID"] = email.utils.make_msgid(domain="client.example")
    message.set_content(html, subtype="html")
    return message.as_bytes()


def test_gmail_and_outlook_html_become_markdown_without_quote_or_styles() -> None:
    gmail = html_reply(GMAIL)
    assert "can we make the **blue** darker?" in gmail
    assert "[our reference](https://client.example/ref.png)" in gmail
    assert "SECRET QUOTE" not in gmail and "wrote:" not in gmail
    outlook = html_reply(OUTLOOK)
    assert outlook.startswith("Approved – go ahead.")
    assert "*dark*" in outlook and "keep the" in outlook
    assert "MsoNormal" not in outlook and "SECRET QUOTE" not in outlook and "From:" not in outlook
    assert "<" not in outlook and "cid:" not in outlook


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[EmailWorld, SmtpSink, int]]:
    with smtp() as sink, imap_server() as port:
        w = EmailWorld(tmp_path, settings(sink.port, port))
        yield w, sink, port
        w.close()


def test_html_only_replies_reach_the_internal_task_as_markdown(world: tuple[EmailWorld, SmtpSink, int]) -> None:
    w, sink, port = world
    task = w.task("Final logo", "For approval")
    w.cycle()
    reply_to = str(next(parse(r.data) for r in sink.received)["Reply-To"])
    deliver(port, html_only(reply_to, GMAIL))
    w.at(dt.datetime(2026, 12, 7, 8, 10, tzinfo=PARIS)).cycle()
    deliver(port, html_only(reply_to, OUTLOOK))
    w.at(dt.datetime(2026, 12, 7, 8, 20, tzinfo=PARIS)).cycle()
    internal = w.internal()
    texts = [c.text for c in internal.comments_of(task)]
    assert len(texts) == 2
    assert texts[0].startswith("Client Carla Client: Looks good, but") and "**blue**" in texts[0]
    assert texts[1].startswith("Client Carla Client: Approved – go ahead.") and "SECRET" not in "".join(texts)
    assert "client-approved" in internal.tasks[task].labels
