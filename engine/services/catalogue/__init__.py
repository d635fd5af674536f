"""The 事项库 in the app: entries edited on pages and versioned, imported from and exported to CSV
and XLSX, seeded from the drawn matters' ``matter.toml`` and from the sample hall, and the limits a
case runs on. Import the submodules directly (``editing``, ``tables``, ``seed``, ``limits``, ``files``)."""
