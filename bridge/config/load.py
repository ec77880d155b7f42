"""Loading the config file: finding it, ``${VAR}`` interpolation, and errors a person can act on.

The schema itself lives in :mod:`bridge.config.schema`. Everything that can go
wrong while loading ends as one :class:`~bridge.errors.ConfigError` naming the
file, the key path (``links.acme.mirror.sections.Design.access``) and what was
expected; credential values never appear in it.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from dotenv import dotenv_values
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bridge import secrets
from bridge.config.schema import Config
from bridge.config.yaml_strict import parse_yaml
from bridge.errors import ConfigError

DEFAULT_NAME = "pm-bridge.yaml"
ENV_VAR = "PM_BRIDGE_CONFIG"
CREATE_HINT = "create one with: cp config.example.yaml pm-bridge.yaml (then fill in your tokens), or pass --config FILE"
DIRECTORY_HINT = f"name the YAML file itself, e.g. --config path/to/{DEFAULT_NAME}"

# ${VAR} or ${VAR:-default}; $${...} is a literal "${...}".
_REFERENCE = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def find_config(path: Path | None = None) -> Path:
    """The config file to use: ``path``, else $PM_BRIDGE_CONFIG, else ./pm-bridge.yaml."""
    if path is not None:
        if path.is_dir():
            raise ConfigError(f"config file {path} is a directory", hint=DIRECTORY_HINT)
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist", hint=CREATE_HINT)
        return path
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        candidate = Path(from_env)
        if candidate.is_dir():
            raise ConfigError(f"${ENV_VAR} names {candidate}, which is a directory", hint=DIRECTORY_HINT)
        if not candidate.is_file():
            raise ConfigError(f"${ENV_VAR} names {candidate}, which does not exist", hint=CREATE_HINT)
        return candidate
    candidate = Path.cwd() / DEFAULT_NAME
    if candidate.is_file():
        return candidate
    raise ConfigError(f"no config file given and no ./{DEFAULT_NAME} found (nor ${ENV_VAR} set)", hint=CREATE_HINT)


def load_config(path: Path | None = None) -> Config:
    """Find, read, interpolate and validate the config; a relative SQLite path is made relative to the file."""
    file = find_config(path)
    raw = read_yaml(file)
    variables = environment(file)
    data = interpolate(raw, variables, file)
    config = validate(data, file)
    register_secrets(config)
    return config.model_copy(update={"state": resolve_state_url(config.state, file.parent)})


def read_yaml(file: Path) -> dict[str, Any]:
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {file}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {file} is not UTF-8 text") from None
    try:
        data = parse_yaml(text, file)
    except yaml.YAMLError as exc:
        # Only the position and the parser's complaint: the snippet of the line may hold a token.
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "it cannot be parsed"
        hint = "check the indentation and quoting around that line"
        raise ConfigError(f"{file}{where}: invalid YAML: {problem}", hint=hint) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: expected a mapping at the top (keys like state, connections, links), got {_kind(data)}")
    return data


def environment(file: Path) -> dict[str, str]:
    """Variables for interpolation: a ``.env`` next to the config, overridden by the real environment."""
    variables: dict[str, str] = {}
    dotenv = file.parent / ".env"
    if dotenv.is_file():
        variables.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
    variables.update(os.environ)
    return variables


def interpolate(value: Any, variables: Mapping[str, str], file: Path, path: tuple[str | int, ...] = ()) -> Any:
    """Replace ``${VAR}`` / ``${VAR:-default}`` in every string value, walking the parsed YAML."""
    if isinstance(value, dict):
        return {key: interpolate(item, variables, file, (*path, str(key))) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, variables, file, (*path, index)) for index, item in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value

    def substitute(match: re.Match[str]) -> str:
        escaped, name, default = match.group(1), match.group(2), match.group(3)
        if escaped:
            return match.group(0)[1:]
        found = variables.get(name)
        if default is not None and not found:
            return default
        if found is None:
            raise ConfigError(
                f"{file}: {key_path(path)} uses ${{{name}}}, but the environment variable {name} is not set",
                hint=f"export {name}=... or add {name}=... to {file.parent / '.env'}",
            )
        return found

    return _REFERENCE.sub(substitute, value)


def validate(data: dict[str, Any], file: Path) -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = [describe(error) for error in exc.errors(include_url=False)]
    problems = [secrets.redact(p) for p in dict.fromkeys(problems)]
    if len(problems) == 1:
        raise ConfigError(f"{file}: {problems[0]}") from None
    listed = "\n".join(f"  - {p}" for p in problems)
    raise ConfigError(f"{file} has {len(problems)} problems:\n{listed}") from None


def register_secrets(config: Config) -> None:
    """Let :func:`bridge.secrets.redact` scrub every credential of this config from logs and errors."""
    for connection in config.connections.values():
        for secret in (connection.token, connection.key, connection.webhook_secret):
            if secret is not None:
                secrets.register(secret.get_secret_value())
    alerts = config.alerts  # the SMTP password, and the incoming webhook's URL (which is its own credential)
    for secret in (alerts.email.password if alerts.email else None, alerts.webhook.url if alerts.webhook else None):
        if secret is not None:
            secrets.register(secret.get_secret_value())


def resolve_state_url(url: str, folder: Path) -> str:
    """``sqlite:///state.db`` means next to the config file, not wherever the command runs."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return url
    database = url[len(prefix):]
    if not database or database == ":memory:" or database.startswith(("/", "file:")):
        return url
    path = Path(database).expanduser()
    if not path.is_absolute():
        path = folder.resolve() / path
    return prefix + str(path)


# Keys whose values are credentials (or may embed one): never echoed back.
SECRET_KEYS = frozenset({"token", "key", "webhook_secret", "status_token", "state", "password", "url"})


def key_path(loc: tuple[str | int, ...]) -> str:
    """``('links', 'acme', 'mirror', 'sections', 'Design', 'access')`` -> ``links.acme.mirror.sections.Design.access``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = f'"{part}"' if "." in part or not part else part
            text += f".{name}" if text else name
    return text or "(top level)"


def describe(error: ErrorDetails) -> str:
    """One pydantic error as ``key.path: what is expected[, got X]``."""
    loc = tuple(error["loc"])
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "value_error" and not loc:
        return str(ctx.get("error", error["msg"]))  # whole-config checks already name their key path
    if kind == "missing":
        return f"{key_path(loc)}: this key is required"
    if kind == "extra_forbidden":
        known = _known_keys(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        maybe = f" (did you mean {close[0]!r}?)" if close else (f" (known keys: {', '.join(known)})" if known else "")
        return f"{key_path(loc)}: unknown key{maybe}"
    if kind == "value_error":
        expected = str(ctx.get("error", error["msg"]))
    elif kind == "literal_error":
        expected = f"expected one of {ctx.get('expected', '')}"
    else:
        expected = _EXPECTED.get(kind) or _bounds(kind, ctx) or error["msg"].replace("Input should be", "expected")
    secret = any(isinstance(part, str) and part in SECRET_KEYS for part in loc)
    got = "" if secret or kind == "value_error" else f", got {_shown(error.get('input'))}"
    return f"{key_path(loc)}: {expected}{got}"


_EXPECTED = {
    "string_type": "expected text",
    "int_parsing": "expected a whole number",
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
    "dict_type": "expected a mapping (key: value lines)",
    "model_type": "expected a mapping (key: value lines)",
    "model_attributes_type": "expected a mapping (key: value lines)",
    "list_type": "expected a list",
}

_BOUNDS = {"greater_than": ("gt", "greater than"), "greater_than_equal": ("ge", "at least"),
           "less_than": ("lt", "less than"), "less_than_equal": ("le", "at most")}


def _bounds(kind: str, ctx: dict[str, Any]) -> str | None:
    if kind not in _BOUNDS:
        return None
    name, words = _BOUNDS[kind]
    limit = ctx.get(name)
    if isinstance(limit, float) and limit.is_integer():
        limit = int(limit)
    return f"expected a number {words} {limit}"


def _shown(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (an empty value)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _known_keys(loc: tuple[str | int, ...]) -> list[str]:
    """The keys the schema allows at ``loc`` (for "did you mean"), walking models and dicts."""
    model: type[BaseModel] | None = Config
    expect_key = False  # inside a dict[str, Model]: the next part is a free-form name
    for part in loc:
        if model is None:
            return []
        if expect_key:
            expect_key = False
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return []
        model, expect_key = _model_of(field.annotation)
    return sorted(model.model_fields) if model is not None and not expect_key else []


def _model_of(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The pydantic model inside an annotation (``X``, ``X | None``, ``dict[str, X]``) and whether a dict wraps it."""
    args = getattr(annotation, "__args__", None)
    origin = getattr(annotation, "__origin__", None)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    if origin is dict and args:
        inner, _ = _model_of(args[1])
        return inner, True
    for arg in args or ():
        inner, wrapped = _model_of(arg)
        if inner is not None:
            return inner, wrapped
    return None, False


_KINDS = {list: "a list", str: "text", int: "a number", float: "a number", bool: "true/false"}


def _kind(value: object) -> str:
    return _KINDS.get(type(value), type(value).__name__)
