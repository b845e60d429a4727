"""`python -m dnallm_zoo.schemas`: rewrite list.schema.json from the current ModelSpec."""

from . import LIST_SCHEMA_FILE, render_list_schema

LIST_SCHEMA_FILE.write_text(render_list_schema(), encoding="utf-8")
print(f"wrote {LIST_SCHEMA_FILE}")
