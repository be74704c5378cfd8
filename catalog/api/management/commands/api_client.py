"""`catedra api_client --school SLUG VERB ...`: the school's API clients from the command line,
as the "Acces prin API" page manages them, audited for the named admin or director.

    list                                        clients, their scopes and state
    create --as USER --name NAME --scope S ...  [--network CIDR ...] [--expires DAY] [--rate N]
    rotate --as USER --client NAME              [--grace-hours H]   a new key (printed once)
    revoke --as USER --client NAME              [--reason TEXT]

Exit status 1 when the service refuses (its message), 2 on bad arguments."""

from django.core.management.base import CommandError

from accounts.models import User
from catalog.api import clients
from catalog.api.models import ApiClient, Scope
from catedra.commands import BAD_ARGUMENTS, SchoolCommand, day_argument

VERBS = ("list", "create", "rotate", "revoke")


class Command(SchoolCommand):
    help = "List, create, rotate the key of, or revoke the school's API clients."

    def add_school_arguments(self, parser):
        parser.add_argument("verb", choices=VERBS)
        parser.add_argument("--as", dest="username", metavar="USER", help="the admin or director it is done for")
        parser.add_argument("--name", help="the new client's name (create)")
        parser.add_argument("--client", metavar="NAME", help="the client (rotate, revoke)")
        parser.add_argument("--scope", action="append", default=[], choices=Scope.values, help="repeatable (create)")
        parser.add_argument("--network", action="append", default=[], metavar="CIDR", help="repeatable (create)")
        parser.add_argument("--expires", metavar="DAY", help="the last day the key works (create)")
        parser.add_argument("--rate", type=int, default=600, help="requests per minute (create; default 600)")
        parser.add_argument("--grace-hours", type=int, default=0, help="the old key keeps working (rotate)")
        parser.add_argument("--reason", default="", help="why (revoke)")

    def prepare(self, options):
        options["expires"] = day_argument(options["expires"], "--expires") if options["expires"] else None
        needed = {"create": ("username", "name"), "rotate": ("username", "client"), "revoke": ("username", "client")}
        for name in needed.get(options["verb"], ()):
            if not options[name]:
                flag = "--as" if name == "username" else f"--{name}"
                raise CommandError(f"{options['verb']} needs {flag}.", returncode=BAD_ARGUMENTS)

    def handle_school(self, school, options):
        verb = options["verb"]
        if verb == "list":
            for client in ApiClient.objects.all():
                state = "revoked" if client.revoked_at else "expired" if client.expired else "live"
                self.stdout.write(f"{client.name}\t{state}\t{','.join(client.scopes)}\t{','.join(client.networks)}")
            return
        actor = User.objects.filter(username=options["username"]).first()
        if actor is None:
            raise CommandError(f"No user {options['username']!r} in this school.", returncode=BAD_ARGUMENTS)
        if verb == "create":
            issued = clients.client_create(
                actor=actor, name=options["name"], scopes=options["scope"], networks=options["network"],
                expires_on=options["expires"], rate_per_minute=options["rate"],
            )  # fmt: skip
            self.stdout.write(issued.key)
            return
        client = ApiClient.objects.filter(name=options["client"]).first()
        if client is None:
            raise CommandError(f"No API client {options['client']!r} in this school.", returncode=BAD_ARGUMENTS)
        if verb == "rotate":
            self.stdout.write(clients.key_rotate(actor=actor, client=client, grace_hours=options["grace_hours"]).key)
        else:
            clients.client_revoke(actor=actor, client=client, reason=options["reason"])
            self.stdout.write(f"{client.name}: revoked")
