"""The 事项库 (matter catalogue) as plain data: entries, their checks, their table form."""
