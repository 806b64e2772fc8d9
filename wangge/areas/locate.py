"""locate(point) -> grid. (Placeholder interface; filled in by the locate work.)"""


class CRSError(ValueError):
    pass


def invalidate():
    pass
