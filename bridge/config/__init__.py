"""The config file: YAML loading and interpolation (load), its validated schema (schema) and connections."""
