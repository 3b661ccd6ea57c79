"""Model backends behind one protocol; see `base.Backend` and `registry.create_backend`."""
