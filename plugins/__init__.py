"""Built-in plugins: one package each; see docs/plugins.md."""
