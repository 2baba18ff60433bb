"""Write the runtime ckan.ini from the environment (containers and systemd).

    python ckan_ini.py --base /srv/app/config/ckan.ini --out /tmp/ckan.ini

The written file chains to the base configuration (``use = config:BASE``, the
repository's config/ckan.ini: no secret, no address) and adds, from the
environment only:

- CKAN's own variables (``CKAN_SQLALCHEMY_URL``, ``CKAN_REDIS_URL``,
  ``CKAN_SITE_URL``, ``CKAN_DATASTORE_WRITE_URL`` … the list of
  ckan/config/environment.py);
- ``CKAN_SECRET_KEY``: Flask's key, the API tokens' and the CSRF key;
- ``TERRITOIRE_SEARCH``: ``postgresql`` (default, the territoire_pgsearch
  plugin) or ``solr`` (the plugin removed, ``CKAN_SOLR_URL`` required);
- ckan-docker's convention ``CKAN__X__Y=v`` -> ``ckan.x.y = v`` and
  ``CKANEXT__X__Y=v`` -> ``ckanext.x.y = v``, applied last.

Written with mode 600. The caller then drops the ``CKAN_*`` variables from
the environment: CKAN's config loader copies them into the ini defaults,
where a ``%`` in a password would break interpolation (deploy/local/devctl.sh
does the same).
"""

from __future__ import annotations

import argparse
import configparser
import os
import sys
from urllib.parse import urlsplit

# ckan/config/environment.py, CONFIG_FROM_ENV_VARS (CKAN 2.12.0)
CKAN_ENV = {
    "CKAN_SQLALCHEMY_URL": "sqlalchemy.url",
    "CKAN_DATASTORE_WRITE_URL": "ckan.datastore.write_url",
    "CKAN_DATASTORE_READ_URL": "ckan.datastore.read_url",
    "CKAN_REDIS_URL": "ckan.redis.url",
    "CKAN_SOLR_URL": "solr_url",
    "CKAN_SOLR_USER": "solr_user",
    "CKAN_SOLR_PASSWORD": "solr_password",
    "CKAN_SITE_ID": "ckan.site_id",
    "CKAN_SITE_URL": "ckan.site_url",
    "CKAN_STORAGE_PATH": "ckan.storage_path",
    "CKAN_SMTP_SERVER": "smtp.server",
    "CKAN_SMTP_STARTTLS": "smtp.starttls",
    "CKAN_SMTP_USER": "smtp.user",
    "CKAN_SMTP_PASSWORD": "smtp.password",
    "CKAN_SMTP_MAIL_FROM": "smtp.mail_from",
    "CKAN_MAX_UPLOAD_SIZE_MB": "ckan.max_resource_size",
}
REQUIRED = ("CKAN_SQLALCHEMY_URL", "CKAN_REDIS_URL", "CKAN_SITE_URL", "CKAN_SECRET_KEY")
PG_SEARCH_PLUGIN = "territoire_pgsearch"


class ConfigError(Exception):
    pass


def _base_plugins(base: str) -> list[str]:
    parser = configparser.RawConfigParser(strict=False)
    if not parser.read(base, encoding="utf-8"):
        raise ConfigError(
            f"configuration de base introuvable / base configuration not found: {base}"
        )
    return parser.get("app:main", "ckan.plugins", fallback="").split()


def settings(env: dict[str, str], base: str) -> dict[str, str]:
    """The ini keys the environment asks for, in writing order."""
    missing = [name for name in REQUIRED if not env.get(name)]
    if missing:
        raise ConfigError(
            "variables manquantes / missing variables: " + ", ".join(missing)
        )
    placeholders = [
        name
        for name, value in env.items()
        if name.startswith(("CKAN_", "CKANEXT__", "POSTGRES_")) and "change-me" in value
    ]
    if placeholders:
        # .env.example's values must never run a portal
        raise ConfigError(
            "valeurs d'exemple à remplacer / example values to replace: "
            + ", ".join(sorted(placeholders))
        )
    out: dict[str, str] = {"use": f"config:{os.path.abspath(base)}"}
    for name, key in CKAN_ENV.items():
        if env.get(name):
            out[key] = env[name]
    out.setdefault("ckan.storage_path", "/var/lib/ckan")

    secret = env["CKAN_SECRET_KEY"]
    out["SECRET_KEY"] = secret
    out["WTF_CSRF_SECRET_KEY"] = secret
    out["api_token.jwt.encode.secret"] = "string:" + secret
    out["api_token.jwt.decode.secret"] = "string:" + secret

    # ckanext-harvest reads its queue's address from its own keys
    redis = urlsplit(env["CKAN_REDIS_URL"])
    out["ckan.harvest.mq.type"] = "redis"
    out["ckan.harvest.mq.hostname"] = redis.hostname or "127.0.0.1"
    out["ckan.harvest.mq.port"] = str(redis.port or 6379)
    out["ckan.harvest.mq.redis_db"] = env.get("TERRITOIRE_HARVEST_REDIS_DB", "1")
    if redis.password:
        out["ckan.harvest.mq.password"] = redis.password
    # xloader keeps its job log in the CKAN database, not in a /tmp SQLite file
    out["ckanext.xloader.jobs_db.uri"] = env["CKAN_SQLALCHEMY_URL"]

    search = env.get("TERRITOIRE_SEARCH", "postgresql").strip().lower()
    plugins = _base_plugins(base)
    if search == "solr":
        if not env.get("CKAN_SOLR_URL"):
            raise ConfigError(
                "TERRITOIRE_SEARCH=solr demande CKAN_SOLR_URL / "
                "TERRITOIRE_SEARCH=solr needs CKAN_SOLR_URL"
            )
        out["ckan.plugins"] = " ".join(p for p in plugins if p != PG_SEARCH_PLUGIN)
    elif search in ("postgresql", "postgres", "pg", ""):
        if PG_SEARCH_PLUGIN not in plugins:
            plugins.insert(1, PG_SEARCH_PLUGIN)
        out["ckan.plugins"] = " ".join(plugins)
    else:
        raise ConfigError(
            f"TERRITOIRE_SEARCH={search!r} : postgresql ou solr / "
            "must be postgresql or solr"
        )

    for name in sorted(env):
        if name.startswith("CKAN__") and len(name) > 6:
            key = "ckan." + name[6:]
        elif name.startswith("CKANEXT__") and len(name) > 9:
            key = "ckanext." + name[9:]
        else:
            continue
        out[key.replace("__", ".").lower()] = env[name]
    return out


def render(values: dict[str, str]) -> str:
    lines = [
        "#",
        "# Generated from the environment by deploy/docker/ckan_ini.py: do not edit.",
        "#",
        "[app:main]",
    ]
    for key, value in values.items():
        # ConfigParser: a literal % is %%; continuation lines are indented
        value = value.replace("%", "%%").replace("\n", "\n    ")
        lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="base ini (config/ckan.ini)")
    parser.add_argument("--out", required=True, help="ini to write")
    args = parser.parse_args(argv)
    try:
        text = render(settings(dict(os.environ), args.base))
    except ConfigError as err:
        print(f"ckan_ini: {err}", file=sys.stderr)
        return 2
    tmp = args.out + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
