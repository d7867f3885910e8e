"""Who may do what: the permission vocabularies of the three places a stack grants access.

- Serving endpoints (`/api/2.0/permissions/serving-endpoints/{id}`): SDK enum
  `ServingEndpointPermissionLevel`; an entry names its principal as `user_name` ("name of the user"),
  `group_name` ("name of the group") or `service_principal_name` ("application ID of a service
  principal"), SDK `ServingEndpointAccessControlRequest`.
- Secret scopes: SDK enum `AclPermission` ("The ACL permission levels for Secret ACLs applied to
  secret scopes"); `SecretsAPI.put_acl`: "MANAGE ... WRITE ... READ", each level including the ones
  below it. The principal is a user or group name, or a service principal's application id.
- Unity Catalog: privileges per securable (`databricks_grant`'s `privileges`), see `uc_privileges.py`.
"""

from __future__ import annotations

# SDK enum ServingEndpointPermissionLevel, weakest first (CAN_MANAGE includes CAN_QUERY includes CAN_VIEW:
# product docs, "Serving endpoint ACLs").
ENDPOINT_LEVELS = ("CAN_VIEW", "CAN_QUERY", "CAN_MANAGE")
# SDK enum AclPermission, weakest first (SecretsAPI.put_acl docstring).
SECRET_ACL_LEVELS = ("READ", "WRITE", "MANAGE")
# The kinds of principal, and the field that names each in an endpoint's access control list
# (SDK ServingEndpointAccessControlRequest).
PRINCIPAL_KINDS = ("user", "group", "service_principal")
ACL_FIELDS = {"user": "user_name", "group": "group_name", "service_principal": "service_principal_name"}
