// The stamp's private network. The Function App reaches storage and Key Vault only through it:
// its outbound traffic enters the VNet through the `app` subnet (VNet integration; Flex
// Consumption requires the Microsoft.App/environments delegation), and the storage account and
// the vault each have private endpoints in the `endpoints` subnet (storage.bicep, keyvault.bicep),
// with public network access off. Nothing else is in this VNet and nothing is peered with it, so
// its address space may repeat in every stamp.

param location string
param tags object
param name string

// /24 for the app: Flex Consumption takes addresses from it as it scales out (maximumInstanceCount).
var addressSpace = '10.20.0.0/23'
var appSubnetPrefix = '10.20.0.0/24'
var endpointSubnetPrefix = '10.20.1.0/27'

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressSpace
      ]
    }
    // Declared here rather than as child resources, so a redeployment never drops a subnet that
    // the app or an endpoint is using.
    subnets: [
      {
        name: 'app'
        properties: {
          addressPrefix: appSubnetPrefix
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: 'endpoints'
        properties: {
          addressPrefix: endpointSubnetPrefix
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

resource appSubnet 'Microsoft.Network/virtualNetworks/subnets@2024-05-01' existing = {
  parent: vnet
  name: 'app'
}

resource endpointSubnet 'Microsoft.Network/virtualNetworks/subnets@2024-05-01' existing = {
  parent: vnet
  name: 'endpoints'
}

output vnetId string = vnet.id
output appSubnetId string = appSubnet.id
output endpointSubnetId string = endpointSubnet.id
