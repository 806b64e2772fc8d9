from wangge.core.roles import Role
from wangge.core.tests.scope_matrix import Row

ROWS = [
    Row("api: me", "/api/v1/me"),
    Row("api: audit log", "/api/v1/audit?limit=1000", roles=(Role.ADMINISTRATOR,), refused="empty"),
]
ROWS.append(Row("api: staff list", "/api/v1/staff?limit=1000",
                roles=(Role.ADMINISTRATOR, Role.DISTRICT_OPERATOR, Role.STREET_OPERATOR, Role.COMMUNITY_OPERATOR)))
