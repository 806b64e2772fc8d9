"""Personal data shown masked by default (DESIGN.md §5)."""


def mask_phone(phone: str) -> str:
    """13812345678 -> 138****5678; short or empty values are masked whole."""
    phone = (phone or "").strip()
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_id_number(number: str) -> str:
    """510107199001011234 -> 510107********1234."""
    number = (number or "").strip()
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]
