"""How the demo shows both sides: trees of sections, tasks, comments and files, side by side."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from bridge.core.mirror import MirrorView
from bridge.core.model import Snapshot, Task
from bridge.core.rules import LinkRules

TOOL_NAMES = {"asana": "Asana", "trello": "Trello", "github": "GitHub", "basecamp": "Basecamp", "memory": "memory"}


def _ordered(tasks: list[Task]) -> list[Task]:
    return sorted(tasks, key=lambda t: (t.position, t.title))


def _short(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return escape(text if len(text) <= width else text[: width - 1] + "…")


def _task_children(tree: Tree, snapshot: Snapshot, task: Task, view: MirrorView | None) -> None:
    """Comments and files under a task; on the agency side the hidden ones are dimmed."""
    for comment in sorted(snapshot.comments_of(task.id), key=lambda c: (c.created_at is None, c.created_at, c.id)):
        shared = view is None or comment.id in view.comments
        tree.add(f"💬 {_short(comment.text)}" if shared else f"[dim]💬 {_short(comment.text)} (stays internal)[/dim]")
    for attachment in sorted((a for a in snapshot.attachments.values() if a.task_id == task.id), key=lambda a: a.name):
        shared = view is None or attachment.id in view.attachments
        tree.add(f"📎 {_short(attachment.name)}" if shared else f"[dim]📎 {_short(attachment.name)} (stays internal)[/dim]")


def _fields(task: Task, rules: LinkRules | None) -> str:
    """A task's custom fields after its title; on the agency side the ones the link does not map are dimmed."""
    mapped = {name.casefold() for name in rules.mirror.fields.custom} if rules else None
    access = rules.mirror.access.field.casefold() if rules and rules.mirror.access.type == "custom_field" else None
    parts = []
    for name, value in sorted(task.custom_fields.items()):
        if name.casefold() == access:
            continue  # the access field already shows as shared/hidden
        text = escape(f"{name}: {value}")
        shared = mapped is None or name.casefold() in mapped
        parts.append(f"[magenta]{text}[/magenta]" if shared else f"[dim]{text} (stays internal)[/dim]")
    return f" · {', '.join(parts)}" if parts else ""


def _task_label(task: Task, view: MirrorView | None, parent_shared: bool = True, rules: LinkRules | None = None) -> str:
    done = "✓ " if task.done else ""
    title = f"{done}{_short(task.title)}{_fields(task, rules)}"
    if view is None:
        return title
    if task.id not in view.tasks:
        return f"[dim]{title} (hidden)[/dim]"
    if task.parent_id and not parent_shared:
        return f"{title} [cyan](shared on its own)[/cyan]"
    return title


def project_tree(snapshot: Snapshot, title: str, view: MirrorView | None = None, rules: LinkRules | None = None) -> Tree:
    """A project as a tree; with ``view`` (agency side) every item says whether the client sees it."""
    root = Tree(f"[bold]{escape(title)}[/bold]")
    children: dict[str, list[Task]] = {}
    for task in snapshot.tasks.values():
        if task.parent_id:
            children.setdefault(task.parent_id, []).append(task)
    for section in sorted(snapshot.sections.values(), key=lambda s: s.position):
        label = f"[bold]{escape(section.name)}[/bold]"
        if rules is not None:
            rule = rules.mirror.section_rule(section.name)
            shown = f" → {escape(rule.rename)!r}" if rule.rename else ""
            label += f" [dim]({rule.access}{shown})[/dim]" if rule.access == "locked" else f" [green](unlocked{shown})[/green]"
        branch = root.add(label)
        for task in _ordered([t for t in snapshot.tasks.values() if t.section_id == section.id and not t.parent_id]):
            node = branch.add(_task_label(task, view, rules=rules))
            for sub in _ordered(children.get(task.id, [])):
                node.add(_task_label(sub, view, parent_shared=view is None or task.id in view.tasks, rules=rules))
            _task_children(node, snapshot, task, view)
    return root


def side_by_side(left: Tree, right: Tree, left_title: str, right_title: str) -> Table:
    table = Table(show_lines=False, expand=True)
    table.add_column(left_title, ratio=1, overflow="fold")
    table.add_column(right_title, ratio=1, overflow="fold")
    table.add_row(left, right)
    return table


def came_back_table(rows: list[tuple[str, str]], client_tool: str, internal_tool: str) -> Table:
    table = Table(expand=True)
    table.add_column(f"Carla did this in {client_tool}", ratio=1, overflow="fold")
    table.add_column(f"Anna now sees this in {internal_tool}", ratio=1, overflow="fold")
    for did, sees in rows:
        table.add_row(did, sees)
    return table


def checks_table(checks: list[tuple[str, bool, str]]) -> Table:
    table = Table(title="What the demo checked", title_justify="left", expand=True)
    table.add_column("", width=2)
    table.add_column("check", ratio=3, overflow="fold")
    table.add_column("detail", ratio=2, overflow="fold")
    for name, ok, detail in checks:
        table.add_row("[green]✓[/green]" if ok else "[red]✗[/red]", escape(name), escape(detail))
    return table
