"""The pure parts: when a digest is due in the client's time zone, and the signed reply addresses."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from hypothesis import given
from hypothesis import strategies as st

from bridge.config.email import ScheduleSettings
from connectors.email import tokens
from connectors.email.digest import digest_due, last_slot

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
UTC = dt.UTC


def test_daily_at_nine_in_paris_across_the_dst_change() -> None:
    daily = ScheduleSettings(every="daily", hour=9, timezone="Europe/Paris")
    # Winter: 09:00 Paris is 08:00 UTC; summer (after 29 March 2026): 07:00 UTC.
    assert last_slot(dt.datetime(2026, 1, 10, 8, 0, tzinfo=UTC), daily) == dt.datetime(2026, 1, 10, 9, 0, tzinfo=PARIS)
    assert last_slot(dt.datetime(2026, 1, 10, 7, 59, tzinfo=UTC), daily) == dt.datetime(2026, 1, 9, 9, 0, tzinfo=PARIS)
    assert last_slot(dt.datetime(2026, 3, 29, 7, 0, tzinfo=UTC), daily) == dt.datetime(2026, 3, 29, 9, 0, tzinfo=PARIS)
    assert last_slot(dt.datetime(2026, 3, 29, 7, 0, tzinfo=UTC), daily).utcoffset() == dt.timedelta(hours=2)
    since = dt.datetime(2026, 3, 28, 9, 0, tzinfo=PARIS)
    assert not digest_due(dt.datetime(2026, 3, 29, 6, 59, tzinfo=UTC), since, daily)
    assert digest_due(dt.datetime(2026, 3, 29, 7, 0, tzinfo=UTC), since, daily)


def test_weekly_on_the_clients_weekday_and_hour() -> None:
    weekly = ScheduleSettings(every="weekly", weekday="friday", hour=17, timezone="America/New_York")
    wednesday = dt.datetime(2026, 12, 9, 12, 0, tzinfo=UTC)
    assert last_slot(wednesday, weekly) == dt.datetime(2026, 12, 4, 17, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
    friday_evening = dt.datetime(2026, 12, 11, 22, 0, tzinfo=UTC)  # 17:00 in New York
    assert digest_due(friday_evening, dt.datetime(2026, 12, 5, tzinfo=UTC), weekly)
    assert not digest_due(friday_evening - dt.timedelta(minutes=1), dt.datetime(2026, 12, 5, tzinfo=UTC), weekly)


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2090, 1, 1), timezones=st.just(UTC)),
       st.sampled_from(["daily", "weekly"]), st.integers(0, 23),
       st.sampled_from(["Europe/Paris", "America/New_York", "Asia/Kolkata", "Pacific/Auckland", "UTC"]))
def test_the_last_slot_is_never_in_the_future_and_at_most_a_period_back(
    now: dt.datetime, every: str, hour: int, zone: str
) -> None:
    schedule = ScheduleSettings(every=every, hour=hour, timezone=zone)  # type: ignore[arg-type]
    slot = last_slot(now, schedule)
    period = dt.timedelta(days=7 if every == "weekly" else 1)
    assert slot <= now and now - slot < period + dt.timedelta(hours=2)
    assert slot.astimezone(zoneinfo.ZoneInfo(zone)).hour == hour or hour in (2, 3)  # a DST gap shifts 02:xx
    assert digest_due(now, slot - dt.timedelta(seconds=1), schedule) and not digest_due(now, slot, schedule)


KEY, DOMAIN = "k" * 32, "replies.example"


def test_a_reply_address_names_its_item_only_under_its_key_connection_and_project() -> None:
    address = tokens.reply_address(KEY, "mail", "Acme", "t12", 20_500, DOMAIN)
    assert address.startswith("reply+t12-20500-") and address.endswith("@" + DOMAIN)
    assert tokens.verify(KEY, "mail", "Acme", address, DOMAIN, 20_000) == tokens.ReplyTarget("t12", 20_500)
    assert tokens.verify(KEY, "mail", "Acme", address.upper(), DOMAIN, 20_000) == tokens.ReplyTarget("t12", 20_500)
    assert tokens.verify("other-key", "mail", "Acme", address, DOMAIN, 20_000) == "forged reply token (bad signature)"
    assert isinstance(tokens.verify(KEY, "mail", "Globex", address, DOMAIN, 20_000), str)
    assert isinstance(tokens.verify(KEY, "mail", "Acme", address.replace("t12", "t13"), DOMAIN, 20_000), str)
    assert isinstance(tokens.verify(KEY, "mail", "Acme", address.replace("20500", "99999"), DOMAIN, 20_000), str)
    assert tokens.verify(KEY, "mail", "Acme", address, DOMAIN, 20_501) == "expired reply token"
    assert tokens.verify(KEY, "mail", "Acme", address, "evil.example", 20_000) == "reply address on another domain"
    assert tokens.verify(KEY, "mail", "Acme", "reply+junk@" + DOMAIN, DOMAIN, 20_000) == "malformed reply token"


@given(st.text(alphabet="abcdef0123456789", min_size=1, max_size=30))
def test_no_made_up_signature_passes(signature: str) -> None:
    assert isinstance(tokens.verify(KEY, "mail", "Acme", f"reply+t1-30000-{signature}@{DOMAIN}", DOMAIN, 1), str)
