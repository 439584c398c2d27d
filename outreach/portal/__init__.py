"""The web portal (`outreach web`): senders upload their monthly files and see every problem at
once; the department watches completeness and chases who has not reported.

It never writes the warehouse: an accepted upload goes into the inbox (the nightly run ingests
it), figures are read from the published copy. Its own small database (`store`) holds the
accounts, sessions, the audit log and the uploads: SQLite under the home by default,
PostgreSQL in production (`OUTREACH_PORTAL_DATABASE_URL`).
"""
