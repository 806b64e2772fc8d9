"""The MQTT broker's password and ACL files, written from the device registry (`python -m wangge mqtt_acl`).

Each device with a token connects with its code as user name and its token as password, and may publish only to
its own topic, `<root>/devices/<code>/events`; the ingest user (the user name and password in WANGGE_MQTT_URL)
may subscribe to every device's topic (through the share group). Retired devices and devices without a token
are left out, so the broker refuses them. The files are Mosquitto's (password_file with PBKDF2-SHA512 "$7$"
lines, as `mosquitto_passwd` writes them; acl_file); EMQX and others read the same ACL rules from their own
configuration (docs/api/devices.md).
"""
import base64
import hashlib
import os
import secrets
import tempfile
from pathlib import Path

from wangge.sensing.models import Device, DeviceState

ITERATIONS = 101  # mosquitto_passwd's own
SAFE_CODE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def mosquitto_hash(password: str, *, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """Mosquitto 2's password hash: $7$iterations$base64(salt)$base64(PBKDF2-HMAC-SHA512, 64 bytes)."""
    salt = salt if salt is not None else secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, 64)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def _safe(code: str) -> bool:
    """A code usable as a user name and in a topic (no wildcard, separator, colon or space)."""
    return bool(code) and set(code) <= SAFE_CODE


def devices():
    return (Device.objects.exclude(state=DeviceState.RETIRED).exclude(broker_hash="")
            .order_by("code").values_list("code", "broker_hash"))


def password_text(ingest_user: str | None, ingest_password: str | None) -> str:
    lines = []
    if ingest_user and ingest_password:
        lines.append(f"{ingest_user}:{mosquitto_hash(ingest_password)}")
    lines += [f"{code}:{hashed}" for code, hashed in devices() if _safe(code)]
    return "\n".join(lines) + "\n"


def acl_text(ingest_user: str | None, root: str) -> str:
    lines = ["# Written by `python -m wangge mqtt_acl` from the device registry: do not edit by hand.", ""]
    if ingest_user:
        lines += [f"user {ingest_user}", f"topic read {root}/devices/+/events", ""]
    for code, _hashed in devices():
        if _safe(code):
            lines += [f"user {code}", f"topic write {root}/devices/{code}/events", ""]
    return "\n".join(lines)


def write_atomically(path: Path, text: str, mode: int = 0o640) -> None:
    """The broker never reads a half-written file: a temporary file beside it, renamed over it."""
    path = Path(path)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(name, mode)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
