from django.core.management.base import BaseCommand, CommandError

from wangge.core.models import User
from wangge.core.services import OperationError, do_create_token


class Command(BaseCommand):
    help = "Issue an API token for USERNAME and print it (shown once, stored hashed). 为用户签发 API 令牌。"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="what the token is for")

    def handle(self, username, name, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"no such user: {username} / 用户不存在")
        try:
            _, raw = do_create_token(None, user, name=name)
        except OperationError as exc:
            raise CommandError(exc.message)
        self.stdout.write(raw)
