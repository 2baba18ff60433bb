"""Packaging for ckanext-territoire.

The importable code lives under ``ckanext-territoire/`` (the hyphen keeps the
repository root from being importable); the scheming schemas in ``schemas/``
are installed as ``ckanext.territoire.schemas``.
"""

from setuptools import find_namespace_packages, setup

setup(
    name="ckanext-territoire",
    version="0.1.0",
    description=(
        "Plateforme régionale de données ouvertes : schémas territoriaux, "
        "moissonneurs de partenaires, export DCAT-AP et recherche PostgreSQL "
        "pour CKAN 2.12"
    ),
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="AGPL-3.0-or-later",
    python_requires=">=3.10",
    package_dir={
        "": "ckanext-territoire",
        "ckanext.territoire.schemas": "schemas",
    },
    # Every package is found, the data-only folders under ckanext/territoire
    # (templates, assets, i18n, migrations, COG data) included: a module left
    # out of a non-editable install is a production outage. MANIFEST.in lists
    # the data files; tests/test_packaging.py installs the wheel and checks.
    packages=[
        *find_namespace_packages(
            where="ckanext-territoire",
            include=["ckanext", "ckanext.*"],
            exclude=["*.__pycache__"],
        ),
        "ckanext.territoire.schemas",
        "ckanext.territoire.schemas.codelists",
    ],
    namespace_packages=["ckanext"],
    include_package_data=True,
    exclude_package_data={"": ["*.pot"]},
    install_requires=[
        "ckan[requirements]==2.12.0",
        "ckanext-scheming==3.1.0",
        "ckanext-dcat==2.4.4",
        "ckanext-harvest==1.6.3",
        "gunicorn==27.0.1",
        "jsonschema==4.26.0",
        "frictionless==5.21.0",
        # ckanext-xloader 2.6.0 itself is installed without its dependencies
        # (deploy/requirements-xloader.txt): its metadata asks for certifi,
        # idna and urllib3 newer than the exact versions CKAN 2.12.0 pins, a
        # conflict pip cannot resolve. Its code runs on CKAN's versions; the
        # libraries it really uses are listed here, at its own pins.
        "tabulator==1.53.5",
        "Unidecode==1.4.0",
        "chardet==7.6.0",
        # the developers' API: CORS on the public reads, rate limits in Redis.
        # limits (Flask-Limiter's own library) without Flask-Limiter: one
        # before_request hook of ours costs less per call. Not limits[redis]:
        # that extra caps redis-py below 8, which CKAN 2.12.0 pins; limits'
        # Redis storage runs on CKAN's redis-py.
        "flask-cors==6.0.5",
        "limits==5.8.0",
    ],
    extras_require={
        "test": [
            "pytest==9.2.0",
            "playwright==1.65.2",
            "pytest-factoryboy==2.8.1",
            "ruff==0.17.6",
            "mypy==2.4.1",
            "pyshacl==0.40.1",
            "openapi-spec-validator==0.9.0",
            "schemathesis==4.32.5",
            # a real SMTP server on 127.0.0.1 for the e-mail tests
            "aiosmtpd==1.4.6",
            "types-requests",
            "types-PyYAML",
        ],
    },
    entry_points={
        "ckan.plugins": [
            "territoire = ckanext.territoire.plugin:TerritoirePlugin",
            "territoire_pgsearch = ckanext.territoire.search.plugin:PgSearchPlugin",
            "territoire_opendatasoft = "
            "ckanext.territoire.harvesters.opendatasoft:OpendatasoftHarvester",
            "territoire_udata = ckanext.territoire.harvesters.udata:UdataHarvester",
            "territoire_scdl = ckanext.territoire.harvesters.scdl:ScdlCatalogueHarvester",
            "territoire_ckan = ckanext.territoire.harvesters.ckan:TerritoireCKANHarvester",
            "territoire_dcat_rdf = "
            "ckanext.territoire.harvesters.dcat:TerritoireDCATRDFHarvester",
        ],
        "ckan.rdf.profiles": [
            "territoire_dcat_ap = "
            "ckanext.territoire.dcat.profile:TerritoireDCATAPProfile",
        ],
        "babel.extractors": [
            "ckan = ckan.lib.extract:extract_ckan",
        ],
    },
    message_extractors={
        "ckanext-territoire/ckanext": [
            ("**.py", "python", None),
            ("**.js", "javascript", None),
            ("**/templates/**.html", "ckan", None),
            ("**/templates/**.txt", "ckan", None),
        ],
    },
)
