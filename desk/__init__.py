"""The application: use-cases over storage, and the `desk` command line."""
