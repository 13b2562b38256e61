// The stamp's storage account: our records (Table Storage), the Functions host's own blobs
// (AzureWebJobsStorage: keys, timer locks) and the Flex Consumption deployment package.
// Entra-only: shared keys are off, so there is no account key or connection string to leak.
// The app creates its tables when an instance starts (warm-up) or when an operation finds one
// missing (shared/storage/tables.py), so none are declared here.
// Reachable only through private endpoints in the stamp's VNet (blob: the host's storage and the
// deployment package, which Flex Consumption also fetches through the app's VNet integration;
// table: our records); no queue or file endpoint, as nothing uses them.

param location string
param tags object
param name string

@description('Zone-redundant (ZRS) where the region has availability zones, else locally redundant.')
param zoneRedundant bool

@description('Blob container Flex Consumption deploys the app package to.')
param deploymentContainerName string

@description('The stamp VNet and its subnet for private endpoints (network.bicep).')
param vnetId string
param endpointSubnetId string

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_36: public network access is disabled, which leaves the trusted-services exception nothing to apply to; no Azure service outside the VNet needs this account
  // checkov:skip=CKV_AZURE_206: records stay in the stamp's own location, the data-residency promise of each region; ZRS survives a zone outage, and geo-replication (GRS) would copy every record to the paired region
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: zoneRedundant ? 'Standard_ZRS' : 'Standard_LRS'
  }
  properties: {
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    // Only the private endpoints below; no trusted-service exception, as no Azure service needs one.
    publicNetworkAccess: 'Disabled'
    networkAcls: {
      defaultAction: 'Deny'
      bypass: 'None'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    // A deleted package or host key blob can be brought back for a week.
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

module blobEndpoint 'private-endpoint.bicep' = {
  name: 'pe-${name}-blob'
  params: {
    location: location
    tags: tags
    name: 'pe-${name}-blob'
    targetId: account.id
    groupId: 'blob'
    zoneName: 'privatelink.blob.${environment().suffixes.storage}'
    vnetId: vnetId
    subnetId: endpointSubnetId
  }
}

module tableEndpoint 'private-endpoint.bicep' = {
  name: 'pe-${name}-table'
  params: {
    location: location
    tags: tags
    name: 'pe-${name}-table'
    targetId: account.id
    groupId: 'table'
    zoneName: 'privatelink.table.${environment().suffixes.storage}'
    vnetId: vnetId
    subnetId: endpointSubnetId
  }
}

output name string = account.name
output tableEndpoint string = account.properties.primaryEndpoints.table
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deploymentContainer.name}'
