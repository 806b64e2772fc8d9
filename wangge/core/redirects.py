"""Where a page sends the user after a posted form: the `next` it was given, if that stays on this site."""
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, default: str) -> str:
    """The posted (or queried) `next` when it points at this host (and scheme), else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def safe_back(request, param: str = "from") -> str:
    """The list a page was opened from (`?from=/cases/?state=handled&after=…`), when it is a path on this site;
    "" otherwise. Pages show it as "back to the list", and keep it through their own forms."""
    target = request.POST.get(param) or request.GET.get(param) or ""
    if target.startswith("/") and not target.startswith("//") and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return ""
