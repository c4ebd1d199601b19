import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def test_production_settings_pass_the_deploy_check(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "QURB_HTTPS": "true",
        "QURB_DEBUG": "false",
        "QURB_SECRET_KEY": "x" * 20 + "-production-secret-key-with-enough-entropy-0123456789",
        "QURB_ALLOWED_HOSTS": "qurb.example.org",
        "QURB_EMAIL_HOST": "smtp.example.org",
        "QURB_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "DEBUG"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_demo_settings_keep_a_generated_secret_outside_the_repository(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "QURB_SECRET_KEY"}
    env["QURB_DATA_DIR"] = str(tmp_path)
    code = "from django.conf import settings; print(len(settings.SECRET_KEY))"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            (
                "import django, os;"
                " os.environ['DJANGO_SETTINGS_MODULE'] = 'qurb.config.settings';"
                f" django.setup(); {code}"
            ),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(result.stdout) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.django_db
def test_models_and_migrations_agree() -> None:
    """Every model change has its migration (and model state is the same on every run)."""
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)
