"""Backups that restore: ``ckan territoire backup create|restore DIR``.

A backup is a folder:

- ``ckan.dump`` and ``datastore.dump``: ``pg_dump`` custom-format archives of
  the CKAN and DataStore databases (harvest sources, jobs and objects live in
  the CKAN database), each taken from one snapshot;
- ``files.tar.gz`` and ``files.sha256``: the uploaded files and the portal's
  own files under ``ckan.storage_path`` (not the regenerated web assets and
  DCAT dumps), with one checksum per file;
- ``ckan.ini``: the configuration in use, secrets replaced by a placeholder;
- ``manifest.json``: versions, the row count of every table, taken in the
  same snapshot as the dump, and the checksum of every file above.

``restore`` checks every checksum before touching anything, restores each
database in one transaction, puts the files in place, then counts again and
compares with the manifest.
"""

from __future__ import annotations

from .core import BackupError, create, restore

__all__ = ["BackupError", "create", "restore"]
