"""infra/ against the code and against our security rules: the app settings are exactly what
shared/platform/settings.py reads in Azure, every identity is keyless and least-privileged, and each region
has its parameter file."""
from __future__ import annotations

import re

import pytest

from shared.platform import settings as settings_module
from shared.platform.settings import DEV_ONLY_SETTINGS, REGIONS, SETTING_NAMES, SettingsError, load_settings
from tests.infra import model
from tests.infra.bicep_ast import Node, string_literals

AZURE_SETTINGS = set(SETTING_NAMES) - set(DEV_ONLY_SETTINGS)

# What the Functions host and the Azure SDK need, besides our own settings (functionapp.bicep).
HOST_SETTINGS = {
    "AzureWebJobsStorage__accountName",
    "AzureWebJobsStorage__credential",
    "AzureWebJobsStorage__clientId",
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    "AZURE_CLIENT_ID",
}
# Flex Consumption deprecates these (runtime, scale and package live in functionAppConfig).
FLEX_DEPRECATED_SETTINGS = {
    "FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION", "WEBSITE_RUN_FROM_PACKAGE",
    "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "WEBSITE_CONTENTSHARE", "SCM_DO_BUILD_DURING_DEPLOYMENT",
    "ENABLE_ORYX_BUILD", "WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT", "WEBSITE_TIME_ZONE", "TZ",
    "AzureWebJobsStorage", "APPINSIGHTS_INSTRUMENTATIONKEY",
}

# Built-in role definition ids (identical in every tenant).
ROLE = {
    "Storage Table Data Contributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "Key Vault Secrets Officer": "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    "Monitoring Metrics Publisher": "3913510d-42f4-4e42-8a64-420c390055eb",
}
FORBIDDEN_ROLES = {
    "Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "User Access Administrator": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    "Role Based Access Control Administrator": "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
}
# Role -> the resource type it may be granted on.
ROLE_SCOPES = {
    ROLE["Storage Table Data Contributor"]: "Microsoft.Storage/storageAccounts",
    ROLE["Storage Blob Data Owner"]: "Microsoft.Storage/storageAccounts",
    ROLE["Key Vault Secrets Officer"]: "Microsoft.KeyVault/vaults",
    ROLE["Monitoring Metrics Publisher"]: "Microsoft.Insights/components",
}

# Stand-ins for what only Azure knows, shaped like the real values.
OUTPUT_STAND_INS = {
    ("storage", "tableEndpoint"): "https://stssoeu12345678.table.core.windows.net/",
    ("keyVault", "vaultUri"): "https://kv-sso-eu-12345678.vault.azure.net/",
}


def literal(node: Node | None):
    assert node is not None, "property missing"
    return node.literal()


def one_resource(resource_type: str):
    found = [(f, d) for f, d in model.all_decls("resource") if d.type.split("@")[0] == resource_type and not d.existing]
    assert len(found) == 1, f"expected one {resource_type}, found {len(found)}"
    return found[0]


def evaluated_azure_settings(param_file) -> dict[str, str]:
    main = model.load(model.MAIN)
    evaluator = model.Evaluator(main, model.param_values(param_file), OUTPUT_STAND_INS)
    return {name: evaluator.value(node) for name, (owner, node) in model.app_settings().items() if owner is main}


# ---------------------------------------------------------------------------- settings contract

def test_dev_only_settings_are_settings_the_code_reads():
    assert set(DEV_ONLY_SETTINGS) <= set(SETTING_NAMES)
    assert len(set(DEV_ONLY_SETTINGS)) == len(DEV_ONLY_SETTINGS)


def test_main_sets_every_azure_setting_and_no_other_sso_setting():
    main = model.load(model.MAIN)
    sso = {name for name, (owner, _) in model.app_settings().items() if name.startswith("SSO_")}
    assert {name for name, (owner, _) in model.app_settings().items() if owner is main} == sso, \
        "SSO_* settings are set in main.bicep, host settings in the module"
    assert sso - set(SETTING_NAMES) == set(), "main.bicep sets SSO_* settings the code does not read"
    assert AZURE_SETTINGS - sso == set(), "settings the code reads in Azure that main.bicep does not set"
    assert sso & set(DEV_ONLY_SETTINGS) == set(), "dev-only settings must not be set in Azure"


def test_no_sso_name_appears_anywhere_else_in_infra():
    """No second place (a module, an output, a parameter file) mentions an SSO_* name that the
    app settings do not carry, e.g. a dev-only setting slipped in through a param."""
    mentioned = set()
    for path in model.bicep_files() + model.param_files():
        file = model.load(path)
        for decl in file.decls:
            for node in ([decl.value] if decl.value is not None else []):
                mentioned |= {m for s in string_literals(node) for m in re.findall(r"SSO_[A-Z0-9_]+", s)}
                mentioned |= {k for n in node.walk() if n.kind == "obj" for k in n.keys() if k.startswith("SSO_")}
    assert mentioned <= AZURE_SETTINGS, f"unexpected SSO_* names: {mentioned - AZURE_SETTINGS}"


def test_app_settings_are_exactly_host_settings_plus_ours():
    names = set(model.app_settings())
    assert names == HOST_SETTINGS | AZURE_SETTINGS
    assert not names & FLEX_DEPRECATED_SETTINGS


@pytest.mark.parametrize("region", REGIONS)
def test_azure_settings_satisfy_load_settings(region):
    """The values main.bicep computes for a region (module outputs stood in for) are accepted by
    load_settings once App Service has resolved the Key Vault reference."""
    values = evaluated_azure_settings(model.PARAMS / f"{region}.bicepparam")
    values["SSO_BOOTSTRAP_API_KEY"] = "k" * 43  # what the reference resolves to
    loaded = load_settings(values)
    params = model.param_values(model.PARAMS / f"{region}.bicepparam")
    assert loaded.region == region
    assert loaded.public_base_url == f"https://{params['publicHostName']}"
    assert loaded.storage_connection_string is None and loaded.local_secret_store_path is None
    assert loaded.storage_table_endpoint and loaded.keyvault_url
    assert loaded.entra_authority_host == "https://login.microsoftonline.com"
    assert loaded.region_urls == {r: f"https://{h}" for r, h in params["regionHostNames"].items()}
    assert not loaded.allow_loopback_metadata and loaded.ca_bundle is None and loaded.dns_resolver is None


def test_bootstrap_key_is_a_key_vault_reference():
    owner, node = model.app_settings()["SSO_BOOTSTRAP_API_KEY"]
    assert owner.path == model.MAIN
    value = evaluated_azure_settings(model.PARAMS / "eu.bicepparam")["SSO_BOOTSTRAP_API_KEY"]
    vault = OUTPUT_STAND_INS[("keyVault", "vaultUri")]
    secret = model.Evaluator(owner, {}, {}).value(owner.params["bootstrapKeySecretName"].value)
    # Versionless SecretUri: a rotated key is picked up without a redeployment.
    assert value == f"@Microsoft.KeyVault(SecretUri={vault}secrets/{secret}/)"


def test_bootstrap_secret_is_outside_the_secret_store_namespace():
    names = pytest.importorskip("shared.secret_store.names")
    main = model.load(model.MAIN)
    secret = main.params["bootstrapKeySecretName"].value.literal()
    assert not secret.startswith(names.VAULT_PREFIX)


def test_unresolved_key_vault_reference_is_refused():
    values = evaluated_azure_settings(model.PARAMS / "eu.bicepparam")
    with pytest.raises(SettingsError):
        load_settings(values)


def test_entra_redirect_uri_output_matches_the_code():
    main = model.load(model.MAIN)
    params = model.param_values(model.PARAMS / "eu.bicepparam")
    evaluator = model.Evaluator(main, params, OUTPUT_STAND_INS)
    output = evaluator.value(main.outputs["entraRedirectUri"].value)
    values = evaluated_azure_settings(model.PARAMS / "eu.bicepparam")
    values["SSO_BOOTSTRAP_API_KEY"] = "k" * 43
    assert output == load_settings(values).oidc_redirect_uri == "https://identity.eu.example.com/auth/sso/microsoft/callback"
    assert {"defaultHostName", "entraRedirectUri"} <= set(main.outputs)


# ---------------------------------------------------------------------------- identity and keys

def test_app_uses_only_its_user_assigned_identity():
    main, module_decl, module = model.function_app_module()
    app = model.site(module).body()
    assert literal(app.get("identity", "type")) == "UserAssigned"
    [(key, _)] = app.get("identity", "userAssignedIdentities").value
    assert key == "${}"
    identity_id = module_decl.body().get("params", "identityId")
    [identity] = [d for d in main.resources.values() if d.type.startswith("Microsoft.ManagedIdentity/userAssignedIdentities@")]
    assert (identity_id.kind, identity_id.value, identity_id.children[0].value) == ("prop", "id", identity.name)
    reference_identity = app.get("properties", "keyVaultReferenceIdentity")
    assert (reference_identity.kind, reference_identity.value) == ("ident", "identityId")
    auth = app.get("properties", "functionAppConfig", "deployment", "storage", "authentication")
    assert literal(auth.get("type")) == "UserAssignedIdentity"
    assert auth.get("userAssignedIdentityResourceId").value == "identityId"


def test_host_settings_are_keyless_and_use_the_identity():
    settings = model.app_settings()
    assert literal(settings["AzureWebJobsStorage__credential"][1]) == "managedidentity"
    for name in ("AzureWebJobsStorage__clientId", "AZURE_CLIENT_ID"):
        assert (settings[name][1].kind, settings[name][1].value) == ("ident", "identityClientId")
    auth = settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"][1]
    assert auth.kind == "str" and [p if isinstance(p, str) else p.value for p in auth.value] == \
        ["ClientId=", "identityClientId", ";Authorization=AAD"]
    for path in model.bicep_files() + model.param_files():
        text = path.read_text()
        for marker in ("AccountKey=", "SharedAccessSignature=", "InstrumentationKey=", "listKeys(", "listSecrets("):
            assert marker not in text, f"{path.name} contains {marker}"


def test_no_secret_passes_through_parameters():
    for path in model.bicep_files():
        for name, decl in model.load(path).params.items():
            assert decl.decorator("secure") is None, f"{path.name}: @secure() param {name}: secrets go to Key Vault out of band"
    for path in model.param_files():
        for name in model.load(path).params:
            assert not re.search(r"secret|password|key$", name, re.I) or name == "bootstrapKeySecretName", name


# ---------------------------------------------------------------------------- resources

def test_storage_is_entra_only_tls12_https_and_private():
    _, account = one_resource("Microsoft.Storage/storageAccounts")
    props = account.body().get("properties")
    assert literal(props.get("allowSharedKeyAccess")) is False
    assert literal(props.get("minimumTlsVersion")) == "TLS1_2"
    assert literal(props.get("supportsHttpsTrafficOnly")) is True
    assert literal(props.get("allowBlobPublicAccess")) is False
    assert literal(props.get("defaultToOAuthAuthentication")) is True
    _, container = one_resource("Microsoft.Storage/storageAccounts/blobServices/containers")
    assert literal(container.body().get("properties", "publicAccess")) == "None"


def test_flex_consumption_python_311_linux():
    _, plan = one_resource("Microsoft.Web/serverfarms")
    assert literal(plan.body().get("sku")) == {"tier": "FlexConsumption", "name": "FC1"}
    assert literal(plan.body().get("properties", "reserved")) is True
    _, app = one_resource("Microsoft.Web/sites")
    body = app.body()
    assert literal(body.get("kind")) == "functionapp,linux"
    assert literal(body.get("properties", "httpsOnly")) is True
    assert literal(body.get("properties", "siteConfig", "minTlsVersion")) == "1.2"
    assert literal(body.get("properties", "siteConfig", "ftpsState")) == "Disabled"
    config = body.get("properties", "functionAppConfig")
    assert literal(config.get("runtime")) == {"name": "python", "version": "3.11"}
    assert literal(config.get("deployment", "storage", "type")) == "blobContainer"
    assert config.get("scaleAndConcurrency", "maximumInstanceCount") is not None


def test_key_vault_is_rbac_with_purge_protection_and_soft_delete():
    _, vault = one_resource("Microsoft.KeyVault/vaults")
    props = vault.body().get("properties")
    assert literal(props.get("enableRbacAuthorization")) is True
    assert literal(props.get("enablePurgeProtection")) is True
    assert literal(props.get("enableSoftDelete")) is True
    assert literal(props.get("softDeleteRetentionInDays")) >= 7
    assert props.get("accessPolicies") is None


def test_app_insights_and_workspace_refuse_local_auth():
    _, components = one_resource("Microsoft.Insights/components")
    assert literal(components.body().get("properties", "DisableLocalAuth")) is True
    _, workspace = one_resource("Microsoft.OperationalInsights/workspaces")
    assert literal(workspace.body().get("properties", "features", "disableLocalAuth")) is True


def role_assignments():
    for file, decl in model.all_decls("resource"):
        if decl.type.startswith("Microsoft.Authorization/roleAssignments@"):
            yield file, decl


def test_role_assignments_are_the_four_data_roles_on_their_resources():
    granted = []
    for file, decl in role_assignments():
        body = decl.body()
        definition = body.get("properties", "roleDefinitionId")
        assert definition.kind == "call" and definition.value == "subscriptionResourceId"
        assert literal(definition.children[0]) == "Microsoft.Authorization/roleDefinitions"
        guid = model.Evaluator(file, {}, {}).value(definition.children[1])
        assert guid in ROLE_SCOPES, f"{decl.name} grants a role outside the allowed set: {guid}"
        scope = body.get("scope")
        assert scope is not None and scope.kind == "ident", f"{decl.name} must be scoped to a resource, not the group"
        target = file.resources[scope.value]
        assert target.type.split("@")[0] == ROLE_SCOPES[guid], f"{decl.name} is on {target.type}"
        assert literal(body.get("properties", "principalType")) == "ServicePrincipal"
        granted.append(guid)
    assert sorted(granted) == sorted(ROLE.values()), "exactly one assignment of each role"


def test_no_owner_contributor_or_access_administrator_anywhere():
    for path in model.bicep_files() + model.param_files():
        text = path.read_text().lower()
        for name, guid in FORBIDDEN_ROLES.items():
            assert guid not in text, f"{path.name} mentions {name}"


def test_app_starts_after_its_roles():
    main, module_decl, _ = model.function_app_module()
    depends = module_decl.body().get("dependsOn")
    [roles] = [name for name, d in main.modules.items() if d.type == "modules/roles.bicep"]
    assert depends is not None and roles in [n.value for n in depends.children]


# ---------------------------------------------------------------------------- regions

def test_main_allows_exactly_the_code_regions():
    main = model.load(model.MAIN)
    assert main.params["region"].decorator("allowed").children[0].literal() == list(REGIONS)


def test_one_param_file_per_region():
    assert sorted(p.stem for p in model.param_files()) == sorted(REGIONS)


@pytest.mark.parametrize("region", REGIONS)
def test_region_param_file(region):
    path = model.PARAMS / f"{region}.bicepparam"
    assert path.is_file()
    params = model.param_values(path)
    assert params["region"] == region
    assert params["publicHostName"].startswith(f"identity.{region}.")
    assert set(params["regionHostNames"]) == set(REGIONS)
    assert params["regionHostNames"][region] == params["publicHostName"]
    for other in model.param_files():
        assert model.param_values(other)["regionHostNames"] == params["regionHostNames"], \
            f"{other.name} and {path.name} disagree on the other stamps' host names"


def test_settings_module_exports_what_the_tests_use():
    assert settings_module.REGIONS == REGIONS


# ---------------------------------------------------------------------------- zones and network

STORAGE, VAULT = "Microsoft.Storage/storageAccounts", "Microsoft.KeyVault/vaults"


def module_params(file, path: str) -> Node:
    [decl] = [d for d in file.modules.values() if d.type == path]
    return decl.body().get("params")


def ident(node: Node | None) -> str:
    assert node is not None and node.kind == "ident", f"expected a name, got {node and node.kind}"
    return node.value


def module_output(node: Node | None) -> tuple[str, str]:
    """`<module>.outputs.<name>` as (module, name)."""
    assert node is not None and node.kind == "prop" and node.children[0].kind == "prop" \
        and node.children[0].value == "outputs", "expected a module output"
    return node.children[0].children[0].value, node.value


@pytest.mark.parametrize("region", REGIONS)
def test_each_region_file_decides_zone_redundancy(region):
    """eastus2, northeurope and australiaeast all offer availability zones for Flex Consumption
    and ZRS storage; main.bicep has no default, so a new region must say whether its location does."""
    assert model.load(model.MAIN).params["zoneRedundant"].value is None
    assert model.param_values(model.PARAMS / f"{region}.bicepparam")["zoneRedundant"] is True


def test_zone_redundancy_reaches_the_plan_and_the_storage_account():
    main = model.load(model.MAIN)
    assert ident(module_params(main, "modules/functionapp.bicep").get("planZoneRedundant")) == "zoneRedundant"
    assert ident(module_params(main, "modules/storage.bicep").get("zoneRedundant")) == "zoneRedundant"
    _, plan = one_resource("Microsoft.Web/serverfarms")
    assert ident(plan.body().get("properties", "zoneRedundant")) == "planZoneRedundant"
    _, account = one_resource(STORAGE)
    sku = account.body().get("sku", "name")
    assert sku.kind == "ternary" and ident(sku.children[0]) == "zoneRedundant"
    assert [literal(c) for c in sku.children[1:]] == ["Standard_ZRS", "Standard_LRS"]


@pytest.mark.parametrize("resource_type", [STORAGE, VAULT])
def test_storage_and_vault_refuse_the_public_network(resource_type):
    _, decl = one_resource(resource_type)
    props = decl.body().get("properties")
    assert literal(props.get("publicNetworkAccess")) == "Disabled"
    assert literal(props.get("networkAcls")) == {"defaultAction": "Deny", "bypass": "None"}


def test_storage_and_vault_have_a_private_endpoint_for_each_service_the_app_uses():
    """blob (host storage, deployment package), table (our records), vault (secret store and the
    bootstrap key reference), each with the private DNS zone its public host name resolves through,
    all in the stamp VNet's endpoint subnet."""
    main = model.load(model.MAIN)
    found = {}
    for file, decl in model.all_decls("module"):
        if decl.type != "private-endpoint.bicep":
            continue
        params = decl.body().get("params")
        target = params.get("targetId")
        assert target.kind == "prop" and target.value == "id"
        zone = model.Evaluator(file, {}, {}).value(params.get("zoneName"))
        found[literal(params.get("groupId"))] = (file.resources[ident(target.children[0])].type.split("@")[0], zone)
        assert (ident(params.get("vnetId")), ident(params.get("subnetId"))) == ("vnetId", "endpointSubnetId")
    assert found == {
        "blob": (STORAGE, "privatelink.blob.core.windows.net"),
        "table": (STORAGE, "privatelink.table.core.windows.net"),
        "vault": (VAULT, "privatelink.vaultcore.azure.net"),
    }
    for path in ("modules/storage.bicep", "modules/keyvault.bicep"):
        params = module_params(main, path)
        assert module_output(params.get("vnetId")) == ("network", "vnetId")
        assert module_output(params.get("endpointSubnetId")) == ("network", "endpointSubnetId")


def test_private_endpoint_registers_its_address_in_its_zone_linked_to_the_vnet():
    module = model.load(model.INFRA / "modules" / "private-endpoint.bicep")
    [endpoint] = module.resources_of_type("Microsoft.Network/privateEndpoints")
    [zone] = module.resources_of_type("Microsoft.Network/privateDnsZones")
    [link] = module.resources_of_type("Microsoft.Network/privateDnsZones/virtualNetworkLinks")
    [group] = module.resources_of_type("Microsoft.Network/privateEndpoints/privateDnsZoneGroups")
    assert ident(zone.body().get("name")) == "zoneName"
    props = endpoint.body().get("properties")
    assert ident(props.get("subnet", "id")) == "subnetId"
    [connection] = props.get("privateLinkServiceConnections").children
    assert ident(connection.get("properties", "privateLinkServiceId")) == "targetId"
    assert [ident(g) for g in connection.get("properties", "groupIds").children] == ["groupId"]
    assert ident(link.body().get("parent")) == zone.name
    assert ident(link.body().get("properties", "virtualNetwork", "id")) == "vnetId"
    assert literal(link.body().get("properties", "registrationEnabled")) is False
    assert ident(group.body().get("parent")) == endpoint.name
    [config] = group.body().get("properties", "privateDnsZoneConfigs").children
    zone_id = config.get("properties", "privateDnsZoneId")
    assert (zone_id.kind, zone_id.value, ident(zone_id.children[0])) == ("prop", "id", zone.name)


def test_app_outbound_traffic_goes_through_the_delegated_subnet():
    main, module_decl, module = model.function_app_module()
    assert ident(model.site(module).body().get("properties", "virtualNetworkSubnetId")) == "subnetId"
    assert module_output(module_decl.body().get("params", "subnetId")) == ("network", "appSubnetId")
    network = model.load(model.INFRA / "modules" / "network.bicep")
    [vnet] = [d for d in network.resources_of_type("Microsoft.Network/virtualNetworks") if not d.existing]
    subnets = {literal(s.get("name")): s.get("properties") for s in vnet.body().get("properties", "subnets").children}
    assert set(subnets) == {"app", "endpoints"}
    assert [literal(d.get("properties", "serviceName")) for d in subnets["app"].get("delegations").children] \
        == ["Microsoft.App/environments"]
    assert literal(subnets["endpoints"].get("privateEndpointNetworkPolicies")) == "Disabled"
    for output, subnet in (("appSubnetId", "app"), ("endpointSubnetId", "endpoints")):
        value = network.outputs[output].value
        existing = network.resources[ident(value.children[0])]
        assert value.value == "id" and existing.existing and literal(existing.body().get("name")) == subnet


def test_app_serves_http2_and_is_health_checked_on_the_anonymous_health_route(anonymous):
    _, app = one_resource("Microsoft.Web/sites")
    config = app.body().get("properties", "siteConfig")
    assert literal(config.get("http20Enabled")) is True
    # The platform probes without a key and counts only 2xx as healthy.
    response = anonymous.get(literal(config.get("healthCheckPath")))
    assert response.status_code == 200 and response.json()["status"] == "ok"
