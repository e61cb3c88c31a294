"""Roles, their permissions and data scope. Permissions are named ``domain:resource:action``.

Scope: ``city`` sees the whole city; ``division`` sees the county or zone of the user's organisation
(a user of a city-level unit sees the city); ``org`` sees only the user's own organisation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from lishui.core.actor import ScopeKind

REGISTRY_READ = {"registry:org:read", "registry:park:read", "registry:person:read", "registry:division:read"}
REGISTRY_WRITE = {
    "registry:org:write",
    "registry:org:import",
    "registry:org:export",
    "registry:park:write",
    "registry:person:write",
}

# Policy engine: read packs and explanations; evaluate what one may see; run batches; record facts.
POLICY_READ = {"policy:pack:read", "policy:evaluate", "policy:fact:read", "policy:batch:read"}
POLICY_OFFICER = POLICY_READ | {"policy:batch:run", "policy:fact:write"}
POLICY_ORG = {"policy:pack:read", "policy:evaluate", "policy:fact:read"}

# Assessment (考核督查): tasks, indicators, targets, scorecards, bulletins. County officers see their own county.
ASSESSMENT_READ = {"assessment:task:read", "assessment:indicator:read", "assessment:scorecard:read"}
ASSESSMENT_COUNTY = ASSESSMENT_READ | {"assessment:task:report", "assessment:indicator:write"}
ASSESSMENT_CITY = ASSESSMENT_COUNTY | {"assessment:task:manage", "assessment:target:write", "assessment:scheme:write",
                                       "assessment:bulletin:read", "assessment:bulletin:publish"}
# Statistics: organisations report their own forms; counties verify, the city accepts; administrators keep forms.
STATS_READ = {"stats:form:read", "stats:report:read", "stats:indicator:read"}
STATS_REPORTER = {"stats:form:read", "stats:report:read", "stats:report:submit", "stats:report:import"}
STATS_COUNTY = STATS_READ | {"stats:report:submit", "stats:report:import", "stats:report:verify", "stats:lock:write",
                             "stats:indicator:export"}
STATS_CITY = STATS_COUNTY | {"stats:report:accept"}
STATS_ADMIN = {"stats:form:read", "stats:form:write"}


@dataclass(frozen=True)
class Role:
    code: str
    label: str
    label_en: str
    scope: ScopeKind
    permissions: frozenset[str]
    mfa_required: bool = False
    # Organisation kinds a user with this role may belong to (empty: any).
    org_kinds: frozenset[str] = frozenset()


def _role(code: str, label: str, label_en: str, scope: ScopeKind, perms: set[str], *, mfa_required: bool = False,
          org_kinds: set[str] | frozenset[str] = frozenset()) -> Role:
    return Role(code, label, label_en, scope, frozenset(perms), mfa_required=mfa_required,
                org_kinds=frozenset(org_kinds))


ORG_SELF = {*POLICY_ORG, *STATS_REPORTER,
            "registry:org:read", "registry:park:read", "registry:person:read", "registry:division:read",
            "registry:org:self_update"}

ROLES: dict[str, Role] = {
    r.code: r
    for r in [
        _role("sys_admin", "系统管理员", "System administrator", "city",
              REGISTRY_READ | REGISTRY_WRITE | {"identity:user:read", "identity:user:write",
                                                "identity:token:read", "identity:token:write",
                                                "system:config:write"} | STATS_ADMIN,
              mfa_required=True, org_kinds={"government"}),
        _role("security_admin", "安全管理员", "Security administrator", "city",
              {"identity:user:read", "identity:user:role", "identity:user:unlock", "identity:session:revoke",
               "identity:token:read", "identity:token:write", "registry:person:unmask",
               "registry:org:unmask"} | {"registry:division:read"},
              mfa_required=True, org_kinds={"government"}),
        _role("audit_admin", "审计管理员", "Audit administrator", "city",
              {"audit:record:read", "audit:record:verify", "registry:division:read"},
              mfa_required=True, org_kinds={"government"}),
        _role("city_officer", "市级业务人员", "City officer", "city",
              REGISTRY_READ | REGISTRY_WRITE | POLICY_OFFICER
              | {"policy:pack:publish", "registry:person:unmask", "registry:org:unmask"} | ASSESSMENT_CITY | STATS_CITY,
              org_kinds={"government"}),
        _role("county_officer", "县（区）业务人员", "County/zone officer", "division",
              REGISTRY_READ | REGISTRY_WRITE | POLICY_OFFICER | ASSESSMENT_COUNTY | STATS_COUNTY,
              org_kinds={"government"}),
        _role("reviewer", "审核人员", "Reviewer", "division", REGISTRY_READ | POLICY_READ | STATS_READ,
              org_kinds={"government"}),
        _role("approver", "审批人员", "Approver", "division", REGISTRY_READ | POLICY_READ, mfa_required=True,
              org_kinds={"government"}),
        _role("finance_officer", "财务人员", "Finance officer", "city",
              REGISTRY_READ | POLICY_READ | {"registry:org:unmask"}, mfa_required=True, org_kinds={"government"}),
        _role("auditor", "审计人员（只读）", "Auditor (read-only)", "city",
              REGISTRY_READ | POLICY_READ | STATS_READ | {"audit:record:read"} | ASSESSMENT_READ
              | {"assessment:bulletin:read"}, org_kinds={"government"}),
        _role("enterprise_user", "企业用户", "Enterprise user", "org", ORG_SELF, org_kinds={"enterprise"}),
        _role("park_operator_user", "园区运营方用户", "Park operator user", "org", ORG_SELF,
              org_kinds={"park_operator"}),
        _role("station_operator_user", "服务站运营商用户", "Service-station operator user", "org", ORG_SELF,
              org_kinds={"station_operator"}),
        _role("service_center_user", "公共服务中心用户", "Public service center user", "org", ORG_SELF,
              org_kinds={"service_center"}),
        _role("logistics_user", "物流快递企业用户", "Logistics firm user", "org", ORG_SELF, org_kinds={"logistics"}),
        _role("warehouse_user", "仓储配送中心用户", "Warehouse center user", "org", ORG_SELF,
              org_kinds={"warehouse_center"}),
        _role("bank_user", "银行用户", "Bank user", "org", ORG_SELF, org_kinds={"bank"}),
        _role("training_user", "培训机构用户", "Training institution user", "org", ORG_SELF, org_kinds={"training"}),
        _role("provider_user", "服务商用户", "Service provider user", "org", ORG_SELF,
              org_kinds={"service_provider"}),
    ]
}

# Marketplace (issue 6): enterprises post demands and show products; providers quote and deliver; the city's
# officers run the center's back office; county officers read their county's figures.
MARKETPLACE_ENTERPRISE = {"marketplace:demand:read", "marketplace:demand:write", "marketplace:match:read",
                          "marketplace:engagement:read", "marketplace:engagement:write",
                          "marketplace:showcase:write", "marketplace:notification:read"}
MARKETPLACE_PROVIDER = {"marketplace:provider:write", "marketplace:demand:read", "marketplace:quote:write",
                        "marketplace:engagement:read", "marketplace:engagement:write", "marketplace:notification:read"}
MARKETPLACE_GRANTS: dict[str, set[str]] = {
    "enterprise_user": MARKETPLACE_ENTERPRISE,
    "provider_user": MARKETPLACE_PROVIDER,
    "training_user": MARKETPLACE_PROVIDER,
    "logistics_user": MARKETPLACE_PROVIDER,
    "city_officer": {"marketplace:demand:read", "marketplace:match:read", "marketplace:engagement:read",
                     "marketplace:center:manage", "marketplace:center:stats", "marketplace:notification:read"},
    "county_officer": {"marketplace:center:stats"},
}
for _code, _perms in MARKETPLACE_GRANTS.items():
    ROLES[_code] = replace(ROLES[_code], permissions=ROLES[_code].permissions | frozenset(_perms))
# Special funds (funds): granted on top of each role's permissions above.
FUNDS_ORG = {"funds:claim:apply", "funds:claim:read"}
FUNDS_GRANTS: dict[str, set[str]] = {
    **{code: FUNDS_ORG for code in ("enterprise_user", "park_operator_user", "station_operator_user",
                                    "service_center_user", "logistics_user", "warehouse_user", "training_user",
                                    "provider_user")},
    "reviewer": {"funds:claim:read", "funds:claim:review", "funds:objection:answer", "funds:budget:read"},
    "county_officer": {"funds:claim:read", "funds:claim:review", "funds:objection:answer", "funds:candidate:create",
                       "funds:budget:read"},
    "city_officer": {"funds:claim:read", "funds:claim:review", "funds:notice:publish", "funds:objection:answer",
                     "funds:candidate:create", "funds:budget:read", "funds:budget:write", "funds:credit:write",
                     "funds:ledger:read", "funds:holiday:write"},
    "approver": {"funds:claim:read", "funds:claim:approve", "funds:budget:read"},
    "finance_officer": {"funds:claim:read", "funds:budget:read", "funds:budget:write", "funds:payment:read",
                        "funds:payment:write", "funds:ledger:read"},
    "auditor": {"funds:claim:read", "funds:budget:read", "funds:payment:read", "funds:ledger:read"},
    "sys_admin": {"funds:holiday:write"},
}
for _code, _extra in FUNDS_GRANTS.items():
    ROLES[_code] = replace(ROLES[_code], permissions=ROLES[_code].permissions | frozenset(_extra))

# The three administrators are separate duties (等保 三员分立): one user never holds two of them.
ADMIN_ROLES = frozenset({"sys_admin", "security_admin", "audit_admin"})

# Roles that read the audit trail: the system administrator must not be able to obtain them.
AUDIT_ROLES = frozenset(code for code, role in ROLES.items() if any(p.startswith("audit:") for p in role.permissions))

# Appointed only when the account is created, by the operator on the server console (`lishui users create`):
# never through the web or API (where the system administrator could create an audit account for himself),
# and never by a role change (so one account never holds two of these duties over its life).
CONSOLE_APPOINTED_ROLES = ADMIN_ROLES | AUDIT_ROLES

# API tokens act without a second factor and for systems, not people: none for roles that need a second
# factor or that read the audit trail.
NO_TOKEN_ROLES = frozenset(code for code, role in ROLES.items() if role.mfa_required) | AUDIT_ROLES
