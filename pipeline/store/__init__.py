"""DuckDB storage: schema migrations, the connection, and typed reads and writes."""
