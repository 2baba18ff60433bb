"""The portal's vocabularies: one place for every code and what maps to it.

- ``codelists``: the code lists of ``schemas/codelists/*.json`` (EU data
  themes, frequencies, licences, file types, ADMS publisher types, the
  portal's licences): their codes, labels, URIs and form choices. The
  scheming schema, the validators, the harvesters and the DCAT profile all
  read them here.
- ``free_text``: partners' free text (theme names, frequency words, ISO
  durations, licence names and URLs, granularity words) recognised as our
  codes.
- ``partners``: the codes of partner protocols (udata ids, CKAN licence ids,
  SCDL catalogue values) mapped to ours.
"""
