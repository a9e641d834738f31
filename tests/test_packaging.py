"""What ships to run fangsiang as a service is consistent with the code: the systemd unit, the Dockerfile and
the compose file (rendered with its variables, not run: CI has no docker), and the LICENSE the package names."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

from listener.cli import _parser
from listener.config import parse_config_text
from listener.config.schema import MetricsConfig
from listener.config.yamlio import parse_yaml

ROOT = Path(__file__).resolve().parents[1]


def _unit() -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)  # Environment= repeats
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(ROOT / "packaging" / "fangsiang.service", encoding="utf-8")
    return unit


def test_systemd_unit_runs_the_daemon_hardened() -> None:
    service = _unit()["Service"]
    command = shlex.split(service["ExecStart"])
    assert command[0].endswith("/fangsiang") and command[-1] == "run"
    _parser().parse_args(command[1:])  # flags the CLI really has
    assert service.get("DynamicUser") == "yes" or service.get("User")
    for key, value in {"ProtectSystem": "strict", "ProtectHome": "yes", "NoNewPrivileges": "yes",
                       "PrivateTmp": "yes", "KillSignal": "SIGTERM", "CapabilityBoundingSet": ""}.items():
        assert service.get(key) == value, key
    assert _unit()["Install"]["WantedBy"] == "multi-user.target"


def test_systemd_unit_keeps_the_database_where_it_may_write() -> None:
    text = (ROOT / "packaging" / "fangsiang.service").read_text(encoding="utf-8")
    state = re.search(r"^StateDirectory=(\S+)", text, flags=re.M)
    url = re.search(r"^Environment=FANGSIANG_STORAGE__URL=(\S+)", text, flags=re.M)
    assert state and url and url[1].startswith(f"sqlite:////var/lib/{state[1]}/")


def _rendered_compose(env: dict[str, str]) -> dict:
    """compose.yaml with ${VAR:-default} substituted the way docker compose does it."""
    text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    text = re.sub(r"\$\{(\w+)(?::-([^}]*))?\}", lambda m: env.get(m[1]) or (m[2] or ""), text)
    return parse_yaml(text, "compose.yaml").data


def test_compose_builds_the_dockerfile_and_points_storage_at_its_postgresql() -> None:
    services = _rendered_compose({"POSTGRES_PASSWORD": "s3cret"})["services"]
    app, db = services["fangsiang"], services["db"]
    assert (ROOT / app["build"]["context"] / app["build"]["dockerfile"]).resolve() == ROOT / "Dockerfile"
    assert db["image"].startswith("postgres:") and "db" in app["depends_on"]
    assert db["environment"]["POSTGRES_PASSWORD"] == "s3cret"
    url = app["environment"]["FANGSIANG_STORAGE__URL"]
    user, database = db["environment"]["POSTGRES_USER"], db["environment"]["POSTGRES_DB"]
    assert url == f"postgresql+psycopg://{user}:s3cret@db:5432/{database}"
    loaded = parse_config_text(f"storage: {{url: '{url}'}}")  # a URL the config accepts as is
    assert loaded.storage_url == url
    port = MetricsConfig().port
    assert f"127.0.0.1:{port}:{port}" in app["ports"]
    for mount in app["volumes"]:
        assert (ROOT / mount.split(":")[0]).exists(), mount


def test_dockerfile_installs_cpu_torch_copies_what_exists_and_runs_the_daemon() -> None:
    lines = (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
    assert any("torch==" in line and "--index-url https://download.pytorch.org/whl/cpu" in line for line in lines)
    for line in (line for line in lines if line.startswith("COPY ")):
        for source in line.split()[1:-1]:
            assert (ROOT / source).exists(), line
    assert 'ENTRYPOINT ["fangsiang"]' in lines and 'CMD ["run"]' in lines
    assert f"EXPOSE {MetricsConfig().port}" in lines
    assert any("/readyz" in line for line in lines)


def test_license_file_is_the_apache_license_the_package_declares() -> None:
    assert 'license = "Apache-2.0"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
