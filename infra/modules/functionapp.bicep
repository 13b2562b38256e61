// The Flex Consumption plan and the Function App (Python 3.11 on Linux), with its custom domain.
// Its outbound traffic goes through the stamp's VNet (storage and Key Vault accept nothing else);
// inbound stays public: browsers and customers' backends call it from anywhere.
// Flex Consumption takes its runtime, scale and package location from functionAppConfig; the app
// settings it deprecates (FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION,
// WEBSITE_RUN_FROM_PACKAGE, WEBSITE_CONTENT*, SCM_DO_BUILD_DURING_DEPLOYMENT, ...) must not be set.

param location string
param tags object
param planName string
param appName string

@description('Resource id of the user-assigned identity the app uses for everything.')
param identityId string

@description('Client id of that identity.')
param identityClientId string

param storageAccountName string

@description('URL of the blob container holding the deployment package.')
param deploymentContainerUrl string

param appInsightsConnectionString string

@description('The service\'s own settings (SSO_*), set by main.bicep.')
param ssoAppSettings object

param maximumInstanceCount int
param instanceMemoryMB int
param alwaysReadyHttpInstances int

@description('This stamp\'s public host name (identity.<region>.<domain>).')
param publicHostName string

@allowed([
  'none'
  'bootstrap'
  'bound'
])
param customDomainStage string

// Named apart from the property it sets, and defaulted, so that Checkov (which reads each file
// alone) sees a value: main.bicep always passes the region's own.
@description('Zone-redundant plan, where the region offers it for Flex Consumption.')
param planZoneRedundant bool = true

@description('Subnet of the stamp VNet the app\'s outbound traffic goes through (network.bicep).')
param subnetId string

// What the Functions host and the Azure SDK need, all keyless:
// - AzureWebJobsStorage__*: the host's storage through the user-assigned identity;
// - APPLICATIONINSIGHTS_*: telemetry with an Entra token (local auth is off on App Insights);
// - AZURE_CLIENT_ID: makes DefaultAzureCredential in our code (tables, secret store) pick the
//   user-assigned identity; with no system-assigned identity it would otherwise find none.
var hostSettings = {
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  AZURE_CLIENT_ID: identityClientId
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true // Linux
    // Instances spread over the region's zones; the platform then keeps at least two always-ready
    // instances whatever alwaysReady says.
    zoneRedundant: planZoneRedundant
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  // checkov:skip=CKV_AZURE_222: public by design: the sign-in routes serve any browser and the token and admin APIs serve customers' backends; every route but health and the sign-in flow needs an API key
  // checkov:skip=CKV_AZURE_17: browsers sign in here, so TLS client certificates cannot be required; apps authenticate with API keys
  // checkov:skip=CKV_AZURE_212: numberOfWorkers does not apply to Flex Consumption, which scales per function; functionAppConfig sets always-ready instances, and a zone-redundant plan keeps at least two
  name: appName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    virtualNetworkSubnetId: subnetId
    // Key Vault references (SSO_BOOTSTRAP_API_KEY) resolve with the user-assigned identity.
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      // Anonymous, 200 only when storage and the secret store answer: an instance that cannot
      // reach them is taken out of rotation and replaced.
      healthCheckPath: '/api/health'
      // The whole set, every deployment: a setting added by hand in the portal does not survive.
      appSettings: [for setting in items(union(hostSettings, ssoAppSettings)): {
        name: setting.key
        value: setting.value
      }]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        // A browser waiting on a sign-in redirect should not wait on a cold start.
        alwaysReady: alwaysReadyHttpInstances > 0 ? [
          {
            name: 'http'
            instanceCount: alwaysReadyHttpInstances
          }
        ] : []
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

// Custom domain, in the order App Service requires: the host name is bound (its CNAME and
// asuid TXT record must already exist), then the free managed certificate is issued for it, then
// the binding is switched to SNI with that certificate (a second declaration of the binding, so it
// lives in a module). 'bootstrap' does all three once; 'bound' re-declares only the certificate and
// the SNI binding, so routine deployments never flip the live binding back to plain HTTP.
resource hostNameBinding 'Microsoft.Web/sites/hostNameBindings@2024-04-01' = if (customDomainStage == 'bootstrap') {
  parent: app
  name: publicHostName
  properties: {
    siteName: app.name
    hostNameType: 'Verified'
    customHostNameDnsRecordType: 'CName'
    sslState: 'Disabled'
  }
}

resource certificate 'Microsoft.Web/certificates@2024-04-01' = if (customDomainStage != 'none') {
  name: '${publicHostName}-${app.name}'
  location: location
  tags: tags
  properties: {
    serverFarmId: plan.id
    canonicalName: publicHostName
  }
  dependsOn: [
    hostNameBinding
  ]
}

module sniBinding 'custom-domain-tls.bicep' = if (customDomainStage != 'none') {
  name: 'sni-${app.name}'
  params: {
    appName: app.name
    hostName: publicHostName
    certificateThumbprint: certificate.properties.thumbprint
  }
}

output name string = app.name
output defaultHostName string = app.properties.defaultHostName
@description('Value of the asuid.<host> TXT record that proves the custom domain is ours.')
output customDomainVerificationId string = app.properties.customDomainVerificationId
