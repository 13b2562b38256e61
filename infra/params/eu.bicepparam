// EU stamp: data stays in North Europe (Ireland), inside the EU.
// Values, not secrets: nothing secret belongs in a parameter file (see docs/deploy.md).
using '../main.bicep'

param region = 'eu'
param location = 'northeurope'
param publicHostName = 'identity.eu.example.com'
param regionHostNames = {
  us: 'identity.us.example.com'
  eu: 'identity.eu.example.com'
  au: 'identity.au.example.com'
}
// North Europe has availability zones for Flex Consumption and ZRS storage.
param zoneRedundant = true
// 'bootstrap' once the CNAME and asuid TXT records exist, then 'bound' (docs/deploy.md, DNS).
param customDomainStage = 'none'
