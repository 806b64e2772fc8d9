"""Model fields for personal data: encrypted at rest, plain in Python."""
from django.db import models

from wangge.core import crypto


class EncryptedCharField(models.TextField):
    """Stores AES-GCM ciphertext; reads back the plain value. Not searchable by
    content: pair it with a keyed-hash column when records must be found by value."""

    description = "Encrypted text"

    def __init__(self, *args, max_plain_length: int = 64, **kwargs):
        self.max_plain_length = max_plain_length
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.max_plain_length != 64:
            kwargs["max_plain_length"] = self.max_plain_length
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return crypto.encrypt(value)

    def get_lookup(self, lookup_name):
        # Ciphertext is randomised: the column can only be asked whether it is empty.
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        if lookup_name == "exact":
            return EmptyOnlyExact
        raise TypeError(f"encrypted fields cannot be searched with '{lookup_name}'; use the keyed-hash column")


class EmptyOnlyExact(models.lookups.Exact):
    def get_prep_lookup(self):
        if self.rhs not in ("", None):
            raise TypeError("encrypted fields can only be compared with ''; use the keyed-hash column")
        return super().get_prep_lookup()
