"""The people of a time bank and what they do beside the ledger: people and memberships,
applications and invitations, profiles and kinds of help, organisations and their staff,
offers and requests, messages and notifications. Imports no Flask; may use
``timebank.ledger`` (to record an exchange, to read an account), never the reverse."""
