"""api: see the package docstring of sfnlocal."""
