"""Sections in a repository: labels named "<prefix><name>" (default) or open milestones.

A section's id is the label's numeric id (stable when the label is renamed)
or the milestone's number. GitHub addresses labels by name, so the store
keeps the names it last saw and re-reads the listing when an id is unknown.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from bridge.core.model import Section
from bridge.core.ports import Removal
from bridge.errors import Invalid, Malformed, NotFound
from bridge.http import HttpClient, iter_link
from connectors.github import translate
from connectors.github.mapping import GithubMapping
from connectors.github.translate import SectionView

LABEL_COLOR = "ededed"


class SectionStore:
    def __init__(self, client: HttpClient, repo_path: str, mapping: GithubMapping) -> None:
        self.client = client
        self.repo_path = repo_path
        self.view = SectionView(mapping)
        self.loaded = False

    @property
    def by_label(self) -> bool:
        return self.view.by_label

    def load(self) -> dict[str, Section]:
        if self.by_label:
            labels = list(iter_link(self.client, f"{self.repo_path}/labels", {"per_page": 100}))
            sections = translate.label_sections(labels, self.view)
        else:
            milestones = iter_link(self.client, f"{self.repo_path}/milestones", {"state": "open", "per_page": 100})
            sections = translate.milestone_sections(milestones)
        self.view.sections = sections
        self.loaded = True
        return dict(sections)

    def get(self, section_id: str) -> Section:
        if section_id not in self.view.sections:
            self.load()
        try:
            return self.view.sections[section_id]
        except KeyError:
            raise NotFound(f"github: section {section_id} no longer exists in {self.repo_path}") from None

    def learn(self, section: Section) -> Section:
        self.view.sections[section.id] = section
        return section

    # -- the fields an issue write carries -------------------------------------

    def issue_fields(self, section_id: str | None, labels: list[str]) -> dict[str, Any]:
        """``labels`` (and ``milestone``) for a POST/PATCH; GitHub replaces the whole label set."""
        if not self.by_label:
            return {"labels": list(dict.fromkeys(labels)), "milestone": int(self.get(section_id).id) if section_id else None}
        names = [name for name in labels if not self.view.is_section_label(name)]
        if section_id:
            names.insert(0, self.view.label_name(self.get(section_id)))
        return {"labels": list(dict.fromkeys(names))}

    # -- writes ---------------------------------------------------------------

    def create(self, name: str) -> Section:
        if not self.by_label:
            return self._create_milestone(name)
        full = self.view.mapping.section_prefix + name
        response = self.client.request("POST", f"{self.repo_path}/labels", json={"name": full, "color": LABEL_COLOR}, ok=(422,))
        body = response.json()
        if response.status == 422:
            if not _already_exists(body):
                raise Invalid(f"github: cannot create label {full!r}: {_describe(body)}", status=422)
            # A create whose response was lost, or a label someone made by hand: adopt it.
            body = self.client.get_json(f"{self.repo_path}/labels/{_segment(full)}")
        return self.learn(self._label_section(body))

    def rename(self, section: Section, name: str) -> Section:
        if not self.by_label:
            body = self.client.request("PATCH", f"{self.repo_path}/milestones/{int(section.id)}", json={"title": name}).json()
            return self.learn(self._milestone_section(body, section.position))
        current = self.view.label_name(self.get(section.id))
        new_name = self.view.mapping.section_prefix + name
        body = self.client.request("PATCH", f"{self.repo_path}/labels/{_segment(current)}", json={"new_name": new_name}).json()
        return self.learn(self._label_section(body, section.position))

    def remove(self, section: Section, mode: Removal) -> None:
        """Labels cannot be archived: both modes delete the label (GitHub takes it off every issue).

        Milestones: ``archive`` closes the milestone, ``delete`` deletes it.
        """
        try:
            if not self.by_label:
                path = f"{self.repo_path}/milestones/{int(section.id)}"
                if mode == "archive":
                    self.client.request("PATCH", path, json={"state": "closed"})
                else:
                    self.client.request("DELETE", path)
            else:
                name = self.view.label_name(self.get(section.id))
                self.client.request("DELETE", f"{self.repo_path}/labels/{_segment(name)}")
        except NotFound:
            pass  # already gone: the removal is done
        self.view.sections.pop(section.id, None)

    def _create_milestone(self, name: str) -> Section:
        response = self.client.request("POST", f"{self.repo_path}/milestones", json={"title": name}, ok=(422,))
        body = response.json()
        if response.status == 422:
            if not _already_exists(body):
                raise Invalid(f"github: cannot create milestone {name!r}: {_describe(body)}", status=422)
            every = iter_link(self.client, f"{self.repo_path}/milestones", {"state": "all", "per_page": 100})
            body = next((m for m in every if isinstance(m, dict) and m.get("title") == name), None)
            if body is None:
                raise Invalid(f"github: milestone {name!r} exists but cannot be listed", status=422)
            if body.get("state") != "open":
                body = self.client.request(
                    "PATCH", f"{self.repo_path}/milestones/{body['number']}", json={"state": "open"}
                ).json()
        return self.learn(self._milestone_section(body, float(len(self.view.sections))))

    def _label_section(self, body: Any, position: float | None = None) -> Section:
        found = translate.label_sections([body], self.view) if isinstance(body, dict) else {}
        if not found:
            raise Malformed(f"github: the label response for {self.repo_path} is not a section label")
        section = next(iter(found.values()))
        return section.model_copy(update={"position": float(len(self.view.sections)) if position is None else position})

    def _milestone_section(self, body: Any, position: float) -> Section:
        if not isinstance(body, dict):
            raise Malformed(f"github: the milestone response for {self.repo_path} is not an object")
        found = translate.milestone_sections([{**body, "state": "open"}])
        return next(iter(found.values())).model_copy(update={"position": position})


def _segment(name: str) -> str:
    return urllib.parse.quote(name, safe="")


def _already_exists(body: Any) -> bool:
    errors = body.get("errors") if isinstance(body, dict) else None
    return isinstance(errors, list) and any(isinstance(e, dict) and e.get("code") == "already_exists" for e in errors)


def _describe(body: Any) -> str:
    if not isinstance(body, dict):
        return "validation failed"
    parts = [str(body.get("message", "Validation Failed"))]
    for error in body.get("errors") or []:
        if isinstance(error, dict):
            parts.append(" ".join(str(error[k]) for k in ("resource", "field", "code", "message") if error.get(k)))
    return "; ".join(parts)
