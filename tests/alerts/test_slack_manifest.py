"""The Slack app manifest asks for exactly the scopes the code needs, and the setup guide it names exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from listener.config.yamlio import parse_yaml

ROOT = Path(__file__).resolve().parents[2]
MANIFEST_TEXT = (ROOT / "slack-app-manifest.yaml").read_text(encoding="utf-8")
MANIFEST = parse_yaml(MANIFEST_TEXT, "slack-app-manifest.yaml").data
# Slack Web API method (as slack_sdk names it) -> the bot scopes Slack requires for it (api.slack.com/methods)
METHOD_SCOPES = {
    "chat_postMessage": {"chat:write"},
    "chat_update": {"chat:write"},
    "chat_postEphemeral": {"chat:write"},
    "conversations_history": {"channels:history", "groups:history"},
    "conversations_replies": {"channels:history", "groups:history"},
    "conversations_list": {"channels:read", "groups:read"},
    "files_upload_v2": {"files:write"},
    # `fangsiang check --slack`: the token, the channels, the mentions and the app token
    "auth_test": set(),
    "conversations_info": {"channels:read", "groups:read"},
    "users_info": {"users:read"},
    "usergroups_list": {"usergroups:read"},
    "apps_connections_open": set(),  # the app-level token (connections:write), not a bot scope
}
# needed without a method of its own: chat.postMessage into public channels the bot was never invited to
IMPLIED = {"chat:write.public"}


def _slack_methods_called() -> set[str]:
    called = set()
    for path in (ROOT / "alerts").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and isinstance(node.func.value, (ast.Attribute, ast.Name)) \
                    and getattr(node.func.value, "attr", getattr(node.func.value, "id", "")) == "client":
                called.add(node.func.attr)
    return called


def test_every_slack_method_the_code_calls_is_known_here() -> None:
    assert _slack_methods_called() <= set(METHOD_SCOPES), "add the new method's scopes to METHOD_SCOPES"


def test_manifest_asks_for_exactly_the_scopes_the_code_uses() -> None:
    needed = set().union(*(METHOD_SCOPES[m] for m in _slack_methods_called())) | IMPLIED
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == needed


def test_readme_and_setup_guide_list_the_manifest_scopes() -> None:
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    for doc in ("README.md", "alerts/SLACK_SETUP.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        first_cells = re.findall(r"^\| (`[^|]+`) \|", text, flags=re.M)  # a scopes table: | `a:b`, `c:d` | why |
        listed = {scope for cell in first_cells for scope in re.findall(r"`([a-z]+:[a-z.]+)`", cell)}
        assert listed == scopes, doc


def test_files_the_manifest_points_to_exist() -> None:
    for name in re.findall(r"See ([\w/]+\.md)", MANIFEST_TEXT):
        assert (ROOT / name).is_file(), name
