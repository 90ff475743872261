"""The `opsgraph` command line (a thin shell over `opsgraph.app`)."""
