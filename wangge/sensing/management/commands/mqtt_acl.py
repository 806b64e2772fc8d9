"""`python -m wangge mqtt_acl --passwords FILE --acl FILE`: the broker's password and ACL files from the registry."""
from pathlib import Path

from django.core.management.base import BaseCommand

from wangge.sensing.broker_files import acl_text, password_text, write_atomically
from wangge.sensing.mqtt import broker, topic_root


class Command(BaseCommand):
    help = ("Write Mosquitto's password file and ACL file from the device registry: each device may publish only "
            "to <root>/devices/<its code>/events, the ingest user (WANGGE_MQTT_URL) may subscribe. Reload the "
            "broker afterwards (SIGHUP). 生成 MQTT 账号与权限文件。")

    def add_arguments(self, parser):
        parser.add_argument("--passwords", default="var/mosquitto/passwords", help="password_file to write")
        parser.add_argument("--acl", default="var/mosquitto/acl", help="acl_file to write")
        parser.add_argument("--url", help="the ingest user's broker URL (default: WANGGE_MQTT_URL)")

    def handle(self, passwords, acl, url, **options):
        ingest = broker(url)
        root = topic_root()
        for path in (Path(passwords), Path(acl)):
            path.parent.mkdir(parents=True, exist_ok=True)
        password_file = password_text(ingest.username, ingest.password)
        write_atomically(Path(passwords), password_file)
        write_atomically(Path(acl), acl_text(ingest.username, root))
        count = password_file.count("\n") - (1 if ingest.username and ingest.password else 0)
        if not ingest.username:
            self.stderr.write("WANGGE_MQTT_URL names no user: the ingest subscriber gets no account "
                              "(mqtt://user:password@host:1883)")
        self.stdout.write(f"{count} devices; wrote {passwords} and {acl}. In mosquitto.conf: "
                          f"allow_anonymous false, password_file {Path(passwords).resolve()}, "
                          f"acl_file {Path(acl).resolve()}; then reload (kill -HUP <mosquitto pid>).")
