"""``links.<name>.client.name`` and the links that share one internal project (config to rules)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bridge.config.schema import Config
from connectors.asana.translate import custom_values

CONNECTIONS = {
    "asana": {"kind": "asana", "token": "x"},
    "trello": {"kind": "trello", "key": "k", "token": "t"},
}


def config(**links: dict[str, Any]) -> Config:
    base = {"internal": {"connection": "asana", "project": "111"}, "client": {"connection": "trello", "project": "b"}}
    return Config.model_validate({"connections": CONNECTIONS, "links": {name: {**base, **link} for name, link in links.items()}})


def test_each_link_knows_its_client_and_the_other_clients_of_its_project() -> None:
    cfg = config(
        acme={},
        globex={"client": {"connection": "trello", "project": "c", "name": "Globex"}},
        solo={"internal": {"connection": "asana", "project": "222"}},
    )
    acme, globex, solo = (cfg.links[n].rules().mirror for n in ("acme", "globex", "solo"))
    assert (acme.client_name, globex.client_name, solo.client_name) == ("acme", "Globex", "solo")
    assert acme.project_clients == globex.project_clients == ("acme", "Globex")
    assert acme.several_clients and not solo.several_clients
    assert cfg.links["acme"].rules().approval_label() == "client-approved:acme"
    assert cfg.links["solo"].rules().approval_label() == "client-approved"


def test_two_links_of_one_project_cannot_name_the_same_client() -> None:
    with pytest.raises(ValidationError, match="both name their client 'ACME'"):
        config(acme={}, other={"client": {"connection": "trello", "project": "c", "name": "ACME"}})


def test_two_links_of_one_project_cannot_share_an_approval_section() -> None:
    approval = {"inbound": {"approval": {"internal_label": None, "internal_section": "Approved"}}}
    with pytest.raises(ValidationError, match="both file approvals into section 'Approved'"):
        config(acme=approval, globex=approval)


def _fields(custom: dict[str, Any]) -> dict[str, Any]:
    return {"mirror": {"fields": {"custom": custom}}}


@pytest.mark.parametrize(("acme", "globex"), [("both", "both"), ("both", "to_client"), ("to_internal", "both"),
                                              ("to_internal", "to_client")])
def test_a_field_one_client_types_into_cannot_go_out_to_another(acme: str, globex: str) -> None:
    """The leak it closes: acme types a Priority, it becomes the internal value, the next cycle sends it to globex."""
    with pytest.raises(ValidationError, match="links.acme and links.globex share an internal project and both map the "
                                              "custom field 'Priority'"):
        config(acme=_fields({"Priority": {"to": "Priority", "direction": acme}}),
               globex=_fields({"priority": {"to": "Prio", "direction": globex}}))


def test_fields_that_cannot_carry_one_clients_value_to_another_are_accepted() -> None:
    cfg = config(acme=_fields({"Priority": {"to": "Priority", "direction": "to_client"}}),
                 globex=_fields({"Priority": "Priority", "Budget code": {"to": "Budget", "direction": "both"}}),
                 initech=_fields({"Margin": {"to": "Margin", "direction": "to_internal"}}),
                 hooli={"internal": {"connection": "asana", "project": "222"},
                        **_fields({"Budget code": {"to": "Budget", "direction": "both"}})})  # another project
    assert sorted(cfg.links["globex"].rules().mirror.fields.custom) == ["Budget code", "Priority"]


@pytest.mark.parametrize("field", ["title", "notes", "due", "labels"])
def test_a_task_field_one_client_types_into_cannot_go_out_to_another(field: str) -> None:
    """With notes: both on acme's link, what acme types becomes the internal notes, which globex's link sends out."""
    with pytest.raises(ValidationError, match=f"links.acme takes the {field} in from its client"):
        config(acme={"mirror": {"fields": {field: "both"}}}, globex={"mirror": {"fields": {field: "to_client"}}})
    # One way on every link, or in from one client and out to none, is accepted; done (task state) stays both.
    quiet = config(acme={"mirror": {"fields": {field: "both"}}}, globex={"mirror": {"fields": {field: "none"}}})
    assert quiet.links["acme"].rules().mirror.fields.direction(field) == "both"
    assert config(acme={}, globex={}).links["globex"].rules().mirror.fields.done == "both"


@pytest.mark.parametrize("bad", ["a,b", "", " ", "[x]"])
def test_a_client_name_that_markers_cannot_hold_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        config(acme={"client": {"connection": "trello", "project": "b", "name": bad}})


def test_the_client_is_named_under_client_only() -> None:
    with pytest.raises(ValidationError):
        config(acme={"mirror": {"client_name": "acme"}})
    with pytest.raises(ValidationError):
        config(acme={"internal": {"connection": "asana", "project": "111", "name": "acme"}})


def test_asana_multi_enum_values_arrive_as_a_set_of_names() -> None:
    raw = {
        "custom_fields": [
            {"name": "Client access", "enum_value": None, "multi_enum_values": [{"name": "globex"}, {"name": "acme"}]},
            {"name": "Stage", "enum_value": {"name": "Review"}},
            {"name": "Empty", "enum_value": None, "multi_enum_values": []},
        ]
    }
    assert custom_values(raw) == {"Client access": "acme, globex", "Stage": "Review"}
