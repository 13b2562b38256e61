// The stamp's Key Vault: connection client secrets and signing keys (shared/secret_store) and the
// bootstrap API key behind the SSO_BOOTSTRAP_API_KEY reference. Access is Azure RBAC only (no
// access policies). Purge protection cannot be turned off again: a deleted secret stays
// recoverable for the retention period, even against an operator with full rights.
// Reachable only through its private endpoint in the stamp's VNet: the app's secret store and the
// platform resolving the SSO_BOOTSTRAP_API_KEY reference both go through the app's VNet
// integration. An operator writing the bootstrap key opens it to one address for that task
// (docs/deploy.md); the next deployment closes it again.

param location string
param tags object
param name string

@description('Log Analytics workspace that receives the vault\'s audit log (who read or changed which secret).')
param workspaceId string

@description('The stamp VNet and its subnet for private endpoints (network.bicep).')
param vnetId string
param endpointSubnetId string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Disabled'
    networkAcls: {
      defaultAction: 'Deny'
      bypass: 'None'
    }
  }
}

resource audit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit-to-log-analytics'
  scope: vault
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'audit'
        enabled: true
      }
    ]
  }
}

module endpoint 'private-endpoint.bicep' = {
  name: 'pe-${name}'
  params: {
    location: location
    tags: tags
    name: 'pe-${name}'
    targetId: vault.id
    groupId: 'vault'
    // The public cloud's Key Vault private link zone (environment() has no suffix for it).
    zoneName: 'privatelink.vaultcore.azure.net'
    vnetId: vnetId
    subnetId: endpointSubnetId
  }
}

output name string = vault.name
output vaultUri string = vault.properties.vaultUri
