"""Data files into the DataStore: fetch, normalise, type, load (issue 17).

``logic.py`` takes over ckanext-xloader's ``xloader_submit`` (a chained
action: xloader's triggers, auth, status action and pages stay) so that every
load runs ``load.load_resource`` on the jobs worker; ``fetch.py`` reads the
uploaded file or downloads the link through the harvesters' address guard;
``normalise.py`` turns what French collectivités publish into one UTF-8 CSV
and the column types; ``schemas.py`` finds a declared Table Schema.
"""
