"""The portal's routers, one per audience, each declaring once who may use its routes
(`outreach.portal.access`): `auth` (logging in and setting a password: anyone; the home page
and logging out: any signed-in account), `senders` (a source's months and uploads),
`department` (the department's pages of its province) and `administration` (running the
nightly pipeline on demand: the department's officers; the accounts and the audit log:
administrators)."""
