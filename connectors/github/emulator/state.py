"""What the GitHub emulator holds, and how each object renders as the REST API shows it.

Rendering follows the 2020 reduced description's required fields
(``issue``, ``issue-simple``, ``issue-comment``, ``label``, ``milestone``,
``simple-user``, ``public-user``, ``private-user``, ``repository``, ``hook``) plus ``state_reason`` from the
current description.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

WEB = "https://github.com"


def node_id(kind: str, ident: int) -> str:
    return base64.b64encode(f"0{len(kind)}:{kind}{ident}".encode()).decode()


@dataclass
class User:
    id: int
    login: str
    name: str = ""
    email: str | None = None  # the public email: GET /users/{username} shows it to anyone
    type: str = "User"


@dataclass
class Label:
    id: int
    name: str
    color: str = "ededed"
    description: str | None = None
    default: bool = False


@dataclass
class Milestone:
    id: int
    number: int
    title: str
    creator: str
    created_at: str
    updated_at: str
    state: str = "open"
    description: str | None = None
    due_on: str | None = None
    closed_at: str | None = None


@dataclass
class Issue:
    id: int
    number: int
    title: str
    user: str
    created_at: str
    updated_at: str
    body: str | None = None
    state: str = "open"
    state_reason: str | None = None
    locked: bool = False
    active_lock_reason: str | None = None
    labels: list[int] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    milestone: int | None = None
    closed_at: str | None = None
    closed_by: str | None = None
    pull_request: bool = False


@dataclass
class IssueComment:
    id: int
    issue: int
    body: str
    user: str
    created_at: str
    updated_at: str


@dataclass
class Hook:
    id: int
    events: list[str]
    config: dict[str, str]
    created_at: str
    updated_at: str
    active: bool = True


@dataclass
class Repo:
    id: int
    owner: str
    name: str
    created_at: str
    description: str | None = None
    private: bool = True
    has_issues: bool = True  # false: the repository's Issues feature is off, and its issue endpoints answer 410
    collaborators: set[str] = field(default_factory=set)
    issues: dict[int, Issue] = field(default_factory=dict)
    comments: dict[int, IssueComment] = field(default_factory=dict)
    labels: dict[int, Label] = field(default_factory=dict)
    milestones: dict[int, Milestone] = field(default_factory=dict)
    hooks: dict[int, Hook] = field(default_factory=dict)
    next_number: int = 1

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def label_named(self, name: str) -> Label | None:
        wanted = name.casefold()
        return next((label for label in self.labels.values() if label.name.casefold() == wanted), None)


class Renderer:
    """Turns stored objects into API JSON, with URLs under the API base the request used."""

    def __init__(self, api: str, users: dict[str, User]) -> None:
        self.api = api.rstrip("/")
        self.users = users

    def user(self, login: str) -> dict[str, Any]:
        user = self.users.get(login) or User(0, login)
        url = f"{self.api}/users/{login}"
        return {
            "login": login,
            "id": user.id,
            "node_id": node_id("User", user.id),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{user.id}?v=4",
            "gravatar_id": "",
            "url": url,
            "html_url": f"{WEB}/{login}",
            "followers_url": f"{url}/followers",
            "following_url": f"{url}/following{{/other_user}}",
            "gists_url": f"{url}/gists{{/gist_id}}",
            "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{url}/subscriptions",
            "organizations_url": f"{url}/orgs",
            "repos_url": f"{url}/repos",
            "events_url": f"{url}/events{{/privacy}}",
            "received_events_url": f"{url}/received_events",
            "type": user.type,
            "site_admin": False,
        }

    def public_user(self, login: str, created_at: str) -> dict[str, Any]:
        """``public-user``: the profile anyone sees; ``email`` is the public email (null when it is private)."""
        user = self.users[login]
        return {
            **self.user(login),
            "name": user.name or None,
            "company": None,
            "blog": "",
            "location": None,
            "email": user.email,
            "hireable": None,
            "bio": None,
            "twitter_username": None,
            "public_repos": 0,
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": created_at,
            "updated_at": created_at,
        }

    def private_user(self, login: str, created_at: str) -> dict[str, Any]:
        return {
            **self.public_user(login, created_at),
            "private_gists": 0,
            "total_private_repos": 1,
            "owned_private_repos": 1,
            "disk_usage": 0,
            "collaborators": 0,
            "two_factor_authentication": True,
            "plan": {"name": "pro", "space": 976562499, "private_repos": 9999, "collaborators": 0},
        }

    def label(self, repo: Repo, label: Label) -> dict[str, Any]:
        return {
            "id": label.id,
            "node_id": node_id("Label", label.id),
            "url": f"{self.api}/repos/{repo.full_name}/labels/{label.name.replace(' ', '%20')}",
            "name": label.name,
            "color": label.color,
            "default": label.default,
            "description": label.description,
        }

    def milestone(self, repo: Repo, m: Milestone) -> dict[str, Any]:
        url = f"{self.api}/repos/{repo.full_name}/milestones/{m.number}"
        in_it = [i for i in repo.issues.values() if i.milestone == m.number]
        return {
            "url": url,
            "html_url": f"{WEB}/{repo.full_name}/milestone/{m.number}",
            "labels_url": f"{url}/labels",
            "id": m.id,
            "node_id": node_id("Milestone", m.id),
            "number": m.number,
            "state": m.state,
            "title": m.title,
            "description": m.description,
            "creator": self.user(m.creator),
            "open_issues": sum(1 for i in in_it if i.state == "open"),
            "closed_issues": sum(1 for i in in_it if i.state == "closed"),
            "created_at": m.created_at,
            "updated_at": m.updated_at,
            "closed_at": m.closed_at,
            "due_on": m.due_on,
        }

    def issue(self, repo: Repo, issue: Issue) -> dict[str, Any]:
        url = f"{self.api}/repos/{repo.full_name}/issues/{issue.number}"
        kind = "pull" if issue.pull_request else "issues"
        out: dict[str, Any] = {
            "id": issue.id,
            "node_id": node_id("PullRequest" if issue.pull_request else "Issue", issue.id),
            "url": url,
            "repository_url": f"{self.api}/repos/{repo.full_name}",
            "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments",
            "events_url": f"{url}/events",
            "html_url": f"{WEB}/{repo.full_name}/{kind}/{issue.number}",
            "number": issue.number,
            "state": issue.state,
            "state_reason": issue.state_reason,
            "title": issue.title,
            "body": issue.body,
            "user": self.user(issue.user),
            "labels": [self.label(repo, repo.labels[i]) for i in issue.labels if i in repo.labels],
            "assignee": self.user(issue.assignees[0]) if issue.assignees else None,
            "assignees": [self.user(a) for a in issue.assignees],
            "milestone": self.milestone(repo, repo.milestones[issue.milestone]) if issue.milestone in repo.milestones else None,
            "locked": issue.locked,
            "active_lock_reason": issue.active_lock_reason,
            "comments": sum(1 for c in repo.comments.values() if c.issue == issue.number),
            "closed_at": issue.closed_at,
            "created_at": issue.created_at,
            "updated_at": issue.updated_at,
            "closed_by": self.user(issue.closed_by) if issue.closed_by else None,
            "author_association": "COLLABORATOR" if issue.user in repo.collaborators else "NONE",
            "timeline_url": f"{url}/timeline",
            "performed_via_github_app": None,
        }
        if issue.pull_request:
            pr = f"{self.api}/repos/{repo.full_name}/pulls/{issue.number}"
            web = f"{WEB}/{repo.full_name}/pull/{issue.number}"
            out["pull_request"] = {
                "url": pr,
                "html_url": web,
                "diff_url": f"{web}.diff",
                "patch_url": f"{web}.patch",
                "merged_at": None,
            }
        return out

    def comment(self, repo: Repo, c: IssueComment) -> dict[str, Any]:
        return {
            "id": c.id,
            "node_id": node_id("IssueComment", c.id),
            "url": f"{self.api}/repos/{repo.full_name}/issues/comments/{c.id}",
            "html_url": f"{WEB}/{repo.full_name}/issues/{c.issue}#issuecomment-{c.id}",
            "body": c.body,
            "user": self.user(c.user),
            "created_at": c.created_at,
            "updated_at": c.updated_at,
            "issue_url": f"{self.api}/repos/{repo.full_name}/issues/{c.issue}",
            "author_association": "COLLABORATOR" if c.user in repo.collaborators else "NONE",
            "performed_via_github_app": None,
        }

    def hook(self, repo: Repo, hook: Hook) -> dict[str, Any]:
        url = f"{self.api}/repos/{repo.full_name}/hooks/{hook.id}"
        config = {k: ("********" if k == "secret" else v) for k, v in hook.config.items()}
        return {
            "type": "Repository",
            "id": hook.id,
            "name": "web",
            "active": hook.active,
            "events": hook.events,
            "config": config,
            "updated_at": hook.updated_at,
            "created_at": hook.created_at,
            "url": url,
            "test_url": f"{url}/test",
            "ping_url": f"{url}/pings",
            "last_response": {"code": None, "status": "unused", "message": None},
        }

    def repository(self, repo: Repo, updated_at: str) -> dict[str, Any]:
        url = f"{self.api}/repos/{repo.full_name}"
        suffixes = {
            "archive_url": "/{archive_format}{/ref}",
            "assignees_url": "/assignees{/user}",
            "blobs_url": "/git/blobs{/sha}",
            "branches_url": "/branches{/branch}",
            "collaborators_url": "/collaborators{/collaborator}",
            "comments_url": "/comments{/number}",
            "commits_url": "/commits{/sha}",
            "compare_url": "/compare/{base}...{head}",
            "contents_url": "/contents/{+path}",
            "contributors_url": "/contributors",
            "deployments_url": "/deployments",
            "downloads_url": "/downloads",
            "events_url": "/events",
            "forks_url": "/forks",
            "git_commits_url": "/git/commits{/sha}",
            "git_refs_url": "/git/refs{/sha}",
            "git_tags_url": "/git/tags{/sha}",
            "hooks_url": "/hooks",
            "issue_comment_url": "/issues/comments{/number}",
            "issue_events_url": "/issues/events{/number}",
            "issues_url": "/issues{/number}",
            "keys_url": "/keys{/key_id}",
            "labels_url": "/labels{/name}",
            "languages_url": "/languages",
            "merges_url": "/merges",
            "milestones_url": "/milestones{/number}",
            "notifications_url": "/notifications{?since,all,participating}",
            "pulls_url": "/pulls{/number}",
            "releases_url": "/releases{/id}",
            "stargazers_url": "/stargazers",
            "statuses_url": "/statuses/{sha}",
            "subscribers_url": "/subscribers",
            "subscription_url": "/subscription",
            "tags_url": "/tags",
            "teams_url": "/teams",
            "trees_url": "/git/trees{/sha}",
        }
        urls = {key: url + suffix for key, suffix in suffixes.items()}
        open_issues = sum(1 for i in repo.issues.values() if i.state == "open")
        return {
            "id": repo.id,
            "node_id": node_id("Repository", repo.id),
            "name": repo.name,
            "full_name": repo.full_name,
            "owner": self.user(repo.owner),
            "private": repo.private,
            "html_url": f"{WEB}/{repo.full_name}",
            "description": repo.description,
            "fork": False,
            "url": url,
            **urls,
            "git_url": f"git://github.com/{repo.full_name}.git",
            "ssh_url": f"git@github.com:{repo.full_name}.git",
            "clone_url": f"{WEB}/{repo.full_name}.git",
            "svn_url": f"{WEB}/{repo.full_name}",
            "mirror_url": None,
            "homepage": None,
            "language": None,
            "forks": 0,
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "watchers": 0,
            "size": 0,
            "default_branch": "main",
            "open_issues": open_issues,
            "open_issues_count": open_issues,
            "has_issues": repo.has_issues,
            "has_projects": False,
            "has_wiki": False,
            "has_pages": False,
            "has_downloads": True,
            "archived": False,
            "disabled": False,
            "visibility": "private" if repo.private else "public",
            "license": None,
            "pushed_at": repo.created_at,
            "created_at": repo.created_at,
            "updated_at": updated_at,
            "permissions": {"admin": False, "push": True, "pull": True},
        }
