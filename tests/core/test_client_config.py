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
