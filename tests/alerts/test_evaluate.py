"""The alerting core: rate limits that hold in any window, one alert per interval, words that help and leak nothing."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from bridge import secrets
from bridge.alerts.conditions import conflict_conditions, credential_trouble, cycle_conditions
from bridge.alerts.evaluate import WINDOW, evaluate
from bridge.alerts.model import KINDS, Alert, AlertState, Condition
from bridge.config.schema import AlertsConfig
from bridge.errors import AuthError, CredentialsRevoked, Transient

SECRET = "xoxb-alert-test-SECRET-4242"
secrets.register(SECRET)

LINKS = ["acme", "beta", "gamma", "delta"]
conditions = st.builds(
    Condition,
    link=st.sampled_from(LINKS),
    kind=st.sampled_from(KINDS),
    active=st.booleans(),
    detail=st.sampled_from(["", "server error 500", f"token={SECRET} refused", f"Bearer {SECRET}", "3 conflicts"]),
    action=st.sampled_from(["", f"check the token {SECRET}", "run pm-bridge check"]),
)
steps = st.lists(st.tuples(st.floats(min_value=0, max_value=2400), st.lists(conditions, max_size=6)), max_size=40)
rules = st.builds(
    AlertsConfig,
    min_interval=st.sampled_from([60.0, 600.0, 3600.0, 21600.0]),
    max_per_hour=st.integers(min_value=1, max_value=6),
    resolved=st.booleans(),
)


def run(sequence: list[tuple[float, list[Condition]]], config: AlertsConfig) -> list[tuple[float, Alert]]:
    """Evaluate step after step, the state going through JSON as it does through the store."""
    state, now, out = AlertState(), 1_000_000.0, []
    for gap, seen in sequence:
        now += gap
        result = evaluate(seen, state, now, config)
        out += [(now, alert) for alert in result.alerts]
        state = AlertState.load(result.state.model_dump(mode="json"))
    return out


@settings(deadline=None)
@given(steps, rules)
def test_never_more_messages_than_the_cap_in_any_hour(
    sequence: list[tuple[float, list[Condition]]], config: AlertsConfig
) -> None:
    sent = run(sequence, config)
    for at, _ in sent:
        in_window = [t for t, _ in sent if at - WINDOW < t <= at]
        assert len(in_window) <= config.max_per_hour


@settings(deadline=None)
@given(steps, rules)
def test_firing_alerts_of_one_kind_and_link_are_min_interval_apart(
    sequence: list[tuple[float, list[Condition]]], config: AlertsConfig
) -> None:
    last: dict[tuple[str, str], float] = {}
    for at, alert in run(sequence, config):
        if alert.state != "firing":
            continue
        key = (alert.kind, alert.links[0])
        assert key not in last or at - last[key] >= config.min_interval
        last[key] = at


@settings(deadline=None)
@given(steps, rules)
def test_every_alert_names_its_links_says_what_to_do_and_holds_no_secret(
    sequence: list[tuple[float, list[Condition]]], config: AlertsConfig
) -> None:
    for _, alert in run(sequence, config):
        text = alert.subject + alert.body
        assert SECRET not in text and "xoxb-" not in text
        assert "What to do:" in alert.body
        assert "\n" not in alert.subject
        assert alert.links and all(link in text for link in alert.links)


@settings(deadline=None)
@given(steps, rules)
def test_a_resolution_only_follows_an_alert_that_went_out(
    sequence: list[tuple[float, list[Condition]]], config: AlertsConfig
) -> None:
    firing: set[tuple[str, str]] = set()
    for _, alert in run(sequence, config):
        key = (alert.kind, alert.links[0]) if alert.state in ("firing", "resolved") else None
        if alert.state == "firing":
            firing.add(key)  # type: ignore[arg-type]
        elif alert.state == "resolved":
            assert config.resolved and key in firing
            firing.discard(key)  # type: ignore[arg-type]


def failing(link: str = "acme", active: bool = True) -> Condition:
    return Condition(link=link, kind="failing", active=active, detail="boom", action="look")


def test_a_lasting_condition_alerts_once_per_interval_not_every_cycle() -> None:
    config = AlertsConfig(min_interval=3600)
    sequence = [(60.0, [failing()]) for _ in range(10 * 60)]  # a cycle a minute for ten hours
    sent = run(sequence, config)
    assert len(sent) == 10 and all(alert.state == "firing" for _, alert in sent)
    sent = run([*sequence, (60.0, [failing(active=False)])], config)
    assert sent[-1][1].state == "resolved" and "acme is syncing again" in sent[-1][1].subject


def test_a_storm_is_capped_then_summarised_naming_the_links() -> None:
    config = AlertsConfig(max_per_hour=3, min_interval=21600)
    storm = [failing(f"link{n:02}") for n in range(12)]
    result = evaluate(storm, AlertState(), 0.0, config)
    assert [a.links for a in result.alerts] == [("link00",), ("link01",), ("link02",)]
    assert result.state.suppressed == 9
    again = evaluate(storm, result.state, 1800.0, config)  # the same links, still failing: nothing new, nothing counted twice
    assert again.alerts == [] and again.state.suppressed == 9
    later = evaluate([], again.state, 3600.5, config)
    (summary,) = later.alerts
    assert summary.subject == "pm-bridge: 9 more alerts suppressed"
    assert all(f"link{n:02}" in summary.body for n in range(3, 12)) and later.state.suppressed == 0


def test_a_flapping_condition_does_not_alert_more_often_than_min_interval() -> None:
    config = AlertsConfig(min_interval=3600)
    sequence = [(60.0, [failing(active=n % 2 == 0)]) for n in range(120)]  # broken, fixed, broken... for two hours
    firing = [at for at, alert in run(sequence, config) if alert.state == "firing"]
    assert len(firing) == 2


def test_the_cycle_conditions_say_what_the_cycle_shows() -> None:
    config = AlertsConfig(failing_cycles=3)
    assert cycle_conditions(config, "acme", "failed", error="500", failures=2) == []
    (fails,) = cycle_conditions(config, "acme", "failed", error="500", failures=3, cause=Transient("500"))
    assert fails.active and "last 3 cycles failed" in fails.detail and "pm-bridge check --link acme" in fails.action
    cause = AuthError("401", hint="check the asana token")
    refused = cycle_conditions(config, "acme", "failed", error="401", failures=5, cause=cause, connections=["agency", "client"])
    assert [(c.kind, c.active) for c in refused] == [("credentials", True)]  # not also "failing": one clear message
    assert "connections agency, client" in refused[0].detail and "check the asana token" in refused[0].action
    (revoked,) = cycle_conditions(config, "acme", "failed", cause=CredentialsRevoked("refresh refused"), failures=1)
    assert "refresh token" in revoked.detail and "pm-bridge connect" in revoked.action
    named = CredentialsRevoked("connection 'acme-oauth': the token can no longer be refreshed", connection="acme-oauth",
                               hint="run `pm-bridge connect acme-oauth` to authorize again")
    (revoked,) = cycle_conditions(config, "acme", "failed", cause=named, failures=1, connections=["agency", "acme-oauth"])
    assert "(connection acme-oauth)" in revoked.detail and "connections agency" not in revoked.detail
    assert "pm-bridge connect acme-oauth" in revoked.action
    guarded = cycle_conditions(config, "acme", "guarded", error="would remove 5 of 6", failures=0)
    assert {(c.kind, c.active) for c in guarded} == {("credentials", False), ("failing", False), ("guard", True)}
    assert "--confirm-removals" in next(c for c in guarded if c.kind == "guard").action
    assert {(c.kind, c.active) for c in cycle_conditions(config, "acme", "ok", failures=0)} == {
        ("credentials", False), ("failing", False), ("guard", False)
    }
    no_credentials = AlertsConfig(failing_cycles=3, credentials=False)
    (counted,) = cycle_conditions(no_credentials, "acme", "failed", error="401", failures=3, cause=cause)
    assert counted.kind == "failing" and counted.active  # without credential alerts, it is one more failing cycle
    quiet = AlertsConfig(failing_cycles=0, guard=False, credentials=False)
    assert cycle_conditions(quiet, "acme", "guarded", failures=9) == []
    assert credential_trouble(Transient("x")) is None and credential_trouble(None) is None


def test_conflicts_alert_only_past_the_waiting_time() -> None:
    config = AlertsConfig(conflicts_waiting="24h")
    opened = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    start = opened.timestamp()
    assert conflict_conditions(config, "acme", [opened], start + 3600)[0].active is False
    (late,) = conflict_conditions(config, "acme", [opened, opened], start + 86400)
    assert late.active and "2 conflicts" in late.detail and "more than 24h" in late.detail
    assert "pm-bridge conflicts list --link acme" in late.action
    assert conflict_conditions(AlertsConfig(conflicts_waiting=0), "acme", [opened], start + 10**6) == []


@settings(deadline=None)
@given(st.lists(st.tuples(st.floats(min_value=1, max_value=7200), st.booleans()), max_size=60), st.sampled_from([60.0, 3600.0]))
def test_without_cap_pressure_a_condition_alerts_whenever_it_is_due(steps: list[tuple[float, bool]], interval: float) -> None:
    """The reference: a firing alert at each observation of the held condition at least ``interval`` after the last one."""
    config = AlertsConfig(min_interval=interval, max_per_hour=1000)
    sequence = [(gap, [failing(active=active)]) for gap, active in steps]
    expected, last, now = [], None, 1_000_000.0
    for gap, active in steps:
        now += gap
        if active and (last is None or now - last >= interval):
            expected.append(now)
            last = now
    assert [at for at, alert in run(sequence, config) if alert.state == "firing"] == expected


def test_a_link_removed_from_the_config_is_forgotten_without_a_message() -> None:
    config = AlertsConfig()
    state = evaluate([failing("gone"), failing("acme")], AlertState(), 0.0, config).state
    later = evaluate([], state, 60.0, config, links={"acme"})
    assert later.alerts == [] and list(later.state.tracks) == ["failing:acme"]
