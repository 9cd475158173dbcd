"""Oscar's order app, forked as shops do (``oscar_fork_app order``), with a field of its own."""
