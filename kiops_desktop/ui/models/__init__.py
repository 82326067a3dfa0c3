"""Qt item models: thin adapters from records and column specs to Qt's model interface."""
