"""Validation of resources against their declared Table Schema (issue 17).

A resource whose ``schema`` names a schema.data.gouv.fr schema (and
optionally ``schema_version``) is validated in a background job with
frictionless, then with the French checks SCDL relies on (SIRET/SIREN keys,
INSEE commune codes). The interface is ckanext-validation's, so that its
users find their way: ``validation_status`` and ``validation_timestamp`` on
the resource, ``resource_validation_show`` / ``_run`` / ``_delete``.

- ``catalogue``: the local copy of the schemas, and its refresh;
- ``source``: a file's bytes to text (encoding, delimiter, bad input);
- ``checks``: SIREN/SIRET keys, INSEE codes against the COG;
- ``report``: frictionless' report to our stored report and its messages;
- ``store``: the report table and the resource's status extras;
- ``jobs``: the background job;
- ``logic``: actions, auth functions, the draft gate.
"""
