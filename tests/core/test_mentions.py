"""Mentions crossing a link: localized for the side they go to, never a reason to write twice."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bridge.core.link import Pair
from bridge.core.mirror import mirror
from bridge.core.model import Person
from bridge.core.plan.cycle import plan_cycle
from bridge.core.ports import Capabilities
from bridge.core.rules import FieldRules, LinkRules, MirrorRules, PeopleRules, SectionRule
from bridge.richtext import Document, render_markdown
from bridge.richtext.ast import Inline, Mention
from bridge.richtext.audience import Audience, flatten, localize, same_text
from bridge.richtext.mentions import map_inlines
from tests.core.build import ANNA, BOB, CARLA, client, comment, internal, task
from tests.richtext.strategies import documents

CAPS = Capabilities()
RULES = LinkRules(mirror=MirrorRules(sections={"Design": SectionRule(access="unlocked")}))
ANNA_MD = "@[Anna Agency](person:anna@agency.example)"
BOB_MD = "@[Bob Builder](person:bob@agency.example)"
CARLA_MD = "@[Carla Client](person:carla@client.example)"
ANNA_ON_CLIENT_MD = "@[Anna A.](person:anna@agency.example)"
KEYS = re.compile(r"\]\(person:([^)]+)\)")


def keys(markdown: str) -> set[str]:
    return set(KEYS.findall(markdown))


# -- localize: pure ---------------------------------------------------------------------------


def test_a_known_person_keeps_the_mention_under_the_targets_name() -> None:
    audience = Audience.of([Person(id="c1", name="Anna A.", email="Anna@Agency.example")])
    assert localize(f"ask {ANNA_MD} today", audience) == "ask @[Anna A.](person:Anna@Agency.example) today"


def test_an_unknown_person_becomes_their_plain_name() -> None:
    assert localize(f"ask {BOB_MD} today", Audience.of([CARLA])) == "ask Bob Builder today"


def test_the_people_map_renames_keys_on_the_way() -> None:
    audience = Audience.of([CARLA], {"bob@agency.example": "carla@client.example"})
    assert localize(f"cc {BOB_MD}", audience) == f"cc {CARLA_MD}"


def test_text_without_mentions_is_returned_untouched() -> None:
    odd = "not *canonical*   spacing\n\n\n"
    assert localize(odd, Audience.of([CARLA])) is odd


def test_same_text_tolerates_a_mention_held_as_a_plain_name_only() -> None:
    assert same_text(f"hi {CARLA_MD}", "hi Carla Client")
    assert not same_text(f"hi {CARLA_MD}", "hi Carla")
    assert not same_text("hi Carla Client", "hello Carla Client")


def _mentions(doc: Document) -> list[Mention]:
    found: list[Mention] = []

    def collect(node: Inline) -> list[Inline]:
        if isinstance(node, Mention):
            found.append(node)
        return [node]

    map_inlines(doc, collect)
    return found


people_pool = [ANNA, BOB, CARLA, Person(id="x", name="Anna A.", email="ANNA@agency.example")]


@settings(deadline=None, max_examples=60)
@given(documents(), st.lists(st.sampled_from(people_pool), unique=True))
def test_localized_text_only_mentions_people_the_target_knows(doc: Document, known: list[Person]) -> None:
    audience = Audience.of(known)
    markdown = render_markdown(doc)
    out = localize(markdown, audience)
    assert {k.casefold() for k in keys(out)} <= {p.email.casefold() for p in known if p.email}
    # Localizing twice changes nothing: what the target reads back is already in its terms.
    assert localize(out, audience) == out
    # Nothing but mentions changed: read as plain names, both say the same where names agree.
    if all(m.name == (audience.known.get(m.key.casefold()) or m).name for m in _mentions(doc)):
        assert same_text(out, markdown)
        assert flatten(out) == flatten(markdown)


@settings(deadline=None, max_examples=40)
@given(documents(), documents())
def test_same_text_is_reflexive_and_symmetric(a: Document, b: Document) -> None:
    ma, mb = render_markdown(a), render_markdown(b)
    assert same_text(ma, ma)
    assert same_text(ma, mb) == same_text(mb, ma)


# -- the mirror: what goes out ----------------------------------------------------------------


def test_notes_and_comments_go_out_with_mentions_the_client_can_hold() -> None:
    snap = internal("Design")
    task(snap, "t", "Homepage", "Design", notes=f"{ANNA_MD} and {BOB_MD} own this")
    comment(snap, "c", "t", f"#client {CARLA_MD} please review, {BOB_MD} is away")
    view = mirror(snap, client().people, RULES, CAPS)
    # Anna has a client account (under another display name), Bob has none, Carla is the client.
    assert view.tasks["t"].fields["notes"] == f"{ANNA_ON_CLIENT_MD} and Bob Builder own this"
    assert view.comments["c"].text == f"Anna Agency: {CARLA_MD} please review, Bob Builder is away"


def test_no_internal_email_reaches_the_client_through_a_mention() -> None:
    snap = internal("Design")
    task(snap, "t", "Homepage", "Design", notes=f"ask {BOB_MD}")
    view = mirror(snap, client().people, RULES, CAPS)
    assert "bob@agency.example" not in view.model_dump_json()


def test_a_mapped_person_is_mentioned_as_their_client_account() -> None:
    rules = LinkRules(
        mirror=MirrorRules(
            sections={"Design": SectionRule(access="unlocked")},
            people=PeopleRules(map={"bob@agency.example": "carla@client.example"}),
        )
    )
    snap = internal("Design")
    task(snap, "t", "Homepage", "Design", notes=f"ask {BOB_MD}")
    assert mirror(snap, client().people, rules, CAPS).tasks["t"].fields["notes"] == f"ask {CARLA_MD}"


def test_comment_attribution_can_carry_the_date() -> None:
    rules = LinkRules(
        mirror=MirrorRules(sections={"Design": SectionRule(access="unlocked")}, comment_attribution="{name} ({date}): ")
    )
    snap = internal("Design")
    task(snap, "t", "Homepage", "Design")
    comment(snap, "c", "t", "#client draft is up")
    assert mirror(snap, {}, rules, CAPS).comments["c"].text == "Anna Agency (2026-01-02): draft is up"


# -- the planner: convergence and what comes back -----------------------------------------------


def test_a_mention_the_client_holds_as_a_name_is_not_rewritten_every_cycle() -> None:
    # Carla's mention of her colleague Dan came back as "Dan" (the agency's tool does not know
    # him); the mirror then says "Dan" where the client's card still says @Dan: equal, no write.
    dan = "@[Dan](person:dan@client.example)"
    rules = RULES.model_copy(update={"mirror": RULES.mirror.model_copy(update={"fields": FieldRules(notes="both")})})
    isnap = internal("Design")
    task(isnap, "t1", "Homepage", "Design", notes="ask Dan")
    csnap = client("Design", people=(CARLA, Person(id="c-dan", name="Dan", email="dan@client.example")))
    task(csnap, "c1", "Homepage", "Design", notes=f"ask {dan}")
    pairs = [
        Pair(kind="section", key="s-design", client_id="cs-design", base={"name": "Design"}),
        Pair(kind="task", key="t1", internal_id="t1", client_id="c1", base={"notes": f"ask {dan}", "section": "s-design"}),
    ]
    view = mirror(isnap, csnap.people, rules, CAPS)
    task_ops = [op for op in plan_cycle(isnap, csnap, view, pairs, rules, CAPS, CAPS).writes() if op.kind == "task"]
    assert [op.written for op in task_ops if "notes" in op.written] == []


def test_client_input_comes_back_with_mentions_in_internal_terms() -> None:
    rules = RULES.model_copy(update={"mirror": RULES.mirror.model_copy(update={"fields": FieldRules(notes="both")})})
    isnap = internal("Design")
    task(isnap, "t1", "Homepage", "Design", notes="Hero")
    csnap = client("Design")
    task(csnap, "c1", "Homepage", "Design", notes=f"Hero, {ANNA_ON_CLIENT_MD} knows")
    comment(csnap, "k1", "c1", f"{ANNA_ON_CLIENT_MD} and {CARLA_MD} agree", author=CARLA)
    view = mirror(isnap, csnap.people, rules, CAPS)
    pairs = [
        Pair(kind="section", key="s-design", client_id="cs-design", base={"name": "Design"}),
        Pair(kind="task", key="t1", internal_id="t1", client_id="c1", base={**view.tasks["t1"].fields, "section": "s-design"}),
    ]
    out = {(op.kind, op.action): op.written for op in plan_cycle(isnap, csnap, view, pairs, rules, CAPS, CAPS).writes()}
    # Anna is known internally under her internal name; Carla has no internal account.
    assert out[("task", "update")] == {"notes": f"Hero, {ANNA_MD} knows"}
    assert out[("comment", "create")] == {"text": f"Client Carla Client: {ANNA_MD} and Carla Client agree"}


def test_an_unknown_attribution_placeholder_is_a_config_error_naming_it() -> None:
    with pytest.raises(ValidationError, match=r"comment_attribution may use \{name\} and \{date\} only \('who'"):
        MirrorRules(comment_attribution="{who}: ")


# -- @username in people.map: tools that show no email (Trello, GitHub without a public one) -------

CARLA_ON_TRELLO = Person(id="m-carla", name="Carla C.", username="carla")
BOB_ON_TRELLO = Person(id="m-bob", name="Bob B.", username="bobby")
TRELLO = Capabilities(tool="trello")
BY_HANDLE = LinkRules(
    mirror=MirrorRules(
        sections={"Design": SectionRule(access="unlocked")},
        fields=FieldRules(notes="both", assignees="both"),
        people=PeopleRules(map={"bob@agency.example": "@Bobby"}),
    )
)


def test_a_username_in_the_map_assigns_and_mentions_the_member() -> None:
    snap = internal("Design")
    task(snap, "t", "Homepage", "Design", notes=f"ask {BOB_MD}", assignees=[BOB.id])
    comment(snap, "c", "t", f"#client {BOB_MD} is on it")
    people = {p.id: p for p in (CARLA_ON_TRELLO, BOB_ON_TRELLO)}
    view = mirror(snap, people, BY_HANDLE, TRELLO)
    bob_there = "@[Bob B.](person:trello:m-bob)"  # the key Trello's connector reads Bob's @bobby as
    assert view.tasks["t"].fields["assignees"] == ["m-bob"]
    assert view.tasks["t"].fields["notes"] == f"ask {bob_there}"
    assert view.comments["c"].text == f"Anna Agency: {bob_there} is on it"


def test_a_member_known_by_username_comes_back_as_the_internal_person() -> None:
    isnap = internal("Design")
    task(isnap, "t1", "Homepage", "Design", notes="Hero")
    csnap = client("Design", people=(CARLA_ON_TRELLO, BOB_ON_TRELLO))
    task(csnap, "c1", "Homepage", "Design", notes="Hero", assignees=["m-bob"])
    comment(csnap, "k1", "c1", "@[Bob B.](person:trello:m-bob) and @[Carla C.](person:trello:m-carla) agree", author=CARLA)
    view = mirror(isnap, csnap.people, BY_HANDLE, TRELLO)
    base = {**view.tasks["t1"].fields, "section": "s-design", "parent": None}
    pairs = [
        Pair(kind="section", key="s-design", client_id="cs-design", base={"name": "Design"}),
        Pair(kind="task", key="t1", internal_id="t1", client_id="c1", base=base),
    ]
    out = {(op.kind, op.action): op.written for op in plan_cycle(isnap, csnap, view, pairs, BY_HANDLE, TRELLO, CAPS).writes()}
    assert out[("task", "update")] == {"assignees": [BOB.id]}
    # Bob is mapped: his internal mention; Carla is not: her name.
    assert out[("comment", "create")] == {"text": f"Client Carla Client: {BOB_MD} and Carla C. agree"}
