"""The double-entry core of timebank: banks and policies, accounts, transfers and their
life cycle, group exchanges, the pot, opening balances, rules, the audit chain and
verification. Everything that can change a balance, and nothing else. Imports no Flask,
and nothing from ``timebank.community`` or ``timebank.reports``."""
