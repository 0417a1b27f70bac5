"""The locks, the image, Docker Compose and the README's commands agree with each other.

No container runtime runs where the tests run, so what can be checked without one is checked
here: what each file declares, installs and names.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
DEV_TOOLS = {"pytest", "pytest-xdist", "pytest-timeout", "hypothesis", "ruff", "mypy", "uv"}


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def locked(name: str) -> dict[str, tuple[str, int]]:
    """Each package in a lock file: its pinned version and how many hashes it carries."""
    text = (ROOT / name).read_text()
    pins: dict[str, tuple[str, int]] = {}
    for entry in re.split(r"\n(?=\S)", text):
        if not entry.strip() or entry.startswith("#"):
            continue
        requirement = entry.split("\\", 1)[0].strip()
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==(\S+)(\s*;.*)?", requirement)
        assert match, f"{name}: not an exact pin: {requirement!r}"
        pins[canonicalize_name(match[1])] = (match[2], entry.count("--hash=sha256:"))
    return pins


def sh_commands(block: str) -> list[str]:
    lines = (line.split(" #", 1)[0].strip() for line in block.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"^#+ {re.escape(title)}\n(.*?)(?=^#+ |\Z)", text, re.S | re.M)
    assert match, f"README has no section {title!r}"
    return match[1]


def sh_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, re.S)


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


@pytest.mark.parametrize("lock", ["requirements.txt", "requirements-dev.txt"])
def test_every_locked_package_is_an_exact_pin_with_hashes(lock: str) -> None:
    pins = locked(lock)

    assert pins
    assert {name for name, (_, hashes) in pins.items() if hashes == 0} == set()


def test_the_runtime_lock_pins_every_dependency_within_its_declared_range() -> None:
    pins = locked("requirements.txt")

    for declared in map(Requirement, project()["dependencies"]):
        name = canonicalize_name(declared.name)
        assert name in pins, f"{name} is declared in pyproject.toml but not locked"
        assert declared.specifier.contains(pins[name][0]), (
            f"{name}=={pins[name][0]} is outside {declared.specifier}: lock again"
        )


def test_the_runtime_lock_holds_no_development_tool() -> None:
    assert DEV_TOOLS & set(locked("requirements.txt")) == set()


def test_the_dev_lock_holds_the_runtime_lock_at_the_same_versions_and_every_tool() -> None:
    runtime = {name: version for name, (version, _) in locked("requirements.txt").items()}
    dev = {name: version for name, (version, _) in locked("requirements-dev.txt").items()}
    extra = {
        canonicalize_name(Requirement(r).name) for r in project()["optional-dependencies"]["dev"]
    }

    assert {name: dev.get(name) for name in runtime} == runtime
    assert DEV_TOOLS - extra == set()
    assert extra <= set(dev)


def test_a_hung_test_fails_on_a_timeout_with_its_stack() -> None:
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]

    # Long enough for the slowest test on a loaded 2-core machine; short beside CI's 90 minutes.
    assert 60 <= options["timeout"] <= 300
    assert options["timeout_method"] == "thread"


def test_the_image_installs_only_the_runtime_lock_with_its_hashes_checked() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    installs = [
        shlex.split(line.split(None, 1)[1])
        for line in dockerfile.splitlines()
        if line.startswith("RUN") and "pip install" in line
    ]

    assert installs
    for args in installs:
        files = [args[i + 1] for i, arg in enumerate(args) if arg in ("-r", "--requirement")]
        if files:
            assert [Path(f).name for f in files] == ["requirements.txt"]
            assert "--require-hashes" in args
        else:
            # Baton itself, whose dependencies are exactly the lock installed before it.
            assert "--no-deps" in args
    assert "requirements-dev" not in dockerfile


def test_the_image_runs_baton_serve_as_an_unprivileged_user_with_a_health_check() -> None:
    lines = (ROOT / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
    final_stage = lines[max(i for i, line in enumerate(lines) if line.startswith("FROM")) :]
    users = [line.split()[1] for line in final_stage if line.startswith("USER")]
    (healthcheck,) = [line for line in final_stage if line.startswith("HEALTHCHECK")]

    assert users and users[-1] not in {"root", "0"}
    assert "/healthz" in healthcheck
    assert final_stage[-1] == 'CMD ["baton", "serve"]'


def test_the_build_context_leaves_out_secrets_local_state_and_history() -> None:
    patterns = set(sh_commands((ROOT / ".dockerignore").read_text()))

    assert {".env", ".venv", ".git", "*.db"} <= patterns


def test_compose_runs_the_migration_once_before_baton() -> None:
    services = compose()["services"]
    migrate = services["migrate"]

    assert set(services) == {"postgres", "migrate", "baton"}
    assert migrate["command"] == ["baton", "db", "upgrade"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["baton"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }


def test_compose_runs_baton_on_the_postgres_service_with_its_secrets_config_and_health() -> None:
    services = compose()["services"]

    for name in ("migrate", "baton"):
        service = services[name]
        assert service["env_file"] == ".env"
        assert re.match(
            r"postgresql\+psycopg://[^@]+@postgres:5432/", service["environment"]["DATABASE_URL"]
        )
        config_mounts = [v for v in service["volumes"] if v.split(":")[0] in ("./config", "config")]
        assert config_mounts, f"{name} has no mounted config"
        assert service["environment"]["BATON_CONFIG"].startswith(config_mounts[0].split(":")[1])
    assert services["baton"]["command"] == ["baton", "serve"]
    assert "/healthz" in " ".join(services["baton"]["healthcheck"]["test"])
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])


def test_the_readme_runs_docker_compose_in_three_commands_on_services_that_exist() -> None:
    (block,) = sh_blocks(readme_section("Run with Docker Compose"))
    commands = sh_commands(block)
    services = set(compose()["services"])
    named = []
    for command in commands:
        args = shlex.split(command)
        if args[:2] == ["docker", "compose"] and args[2] in ("exec", "logs", "restart", "run"):
            named.append(next(a for a in args[3:] if not a.startswith("-")))

    assert len(commands) == 3
    assert commands[0] == "cp .env.example .env"
    assert any(shlex.split(c)[:3] == ["docker", "compose", "up"] for c in commands)
    assert named and set(named) <= services


def test_the_readme_opens_with_the_demo_and_the_test_commands_from_the_dev_lock() -> None:
    text = (ROOT / "README.md").read_text()
    demo, tests = (sh_commands(block) for block in sh_blocks(text)[:2])

    assert len(demo) == 1 and demo[0].endswith("&& .venv/bin/baton demo")
    assert len(tests) == 1 and tests[0].endswith("&& .venv/bin/pytest -n 2 -p no:cacheprovider")
    for command in (demo[0], tests[0]):
        assert "pip install -q -r requirements-dev.txt" in command


def test_ci_runs_the_readmes_test_command_step_by_step_after_the_linter() -> None:
    text = (ROOT / "README.md").read_text()
    steps = sh_commands(sh_blocks(text)[1])[0].split(" && ")
    ci = sh_commands((ROOT / ".ci" / "run").read_text())

    positions = [ci.index(step) for step in steps]
    assert positions == sorted(positions)
    assert ci[-1] == steps[-1]
    assert ci.index(".venv/bin/ruff check .") < positions[-1]
    assert "export BATON_TEST_REQUIRE_POSTGRES=1" in ci
