// entra-sso: one stamp per data region, each in its own resource group:
//   az deployment group create -g <rg> -f infra/main.bicep -p infra/params/<region>.bicepparam
// (.github/workflows/deploy.yml does exactly that; docs/deploy.md explains every step).
// No secret passes through this template or its parameters: the bootstrap API key is put in the
// vault out of band and reaches the app only as a Key Vault reference.

targetScope = 'resourceGroup'

@description('Data region of this stamp (SSO_REGION), one of shared.settings.REGIONS.')
@allowed([
  'us'
  'eu'
  'au'
])
param region string

@description('Azure location of every resource of the stamp: where this region\'s data lives.')
param location string = resourceGroup().location

@description('Public host name of this stamp, identity.<region>.<domain>. SSO_PUBLIC_BASE_URL and the Entra redirect URI derive from it.')
param publicHostName string

@description('Public host name of every stamp, by region (SSO_REGION_URLS); the same map in every parameter file.')
param regionHostNames object

@description('Entra authority host (SSO_ENTRA_AUTHORITY_HOST); by default the one of the cloud deployed to.')
param entraAuthorityHost string = environment().authentication.loginEndpoint

@description('Microsoft Graph host (SSO_GRAPH_HOST): group overage is read there.')
param graphHost string = 'https://graph.microsoft.com'

@description('Client id of the SaaS\'s own multi-tenant app registration (SSO_SHARED_APP_CLIENT_ID) for one-click connections; empty: none.')
param sharedAppClientId string = ''

@description('Tenant that owns that app registration (SSO_SHARED_APP_TENANT_ID); the stamp identity must live there too.')
param sharedAppTenantId string = ''

@description('The shared app\'s credential (SSO_SHARED_APP_CREDENTIAL): managed_identity (this stamp\'s identity as a federated credential, docs/deploy.md) or certificate; empty without a shared app.')
@allowed([
  ''
  'managed_identity'
  'certificate'
])
param sharedAppCredential string = ''

@description('certificate only: the Key Vault secret with the shared app\'s certificate and key as PEM (SSO_SHARED_APP_CERTIFICATE).')
param sharedAppCertificateSecretName string = ''

@description('Name of the Key Vault secret holding the bootstrap API key, created out of band (docs/deploy.md). Outside the secret store\'s "sso-" prefix.')
param bootstrapKeySecretName string = 'bootstrap-api-key'

@description('Who may embed the setup portal in a frame (SSO_PORTAL_FRAME_ANCESTORS): \'none\', or the SaaS app\'s https origins, space-separated.')
param portalFrameAncestors string = '\'none\''

@description('Custom domain: none (DNS records not in place yet), bootstrap (once: bind, issue the managed certificate, enable SNI), bound (every deployment after that).')
@allowed([
  'none'
  'bootstrap'
  'bound'
])
param customDomainStage string = 'none'

@description('Whether the location has availability zones for Flex Consumption and ZRS storage (az functionapp list-flexconsumption-locations --zone-redundant). Set in each parameter file: zone-redundant plan and storage keep the stamp and its records through a zone outage.')
param zoneRedundant bool

@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Instances kept warm for HTTP triggers; 0 accepts cold starts on sign-in.')
@minValue(0)
@maxValue(20)
param alwaysReadyHttpInstances int = 1

@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

param tags object = {}

// Global names (storage, vault, app) take a suffix unique to the resource group.
var suffix = take(uniqueString(resourceGroup().id), 8)
var names = {
  identity: 'id-entra-sso-${region}'
  workspace: 'log-entra-sso-${region}'
  appInsights: 'appi-entra-sso-${region}'
  storage: 'stsso${region}${suffix}'
  keyVault: 'kv-sso-${region}-${suffix}'
  plan: 'plan-entra-sso-${region}'
  vnet: 'vnet-entra-sso-${region}'
  app: 'func-entra-sso-${region}-${suffix}'
}
var deploymentContainerName = 'app-package'
var allTags = union(tags, {
  app: 'entra-sso'
  'data-region': region
})
var publicBaseUrl = 'https://${publicHostName}'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: names.identity
  location: location
  tags: allTags
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: allTags
    workspaceName: names.workspace
    appInsightsName: names.appInsights
    retentionInDays: logRetentionDays
  }
}

module network 'modules/network.bicep' = {
  name: 'network'
  params: {
    location: location
    tags: allTags
    name: names.vnet
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    tags: allTags
    name: names.storage
    zoneRedundant: zoneRedundant
    deploymentContainerName: deploymentContainerName
    vnetId: network.outputs.vnetId
    endpointSubnetId: network.outputs.endpointSubnetId
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    tags: allTags
    name: names.keyVault
    workspaceId: monitoring.outputs.workspaceId
    vnetId: network.outputs.vnetId
    endpointSubnetId: network.outputs.endpointSubnetId
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    principalId: identity.properties.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

// Every SSO_* setting the code reads in Azure (shared/platform/settings.py: SETTING_NAMES minus
// DEV_ONLY_SETTINGS), and nothing else; tests/infra checks both directions.
var ssoAppSettings = {
  SSO_REGION: region
  SSO_PUBLIC_BASE_URL: publicBaseUrl
  SSO_STORAGE_TABLE_ENDPOINT: storage.outputs.tableEndpoint
  SSO_KEYVAULT_URL: keyVault.outputs.vaultUri
  // Versionless: the app follows a rotated key on its next restart (or within a day).
  SSO_BOOTSTRAP_API_KEY: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.vaultUri}secrets/${bootstrapKeySecretName}/)'
  SSO_ENTRA_AUTHORITY_HOST: entraAuthorityHost
  SSO_GRAPH_HOST: graphHost
  // The shared app (issue 15). Its managed_identity credential is the identity above, which the
  // function app already carries (AZURE_CLIENT_ID in functionapp.bicep; Azure sets
  // IDENTITY_ENDPOINT and IDENTITY_HEADER itself).
  SSO_SHARED_APP_CLIENT_ID: sharedAppClientId
  SSO_SHARED_APP_TENANT_ID: sharedAppTenantId
  SSO_SHARED_APP_CREDENTIAL: sharedAppCredential
  SSO_SHARED_APP_CERTIFICATE: sharedAppCertificateSecretName
  SSO_PORTAL_FRAME_ANCESTORS: portalFrameAncestors
  // One entry per region, spelled out: Checkov's Bicep parser reads neither lambdas nor toObject().
  // tests/infra fails if a region of regionHostNames is missing here.
  SSO_REGION_URLS: string({
    us: 'https://${regionHostNames.us}'
    eu: 'https://${regionHostNames.eu}'
    au: 'https://${regionHostNames.au}'
  })
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    location: location
    tags: allTags
    planName: names.plan
    appName: names.app
    identityId: identity.id
    identityClientId: identity.properties.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    ssoAppSettings: ssoAppSettings
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    alwaysReadyHttpInstances: alwaysReadyHttpInstances
    publicHostName: publicHostName
    customDomainStage: customDomainStage
    planZoneRedundant: zoneRedundant
    subnetId: network.outputs.appSubnetId
  }
  // The app must start with its roles in place: the Key Vault reference and the host's storage
  // are resolved with them from the first start. It also starts after the storage and vault
  // modules, private endpoints included, since it uses their outputs.
  dependsOn: [
    roles
  ]
}

output functionAppName string = functionApp.outputs.name
output defaultHostName string = functionApp.outputs.defaultHostName
output publicBaseUrl string = publicBaseUrl
@description('The one OIDC redirect URI of this stamp, to register on every Entra app registration that signs in here.')
output entraRedirectUri string = '${publicBaseUrl}/auth/sso/microsoft/callback'
@description('TXT record value for asuid.<publicHostName>, needed before customDomainStage leaves none.')
output customDomainVerificationId string = functionApp.outputs.customDomainVerificationId
@description('Whether the public host name is bound with TLS, so the workflow checks it too.')
output customDomainBound bool = customDomainStage != 'none'
@description('The federated credential to add on the shared app registration (docs/deploy.md): this stamp\'s identity.')
output sharedAppFederatedCredential object = {
  name: 'entra-sso-${region}'
  issuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
  subject: identity.properties.principalId
  audiences: [
    'api://AzureADTokenExchange'
  ]
}
output keyVaultName string = keyVault.outputs.name
output bootstrapKeySecretName string = bootstrapKeySecretName
