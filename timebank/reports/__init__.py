"""What reads the ledger to tell someone something."""
