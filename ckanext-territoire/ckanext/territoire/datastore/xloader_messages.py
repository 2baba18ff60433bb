"""ckanext-xloader's own messages that reach the portal's pages, in French.

xloader (2.6.0) ships no catalogue: its views hand English strings to
CKAN's gettext, and Flask-Babel looks them up in one catalogue merged from
CKAN's and every ``ITranslation`` plugin's, a later plugin's entries
overriding (``ckan/config/middleware/flask_app.py``). Listed here, they are
extracted into our catalogue, whose French translates them (msgstr in
``i18n/fr``) and whose English keeps them. Each must be xloader's text to
the letter (``tests/datastore/test_french_messages.py`` compares); what its
templates say is replaced by ours (``templates/xloader/``).
"""

from __future__ import annotations

from ..harvesters.messages import _

MESSAGES = (
    # xloader.views.delete_datastore_table, after the table is deleted
    _("DataStore and Data Dictionary deleted for resource %s"),
    # xloader.utils.resource_data, reload refused while validation is due
    # (ckanext.xloader.validation.requires_successful_report)
    _(
        "Cannot upload resource %s to the DataStore because the resource did "
        "not pass validation yet."
    ),
)
