"""``python -m glassledger.schemas``: print ``docs/inputs.md`` from the schema objects."""

from glassledger.schemas._docs import markdown

print(markdown(), end="")
