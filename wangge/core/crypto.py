"""Encryption at rest and keyed hashes for personal data (DESIGN.md §5).

One 256-bit master key comes from WANGGE_DATA_KEY (base64) or from a key file
made at first run (var/data_key, mode 0600, never committed). Two keys are
derived from it with HKDF: one for AES-GCM encryption of values, one for the
HMAC that lets us find a record by exact value without decrypting every row.
"""
import base64
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "v1:"  # lets a later key or algorithm change coexist with old rows


def _master_key() -> bytes:
    if os.environ.get("WANGGE_DATA_KEY"):
        key = base64.b64decode(os.environ["WANGGE_DATA_KEY"])
    else:
        path = settings.VAR_DIR / "data_key"
        if not path.exists():
            _create_key_file(path)
        key = base64.b64decode(path.read_bytes())
    if len(key) != 32:
        raise ValueError("WANGGE_DATA_KEY must be 32 bytes, base64-encoded")
    return key


def _create_key_file(path) -> None:
    """Write a new key atomically; if another process got there first, keep theirs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(base64.b64encode(os.urandom(32)))
    try:
        os.link(tmp, path)  # fails if the key exists: never overwrite a key data was encrypted with
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)


def _derive(purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"wangge:" + purpose).derive(_master_key())


@lru_cache(maxsize=1)
def _keys() -> tuple[AESGCM, bytes]:
    return AESGCM(_derive(b"encrypt")), _derive(b"lookup")


def encrypt(plaintext: str) -> str:
    aead, _ = _keys()
    nonce = os.urandom(12)
    sealed = aead.encrypt(nonce, plaintext.encode(), None)
    return PREFIX + base64.b64encode(nonce + sealed).decode()


def encrypt_many(plaintexts: list[str]) -> list[str]:
    """encrypt() of each, with the nonces drawn in one call: an import encrypts millions."""
    aead, _ = _keys()
    nonces = os.urandom(12 * len(plaintexts))
    seal, encode = aead.encrypt, base64.b64encode
    out = []
    for k, plaintext in enumerate(plaintexts):
        nonce = nonces[12 * k:12 * k + 12]
        out.append(PREFIX + encode(nonce + seal(nonce, plaintext.encode(), None)).decode())
    return out


def decrypt(token: str) -> str:
    if not token.startswith(PREFIX):
        raise ValueError("not an encrypted value")
    raw = base64.b64decode(token[len(PREFIX):])
    aead, _ = _keys()
    return aead.decrypt(raw[:12], raw[12:], None).decode()


def lookup_hash(value: str) -> str:
    """A keyed hash of a normalised value, for exact-match search of encrypted columns."""
    _, key = _keys()
    return hmac.digest(key, value.strip().upper().encode(), "sha256").hex()  # one-shot C HMAC: imports hash millions


def lookup_hashes(values: list[str]) -> list[str]:
    """lookup_hash() of each."""
    _, key = _keys()
    digest = hmac.digest
    return [digest(key, value.strip().upper().encode(), "sha256").hex() for value in values]


def reset_keys() -> None:
    """Forget cached keys (tests that change the key)."""
    _keys.cache_clear()
