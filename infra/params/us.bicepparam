// US stamp: data stays in East US 2.
// Values, not secrets: nothing secret belongs in a parameter file (see docs/deploy.md).
using '../main.bicep'

param region = 'us'
param location = 'eastus2'
param publicHostName = 'identity.us.example.com'
param regionHostNames = {
  us: 'identity.us.example.com'
  eu: 'identity.eu.example.com'
  au: 'identity.au.example.com'
}
// East US 2 has availability zones for Flex Consumption and ZRS storage.
param zoneRedundant = true
// 'bootstrap' once the CNAME and asuid TXT records exist, then 'bound' (docs/deploy.md, DNS).
param customDomainStage = 'none'
