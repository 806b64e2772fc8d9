from django.core.management.base import BaseCommand, CommandError

from wangge.core.commands import acting_user
from wangge.core.services import OperationError
from wangge.sensing.models import Device, DeviceState
from wangge.sensing.services import do_issue_device_token


class Command(BaseCommand):
    help = ("Issue a new credential for device CODE and print it (shown once, stored as an HMAC): the HTTP bearer "
            "token and the MQTT password; the old one stops working. 为设备签发接入令牌。")

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("--as", dest="username", help="the user to record as acting (audit log)")

    def handle(self, code, username, **options):
        device = Device.objects.filter(code=code).first()
        if device is None:
            raise CommandError(f"no such device: {code} / 设备不存在")
        if device.state == DeviceState.RETIRED:
            raise CommandError(f"device {code} is retired / 设备已停用")
        try:
            raw = do_issue_device_token(acting_user(username), device)
        except OperationError as exc:
            raise CommandError(exc.message)
        self.stdout.write(raw)
