"""Small built-in agents for dry runs and docs."""
