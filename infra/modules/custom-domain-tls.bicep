// The custom host name binding with SNI TLS. A module of its own because the binding is declared
// twice during the first deployment of a domain (without TLS, then with the certificate that
// binding made possible), and one template cannot declare a resource twice.

param appName string
param hostName string
param certificateThumbprint string

resource app 'Microsoft.Web/sites@2024-04-01' existing = {
  name: appName
}

resource binding 'Microsoft.Web/sites/hostNameBindings@2024-04-01' = {
  parent: app
  name: hostName
  properties: {
    siteName: appName
    hostNameType: 'Verified'
    customHostNameDnsRecordType: 'CName'
    sslState: 'SniEnabled'
    thumbprint: certificateThumbprint
  }
}
