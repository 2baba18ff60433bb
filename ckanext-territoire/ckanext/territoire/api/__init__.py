"""The developers' API surface (issue 20).

- ``openapi``: the OpenAPI 3.1 description, made from the registered actions,
  their docstrings, validation schemas and the scheming schemas;
- ``docstrings``: the reST fields of an action's docstring;
- ``views``: /api (guide, examples, try-it console), /api/openapi.json|yaml;
- ``cors``: CORS on the public reads, no cross-origin write with a cookie;
- ``ratelimit``: budgets (reads, writes) counted in Redis with ``limits``.
"""
