// One private endpoint for one service of a resource (a storage account's blob or table service,
// a vault), and the private DNS zone that makes the service's usual host name resolve to the
// endpoint inside the stamp's VNet, so the app and the Functions host use the normal URLs.
// One zone per service, so the zone lives with its only endpoint.

param location string
param tags object
param name string

@description('Resource id of the storage account or vault.')
param targetId string

@allowed([
  'blob'
  'table'
  'vault'
])
param groupId string

@description('privatelink.<service host suffix>, e.g. privatelink.blob.core.windows.net.')
param zoneName string

param vnetId string
param subnetId string

resource zone 'Microsoft.Network/privateDnsZones@2020-06-01' = {
  name: zoneName
  location: 'global'
  tags: tags
}

resource link 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = {
  parent: zone
  name: 'stamp-vnet'
  location: 'global'
  tags: tags
  properties: {
    virtualNetwork: {
      id: vnetId
    }
    registrationEnabled: false
  }
}

resource endpoint 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    subnet: {
      id: subnetId
    }
    privateLinkServiceConnections: [
      {
        name: groupId
        properties: {
          privateLinkServiceId: targetId
          groupIds: [
            groupId
          ]
        }
      }
    ]
  }
}

// Registers the endpoint's address in the zone (and keeps it current).
resource zoneGroup 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = {
  parent: endpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: groupId
        properties: {
          privateDnsZoneId: zone.id
        }
      }
    ]
  }
}
