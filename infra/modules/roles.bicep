// Everything the app's user-assigned identity may do, and nothing more. Data-plane roles only:
// no Owner, Contributor, User Access Administrator or any other control-plane role, so the app
// can neither change its own infrastructure nor grant access to anyone.
// Role definition ids are Azure's built-in ones (the same in every tenant).

@description('Principal (object) id of the app\'s user-assigned identity.')
param principalId string
param storageAccountName string
param keyVaultName string
param appInsightsName string

var roleIds = {
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

// Our records, and the host's diagnostic events table. Account scope because the app creates its
// tables itself (at warm-up; creating a table is an account-level operation) and the set of tables
// grows with the code; the role reaches tables only, not blobs, queues or files.
resource tableData 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roleIds.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageTableDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'entra-sso records (Table Storage) and the Functions host diagnostic events'
  }
}

// The Functions host's own storage (AzureWebJobsStorage: host keys, timer locks) and the Flex
// Consumption deployment container. Storage Blob Data Owner is the documented need: the host reads
// and writes blobs and creates and lists its containers (azure-webjobs-hosts,
// azure-webjobs-secrets), which a role scoped to single containers cannot grant. Scoping
// therefore stops at this account, and this account keeps no blob data of ours (records are
// tables; this role grants no table access), so in practice it reaches only the host's containers
// and the app package: keep it that way. On an account without a hierarchical namespace, Owner
// adds nothing over Contributor but POSIX ACL management, which does not apply here.
// No queue role: the app has no queue or blob triggers, which are what need one.
resource hostBlobData 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roleIds.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataOwner)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'Functions host storage (AzureWebJobsStorage) and the Flex Consumption deployment package'
  }
}

// The secret store writes, reads, lists and deletes connection secrets (Officer; Secrets User is
// read-only), and the platform resolves the bootstrap key reference with this identity.
// Secrets only: no keys, certificates or access management on the vault.
resource vaultSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, roleIds.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.keyVaultSecretsOfficer)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'entra-sso secret store and the SSO_BOOTSTRAP_API_KEY Key Vault reference'
  }
}

// Sends telemetry to the one Application Insights resource whose local auth is off.
resource telemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, principalId, roleIds.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.monitoringMetricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'entra-sso telemetry with Entra authentication'
  }
}
