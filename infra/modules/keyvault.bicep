// The stamp's Key Vault: connection client secrets and signing keys (shared/secret_store) and the
// bootstrap API key behind the SSO_BOOTSTRAP_API_KEY reference. Access is Azure RBAC only (no
// access policies). Purge protection cannot be turned off again: a deleted secret stays
// recoverable for the retention period, even against an operator with full rights.

param location string
param tags object
param name string

@description('Log Analytics workspace that receives the vault\'s audit log (who read or changed which secret).')
param workspaceId string

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
    // Key Vault references on Flex Consumption cannot resolve through a network-restricted vault.
    publicNetworkAccess: 'Enabled'
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

output name string = vault.name
output vaultUri string = vault.properties.vaultUri
