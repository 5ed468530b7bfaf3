"""The domain core of timebank: models, pure rules and services. Imports no Flask."""
