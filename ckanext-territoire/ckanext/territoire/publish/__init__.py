"""The guided publication, « Publier un jeu de données » (issue 18, part 3).

- ``profiles``: the SCDL schemas the portal knows (the validation's local
  catalogue) and how each pre-fills a dataset (``schemas/codelists/
  scdl-publications.json``);
- ``template``: the empty file of a schema to fill in (CSV, XLSX), and an
  uploaded XLSX turned into the CSV the validation reads;
- ``views``: choose, download, upload, check, publish.
"""
