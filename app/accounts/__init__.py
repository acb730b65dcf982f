"""Who may do what: accounts, passwords, login sessions, API tokens and keys, the audit log."""
