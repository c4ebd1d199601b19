from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qurb.reports.models import ApiKey
from qurb.reports.services import api_key_create, api_key_revoke


class Command(BaseCommand):
    help = (
        "Manage partner API keys: create NAME (prints the key alone on the last line), "
        "list, revoke PREFIX."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("name", nargs="?", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        action, name = options["action"], options["name"]
        if action == "create":
            if not name.strip():
                raise CommandError("Give the partner's name: qurb apikey create NAME")
            record, key = api_key_create(name=name)
            self.stdout.write(
                f"Created key {record.prefix} for {record.name}. It is shown only once:"
            )
            self.stdout.write(key)
        elif action == "list":
            for row in ApiKey.objects.order_by("created_at"):
                state = "active" if row.is_active else "revoked"
                self.stdout.write(f"{row.prefix}\t{state}\t{row.name}")
        else:
            found = ApiKey.objects.filter(prefix=name, is_active=True).first()
            if found is None:
                raise CommandError(f"No active key with prefix {name!r}.")
            api_key_revoke(api_key=found)
            self.stdout.write(f"Revoked {found.prefix}.")
