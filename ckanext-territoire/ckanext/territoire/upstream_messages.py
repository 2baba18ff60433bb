"""The messages of CKAN and of its extensions that our catalogue translates.

CKAN's French catalogue leaves some of its own messages untranslated (and
gets a few wrong); ckanext-harvest, ckanext-scheming and ckanext-xloader ship
no French at all. Their pages are the portal's pages, so their text goes
through our catalogue: Flask-Babel merges CKAN's catalogue and then each
``ITranslation`` plugin's, in reverse ``ckan.plugins`` order, a later one
overriding the same msgid (``ckan/config/middleware/flask_app.py``,
``flask_babel.Domain.get_translations``). ``territoire`` comes first in
``ckan.plugins``, so its catalogue is merged last and wins.

Listed here, each upstream msgid is extracted by ``make i18n`` like our own
messages; ``i18n/fr`` gives its French, ``i18n/en`` keeps the English. Each
must be the upstream text to the letter: ``tests/test_upstream_messages.py``
finds every one in the installed sources. Nothing here runs at request time.
"""

from __future__ import annotations


def _(msgid: str) -> str:
    """Marks an upstream message for extraction (pybabel's ``_`` keyword)."""
    return msgid


def ngettext(singular: str, plural: str, n: int) -> tuple[str, str]:
    """Marks an upstream plural message (pybabel's ``ngettext`` keyword)."""
    return singular, plural


# CKAN 2.12 itself: its templates and views, and the plugins it ships
# (activity, datastore, datatables_view).
CKAN = (
    # ckan/templates/error_document_template.html
    _("You might need to login to access this page."),
    _("Click here to login"),
    # ckan/templates/header.html
    _("View dashboard"),
    _("Profile settings"),
    _("Account"),
    _("Navigate to Home - {site_title}"),
    _("Toggle navigation"),
    _("Search Datasets..."),
    _("Submit"),
    # ckan/templates/page.html
    _("Skip to main content"),
    _("Breadcrumb"),
    # ckan/templates/admin/config.html
    _("Custom Stylesheet"),
    _(
        "<p><strong>Site Title:</strong> This is the title of this CKAN instance "
        "It appears in various places throughout CKAN.</p> <p><strong>Custom "
        "Stylesheet:</strong> Define an alternative main CSS file.</p> "
        "<p><strong>Site Tag Logo:</strong> This is the logo that appears in the "
        "header of all the CKAN instance templates.</p> "
        "<p><strong>About:</strong> This text will appear on this CKAN instances "
        '<a href="%(about_url)s">about page</a>.</p> <p><strong>Intro '
        "Text:</strong> This text will appear on this CKAN instances <a "
        'href="%(home_url)s">home page</a> as a welcome to visitors.</p> '
        "<p><strong>Custom CSS:</strong> This is a block of CSS that appears in "
        "<code>&lt;head&gt;</code> tag of every page. If you wish to customize "
        'the templates more fully we recommend <a href="%(docs_url)s" '
        'target="_blank" rel="noreferrer">reading the documentation</a>.</p>'
    ),
    # ckan/templates/admin/index.html
    _("Current Sysadmins"),
    _("Revoke Sysadmin permission"),
    _("Promote user to Sysadmin"),
    _("Promote"),
    _(
        "<p>As a sysadmin user you have full control over this CKAN instance. "
        "Proceed with care!</p> <p>For guidance on using sysadmin features, see "
        'the CKAN <a href="%(docs_url)s" target="_blank" '
        'rel="noreferrer">sysadmin guide</a></p>'
    ),
    # ckan/templates/admin/trash.html
    _("Are you sure you want to purge everything?"),
    _("Purge all"),
    _("Purge deleted datasets, organizations or groups forever and irreversibly."),
    # ckan/templates/admin/snippets/data_type.html
    _("Deleted datasets"),
    _("Deleted organizations"),
    _("Deleted groups"),
    _("Navigate to dataset: {title}"),
    # ckan/templates/group/index.html
    _("There are currently no groups for this site."),
    # ckan/templates/group/manage_members.html
    _("Edit role"),
    _("Edit the role of the user within the group"),
    _("Delete member"),
    _("Delete this member from the group"),
    # ckan/templates/group/snippets/group_item.html
    _("0 Members"),
    _("Open details page for {name}"),
    _("Unlink {name} from the dataset"),
    # ckan/templates/home/snippets/about_text.html
    _(
        "<p>CKAN is the world’s leading open-source data portal platform.</p> "
        "<p>CKAN is a complete out-of-the-box software solution that makes data "
        "accessible and usable – by providing tools to streamline publishing, "
        "sharing, finding and using data (including storage of data and provision "
        "of robust data APIs). CKAN is aimed at data publishers (national and "
        "regional governments, companies and organizations) wanting to make their "
        "data open and available.</p> <p>CKAN is used by governments and user "
        "groups worldwide and powers a variety of official and community data "
        "portals including portals for local, national and international "
        "government, such as the UK’s <a "
        'href="https://data.gov.uk">data.gov.uk</a> and the United States <a '
        'href="https://catalog.data.gov/">catalog.data.gov</a>, the Brazilian <a '
        'href="https://dados.gov.br/">dados.gov.br</a>, Dutch and Netherland '
        "government portals, as well as city and municipal sites in the US, UK, "
        "Argentina, Finland and elsewhere.</p> <p>CKAN: <a "
        'href="https://ckan.org/">https://ckan.org/</a><br /> CKAN Showcases: <a '
        'href="https://ckan.org/showcase">https://ckan.org/showcase</a><br /> '
        "Features overview: <a "
        'href="https://ckan.org/features/">https://ckan.org/features/</a></p>'
    ),
    # ckan/templates/home/snippets/search.html
    _("Search datasets with the tag: {tag}"),
    # ckan/templates/macros/form/custom.html
    _("Key"),
    # ckan/templates/macros/form/markdown.html
    _(
        'You can use <a href="#markdown" title="Markdown quick reference" '
        'data-bs-toggle="popover" data-bs-content="%(markdown_tooltip)s" '
        'data-bs-html="true">Markdown formatting</a> here'
    ),
    # ckan/templates/organization/bulk_process.html
    _("Open details page for dataset - {title}"),
    ngettext(
        '%(count)s dataset found for "%(query)s".',
        '%(count)s datasets found for "%(query)s".',
        2,
    ),
    ngettext("%(count)s dataset found.", "%(count)s datasets found.", 2),
    # ckan/templates/organization/manage_members.html
    _("Edit the role of the user within the organization"),
    _("Delete this member from the organization"),
    # ckan/templates/organization/snippets/info.html
    _("There is no description for this organization."),
    # ckan/templates/package/edit_base.html
    _("Collaborators"),
    # ckan/templates/package/group_list.html
    _("There are no groups associated with this dataset."),
    # ckan/templates/package/resource_read.html
    _("Current resource: {name}"),
    _("Resource URL: {url}"),
    _("Dataset description:"),
    # ckan/templates/package/collaborators/collaborator_new.html
    _("Edit Collaborator"),
    _("Add Collaborator"),
    _("Back to all collaborators"),
    _("Are you sure you want to delete this collaborator?"),
    _("Update Collaborator"),
    _("What are the available roles?"),
    _(
        "<p><strong>Admin:</strong> In addition to managing the dataset, admins "
        "can add and remove collaborators from a dataset.</p>"
    ),
    _(
        "<p><strong>Editor:</strong> Editors can edit the dataset and its "
        "resources, as well accessing the dataset if private.</p> "
        "<p><strong>Member:</strong> Members can access the dataset if private, "
        "but not edit it.</p>"
    ),
    # ckan/templates/package/collaborators/collaborators.html
    _("Add Collaborators"),
    _("Delete collaborator"),
    _("Delete this collaborator from the dataset"),
    ngettext("{count} collaborator", "{count} collaborators", 2),
    # ckan/templates/package/collaborators/confirm_delete.html
    _("Are you sure you want to delete collaborator - {name}?"),
    # ckan/templates/package/snippets/package_basic_fields.html
    _("Please select the license"),
    _("No Organization"),
    # ckan/templates/package/snippets/package_form.html
    _("Unpublish"),
    # ckan/templates/package/snippets/resource_form.html
    _("Publish"),
    # ckan/templates/package/snippets/resource_item.html
    _("Navigate to resource: {name_or_id}"),
    # ckan/templates/package/snippets/resource_view.html
    _("Close modal"),
    # ckan/templates/package/snippets/resources.html
    _("Navigate to resource: {name}"),
    _("Manage resource: {name}"),
    # ckan/templates/package/snippets/search_facets.html
    _("close"),
    # ckan/templates/snippets/facet_list.html
    _("Filter by: {title}"),
    _("Search datasets by {name}: {label}"),
    # ckan/templates/snippets/package_item.html
    _("There is no description for this dataset."),
    # ckan/templates/snippets/search_form.html
    _("Remove applied filter: {value}"),
    # ckan/templates/snippets/tag_list.html
    _("Search datasets with the tag: {name}"),
    # ckan/templates/user/api_tokens.html
    _("API Tokens"),
    # ckan/templates/user/confirm_delete.html
    _("Are you sure you want to delete user - {name}?"),
    # ckan/templates/user/edit_user_form.html
    _("Profile picture"),
    _("Profile picture URL"),
    _("Reactivate User"),
    _(
        "This account is deactivated, if you want to reactivate it, please click "
        "on checkbox."
    ),
    _("Sysadmin password"),
    _("Reactivate Profile"),
    # ckan/templates/user/read_groups.html
    _("User isn't a member of any groups."),
    # ckan/templates/user/read_organizations.html
    _("User isn't a member of any organizations."),
    # ckan/templates/user/request_reset.html
    _("Request Reset"),
    # ckan/templates/user/snippets/api_token_create_form.html
    _("Copy to clipboard"),
    _(
        'API Token created: <code style="word-break:break-all;">{token}</code> '
        "{copy}<br>Make sure to copy it now, you won't be able to see it again!"
    ),
    # ckan/templates/user/snippets/api_token_list.html
    _("Are you sure you want to revoke these tokens?"),
    _("Revoke tokens"),
    # ckan/templates/user/snippets/info.html
    _("This information is visible to you and admins"),
    _("Last Active"),
    # ckan/templates/user/snippets/login_form.html
    _("Username or Email"),
    # ckan/lib/helpers.py
    _("Add {object_type}"),
    _("Add to {object_type}"),
    _("{object_type}s"),
    _("Create {object_type}"),
    _("Are you sure you want to delete this {object_type}?"),
    _("A little information about my {object_type}..."),
    _("Edit {object_type}"),
    _("{object_type} Form"),
    _("My {object_type}s"),
    _("View {object_type}"),
    _("My {object_type}"),
    _("There are currently no {object_type}s for this site."),
    _("There are no {object_type}s associated with this dataset."),
    _("There is no description for this {object_type}."),
    _("No {object_type}"),
    _("Save {object_type}"),
    _("Search {object_type}s..."),
    _("You are not a member of any {object_type}s."),
    _("User isn't a member of any {object_type}s."),
    _("Update {object_type}"),
    # ckan/lib/navl/validators.py
    _("Please enter a floating point value"),
    # ckan/logic/validators.py
    _("You cannot move this dataset to another organization"),
    _("Cannot change value of key from %(old)s to %(new)s. This key is read-only"),
    _("Must be a positive integer"),
    _("Must be a float timestamp"),
    _("Resource id already exists."),
    _("Id already exists"),
    _("ResourceView id already exists"),
    _("Dataset not found: %s"),
    _("Resource not found: %s"),
    _("Invalid id provided"),
    _("User not found: %s"),
    _("Group not found: %s"),
    _(
        'Tag "%s" can only contain alphanumeric characters, spaces (" "), hyphens '
        '("-"), underscores ("_") or dots (".")'
    ),
    _("Cannot modify your own sysadmin privileges"),
    _("Cannot modify sysadmin privileges for system user"),
    _(
        "The username is already associated with another account. Please use a "
        "different username."
    ),
    _("Not a string: %s"),
    _("Must be a dict"),
    _("The email address '{email}' belongs to a registered user."),
    _("Value must be one of %s"),
    _("Value must be boolean or one of: %s"),
    _("The value should be a valid JSON object"),
    _("Could not parse the value as a valid JSON object"),
    _("Could not parse extra '{name}' as valid JSON"),
    _("Must start with {prefix}"),
    _("Must start with any of the prefixes: {prefixes}"),
    # ckan/logic/action/create.py
    _('Role must be one of "{}"'),
    _("Dataset collaborators not enabled"),
    _("Error sending the invite email, the user was not created: {0}"),
    _("Error validating the schema of the user to follow."),
    _("Error validating the schema of the dataset to follow."),
    _("Error validating the schema of the group to follow."),
    # ckan/logic/action/delete.py
    _("Package not found"),
    _("Error validating the schema of the object to unfollow."),
    # ckan/logic/action/get.py
    _('Capacity must be one of "{}"'),
    _("Not allowed to retrieve collaborators"),
    # ckan/logic/action/update.py
    _("Resource view was not found."),
    _("Must supply order as a list"),
    _("No duplicates allowed in order"),
    _("View %(view)s does not exist"),
    _("resource_id %(id)s can not be found"),
    _("Subject package %s was not found."),
    _("Object package %s was not found."),
    _("This relationship between the packages was not found."),
    _("Type cannot be updated"),
    _("User was not found."),
    _("Must be a list of dicts"),
    _("%s rows updated"),
    _("Configuration option(s) '%(opts)s' can not be updated"),
    # ckan/logic/auth/create.py
    _("User %s not authorized to add collaborators to this dataset"),
    _("You must be logged in to follow groups"),
    _("You must be logged in to follow datasets"),
    # ckan/logic/auth/delete.py
    _("User %s not authorized to remove collaborators from this dataset"),
    _("You must be logged in to unfollow groups"),
    _("You must be logged in to unfollow datasets"),
    _("You must be logged in to unfollow users"),
    # ckan/logic/auth/get.py
    _("User %s not authorized to list collaborators from this dataset"),
    # ckan/views/admin.py
    _("Are you sure you want to purge datasets?"),
    _("Are you sure you want to purge organizations?"),
    _("Are you sure you want to purge groups?"),
    _("{number} datasets have been purged"),
    _("{number} organizations have been purged"),
    _("{number} groups have been purged"),
    _("There are no datasets to purge"),
    _("There are no organizations to purge"),
    _("There are no groups to purge"),
    _("Massive purge complete"),
    # ckan/views/api.py
    _("Bad request: %s"),
    _("Access denied: %s"),
    _("Not found: %s"),
    # ckan/views/dataset.py
    _("Dataset not found or you have no permission to view it"),
    _("Unauthorized to read package"),
    _("Unauthorized to read collaborators {}"),
    _("Unauthorized to delete collaborators {}"),
    _("User removed from collaborators"),
    _("Unauthorized to edit collaborators {}"),
    _("User added to collaborators"),
    # ckan/views/group.py
    _("Not authorized to access {group} members download"),
    _("Members not found"),
    _("N/A"),
    _("You are no longer a member of this group."),
    _("Unauthorized to access"),
    # ckan/views/resource.py
    _("Not authorized to download resource"),
    _("No resource data entered"),
    # ckan/views/user.py
    _("Unauthorized to view API tokens."),
    _("Unauthorized to create API tokens."),
    _("Unauthorized to revoke API tokens."),
    _("Login failed. Bad username or password or CAPTCHA."),
    _("Not authorized to promote user to sysadmin"),
    _("Promoted {} to sysadmin"),
    _("Revoked sysadmin permission from {}"),
    # ckan/views/util.py
    _("Invalid URL"),
    # ckanext/activity/views.py
    _("Activity not found"),
    _("Unauthorized to view activity data"),
    _("The detail of this dataset activity is not available"),
    _("Invalid parameters"),
    # ckanext/activity/logic/action.py
    _("No activities found matching the specified criteria."),
    _("Activity purged"),
    _("start_date cannot be greater than end_date."),
    _(
        "No activities found matching the specified criteria. Please provide "
        "either start_date and end_date or offset_days."
    ),
    _("Deleted {amount} rows from the activity table."),
    # ckanext/activity/templates/admin/activities.html
    _("Activities"),
    _("Purge activities by age. Use 'ckan clean activities' via CLI for more options."),
    _("Delete activities older than a day"),
    _("Delete {count} activities older than a day? This cannot be undone."),
    _("Delete activities older than a month"),
    _("Delete {count} activities older than a month? This cannot be undone."),
    _("Delete activities older than a year"),
    _("Delete {count} activities older than a year? This cannot be undone."),
    _("Delete all activities"),
    _("Delete all {count} activities? This cannot be undone."),
    _("Delete all"),
    _(
        "Purge activity stream entries by age. Each option shows how many "
        "activities would be deleted. Purging is irreversible."
    ),
    # ckanext/activity/templates/group/changes.html
    _("View changes from %(old_select)s to %(new_select)s"),
    _("Show metadata diff"),
    _("Hide metadata diff"),
    # ckanext/activity/templates/group/snippets/item_group.html
    _("On %(timestamp)s, %(username)s:"),
    # ckanext/activity/templates/package/history.html
    _(
        "You're currently viewing an old version of this dataset. Data files may "
        'not match the old version of the metadata. <a href="%(url)s">View the '
        "current version</a>."
    ),
    # ckanext/activity/templates/snippets/activity_stream.html
    _("No activity found for this type"),
    _("No activity found"),
    # ckanext/activity/templates/snippets/activity_type_selector.html
    _("All activity types"),
    # ckanext/activity/templates/snippets/pagination.html
    _("Newer activities"),
    _("Older activities"),
    # ckanext/activity/templates/snippets/activities/added_tag.html
    _("Activity occurred on: {time}"),
    # ckanext/activity/templates/snippets/activities/changed_package.html
    _("{actor} updated the {dataset_type} {dataset}"),
    _("View this version"),
    # ckanext/activity/templates/snippets/activities/changed_resource_view.html
    _("{actor} updated resource view {view_link}"),
    # ckanext/activity/templates/snippets/activities/deleted_package.html
    _("{actor} deleted the {dataset_type} {dataset}"),
    # ckanext/activity/templates/snippets/activities/deleted_resource_view.html
    _('{actor} deleted resource view "{view_title}" for resource {resource_link}'),
    # ckanext/activity/templates/snippets/activities/fallback.html
    _("{actor} {activity_type}"),
    # ckanext/activity/templates/snippets/activities/new_package.html
    _("{actor} created the {dataset_type} {dataset}"),
    # ckanext/activity/templates/snippets/activities/new_resource_view.html
    _("{actor} created resource view {view_link}"),
    # ckanext/activity/templates/snippets/changes/author.html
    _("Set author of {pkg_link} to {new_author} (previously {old_author})"),
    _("Set author of {pkg_link} to {new_author}"),
    _("Removed author from {pkg_link}"),
    _("No fields were updated. See the metadata diff for more details."),
    # ckanext/activity/templates/snippets/changes/author_email.html
    _(
        'Set author email of <a href="%(pkg_link)s">%(title)s</a> to <a '
        'href="mailto:%(new_email)s">%(new_email)s</a> (previously <a '
        'href="mailto:%(old_email)s">%(old_email)s</a>).'
    ),
    _(
        'Set author email of <a href="%(pkg_link)s">%(title)s</a> to <a '
        'href="mailto:%(new_email)s">%(new_email)s</a>.'
    ),
    _('Removed author email from <a href="%(pkg_link)s">%(title)s</a>.'),
    # ckanext/activity/templates/snippets/changes/delete_resource.html
    _("Deleted resource {resource_link} from {pkg_link}"),
    # ckanext/activity/templates/snippets/changes/extension_fields.html
    _("Changed value of field <q>{key}</q> to <q>{value}</q> in {pkg_link}"),
    # ckanext/activity/templates/snippets/changes/extra_fields.html
    _("Added field <q>{key}</q> with value <q>{value}</q> to {pkg_link}"),
    _("Added field <q>{key}</q> to {pkg_link}"),
    _("Added the following fields to {pkg_link}"),
    _("{key} with value {value}"),
    _("{key}"),
    _(
        "Changed value of field <q>{key}</q> to <q>{new_val}</q> (previously "
        "<q>{old_val}</q>) in {pkg_link}"
    ),
    _("Changed value of field <q>{key}</q> to <q>{new_val}</q> in {pkg_link}"),
    _("Removed field <q>{key}</q> from {pkg_link}"),
    _("Removed the following fields from {pkg_link}"),
    _("<q>{key}</q>"),
    # ckanext/activity/templates/snippets/changes/license.html
    _(
        'Changed the license of <a href="%(pkg_link)s">%(title)s</a> to <a '
        'href="%(new_url)s">%(new_license)s</a> (previously <a '
        'href="%(old_url)s">%(old_license)s</a>).'
    ),
    _(
        'Changed the license of <a href="%(pkg_link)s">%(title)s</a> to <a '
        'href="%(new_url)s">%(new_license)s</a> (previously %(old_license)s).'
    ),
    _(
        'Changed the license of <a href="%(pkg_link)s">%(title)s</a> to '
        '%(new_license)s (previously <a href="%(old_url)s">%(old_license)s</a>).'
    ),
    _(
        'Changed the license of <a href="%(pkg_link)s">%(title)s</a> to '
        "%(new_license)s (previously %(old_license)s)."
    ),
    # ckanext/activity/templates/snippets/changes/maintainer.html
    _("Set maintainer of {pkg_link} to {new_maintainer} (previously {old_maintainer})"),
    _("Set maintainer of {pkg_link} to {new_maintainer}"),
    _("Removed maintainer from {pkg_link}"),
    # ckanext/activity/templates/snippets/changes/maintainer_email.html
    _(
        'Set maintainer email of <a href="%(pkg_link)s">%(title)s</a> to <a '
        'href="mailto:%(new_maintainer_email)s">%(new_maintainer_email)s</a> '
        "(previously <a "
        'href="mailto:%(old_maintainer_email)s">%(old_maintainer_email)s</a>).'
    ),
    _(
        'Set maintainer email of <a href="%(pkg_link)s">%(title)s</a> to <a '
        'href="mailto:%(new_maintainer_email)s">%(new_maintainer_email)s</a>.'
    ),
    _('Removed maintainer email from <a href="%(pkg_link)s">%(title)s</a>.'),
    # ckanext/activity/templates/snippets/changes/name.html
    _(
        'Moved <a href="%(pkg_link)s">%(title)s</a> from <a '
        'href="%(old_url)s">%(old_url)s</a> to <a '
        'href="%(new_url)s">%(new_url)s</a>.'
    ),
    # ckanext/activity/templates/snippets/changes/new_file.html
    _("Uploaded a new file to resource {resource_link} in {pkg_link}"),
    # ckanext/activity/templates/snippets/changes/new_resource.html
    _("Added resource {resource_link} to {pkg_link}"),
    # ckanext/activity/templates/snippets/changes/notes.html
    _(
        "Updated description of {pkg_link} from <br "
        'class="line-height2"><blockquote>{old_notes}</blockquote> to <br '
        'class="line-height2"><blockquote>{new_notes}</blockquote>'
    ),
    _(
        "Updated description of {pkg_link} to <br "
        'class="line-height2"><blockquote>{new_notes}</blockquote>'
    ),
    _("Removed description from {pkg_link}"),
    # ckanext/activity/templates/snippets/changes/org.html
    _(
        "Moved {pkg_link} from organization {old_org_link} to organization "
        "{new_org_link}"
    ),
    _("Removed {pkg_link} from organization {old_org_link}"),
    _("Added {pkg_link} to organization {new_org_link}"),
    # ckanext/activity/templates/snippets/changes/private.html
    _("Set visibility of {pkg_link} to {visibility}"),
    # ckanext/activity/templates/snippets/changes/resource_desc.html
    _(
        "Updated description of resource {resource_link} in {pkg_link} to <br "
        'class="line-height2"><blockquote>{new_desc}</blockquote>'
    ),
    _("Removed description from resource {resource_link} in {pkg_link}"),
    _(
        "Updated description of resource {resource_link} in {pkg_link} from <br "
        'class="line-height2"><blockquote>{old_desc}</blockquote> to <br '
        'class="line-height2"><blockquote>{new_desc}</blockquote>'
    ),
    # ckanext/activity/templates/snippets/changes/resource_extras.html
    _(
        "Added field <q>{key}</q> with value <q>{value}</q> to resource "
        "{resource_link} in {pkg_link}"
    ),
    _("Added field <q>{key}</q> to resource {resource_link} in {pkg_link}"),
    _("Added the following fields to resource {resource_link} in {pkg_link}"),
    _("Removed field <q>{key}</q> from resource {resource_link} in {pkg_link}"),
    _("Removed the following fields from resource {resource_link} in {pkg_link}"),
    _(
        "Changed value of field <q>{key}</q> of resource {resource_link} to "
        "<q>{new_val}</q> (previously <q>{old_val}</q>) in {pkg_link}"
    ),
    _(
        "Changed value of field <q>{key}</q> to <q>{new_val}</q> in resource "
        "{resource_link} in {pkg_link}"
    ),
    _(
        "Removed the value of field <q>{key}</q> in resource {resource_link} in "
        "{pkg_link}"
    ),
    # ckanext/activity/templates/snippets/changes/resource_format.html
    _(
        'Set format of resource <a href="%(resource_url)s">%(resource_name)s</a> '
        'to <a href="%(format_url)s">%(format)s</a> in <a '
        'href="%(pkg_link)s">%(title)s</a>.'
    ),
    _(
        'Set format of resource <a href="%(resource_url)s">%(resource_name)s</a> '
        'to <a href="%(new_format_url)s">%(new_format)s</a> (previously <a '
        'href="%(old_format_url)s">%(old_format)s</a>).'
    ),
    # ckanext/activity/templates/snippets/changes/resource_name.html
    _("Renamed resource {old_resource_link} to {new_resource_link} in {pkg_link}"),
    # ckanext/activity/templates/snippets/changes/tags.html
    _("Removed tag {tag_link} from {pkg_link}"),
    _("Removed the following tags from {pkg_link}"),
    _("{tag_link}"),
    _("Added tag {tag_link} to {pkg_link}"),
    _("Added the following tags to {pkg_link}"),
    # ckanext/activity/templates/snippets/changes/title.html
    _("Changed title to {title_link} (previously {old_title})"),
    # ckanext/activity/templates/snippets/changes/url.html
    _(
        'Changed the source URL of <a href="%(pkg_link)s">%(title)s</a> from <a '
        'href="%(old_src_url)s">%(old_src_url)s</a> to <a '
        'href="%(new_src_url)s">%(new_src_url)s</a>.'
    ),
    _('Removed the source URL from <a href="%(pkg_link)s">%(title)s</a>.'),
    _(
        'Changed the source URL of <a href="%(pkg_link)s">%(title)s</a> to <a '
        'href="%(new_src_url)s">%(new_src_url)s</a>.'
    ),
    # ckanext/activity/templates/snippets/changes/version.html
    _("Changed the version of {pkg_link} to {new_version} (previously {old_version})"),
    _("Removed the version from {pkg_link}"),
    _("Changed the version of {pkg_link} to {new_version}"),
    # ckanext/activity/templates/snippets/group_changes/description.html
    _(
        "Updated description of {group_link} from <br "
        'class="line-height2"><blockquote>{old_description}</blockquote> to <br '
        'class="line-height2"><blockquote>{new_description}</blockquote>'
    ),
    _(
        "Updated description of {group_link} to <br "
        'class="line-height2"><blockquote>{new_description}</blockquote>'
    ),
    _("Removed description from {group_link}"),
    # ckanext/activity/templates/snippets/group_changes/image_url.html
    _(
        'Changed the image URL of <a href="%(group_link)s">%(title)s</a> from <a '
        'href="%(old_url)s">%(old_url)s</a> to <a '
        'href="%(new_url)s">%(new_url)s</a>.'
    ),
    _('Removed the image URL from <a href="%(group_link)s">%(title)s</a>.'),
    _(
        'Changed the image URL of <a href="%(group_link)s">%(title)s</a> to <a '
        'href="%(new_url)s">%(new_url)s</a>.'
    ),
    # ckanext/activity/templates/snippets/organization_changes/description.html
    _(
        "Updated description of {org_link} from <br "
        'class="line-height2"><blockquote>{old_description}</blockquote> to <br '
        'class="line-height2"><blockquote>{new_description}</blockquote>'
    ),
    _(
        "Updated description of {org_link} to <br "
        'class="line-height2"><blockquote>{new_description}</blockquote>'
    ),
    _("Removed description from {org_link}"),
    # ckanext/activity/templates/snippets/organization_changes/image_url.html
    _(
        'Changed the image URL of <a href="%(org_link)s">%(title)s</a> from <a '
        'href="%(old_url)s">%(old_url)s</a> to <a '
        'href="%(new_url)s">%(new_url)s</a>.'
    ),
    _('Removed the image URL from <a href="%(org_link)s">%(title)s</a>.'),
    _(
        'Changed the image URL of <a href="%(org_link)s">%(title)s</a> to <a '
        'href="%(new_url)s">%(new_url)s</a>.'
    ),
    # ckanext/activity/templates/user/snippets/followee_dropdown.html
    _("Search followee"),
    # ckanext/datastore/blueprint.py
    _("Unsupported format"),
    _("Field %d"),
    # ckanext/datastore/logic/action.py
    _('Resource/Alias "{0}" was not found.'),
    # ckanext/datastore/logic/auth.py
    _("User {0} not authorized to perform {1} on resource {2}"),
    # ckanext/datastore/logic/validators.py
    _('"{0}" is not a valid field name'),
    # ckanext/datastore/templates/datastore/dictionary.html
    _("Edit Data Dictionary"),
    # ckanext/datastore/templates/datastore/api_examples/python.html
    _('(using the <a href="%(url)s">ckanapi</a> client library)'),
    # ckanext/datastore/templates/datastore/snippets/api_info.html
    _("Access resource data via a web API with powerful query support."),
    _(
        'Further information in the <a href="%(url)s" target="_blank">main CKAN '
        "Data API and DataStore documentation</a>.</p>"
    ),
    _("Code examples:"),
    _('Get 5 results containing "jones" in any field:'),
    _(
        'Get results with either "watershed" or "survey" as subject and "active" '
        "as its stage:"
    ),
    # ckanext/datastore/templates/datastore/snippets/dictionary_view.html
    _("ID"),
    # ckanext/datatablesview/templates/datatables/datatables_form.html
    _("List view/Responsive display"),
    _("Ellipsis length"),
    _(
        "Length at which data will be truncated with an ellipsis for display. Set "
        "to zero for no truncation, and for data to be wrapped at column name "
        "width instead."
    ),
    _("Date format"),
    _(
        "Moment.js date format to use for displaying dates (see <a "
        'href="https://devhints.io/moment#formatting-1" target="_blank">Moment.js '
        "cheatsheet</a>). If <b>NONE</b>, the raw timestamp value will be shown."
    ),
    _("Show All"),
    _("Hide All"),
    # ckanext/datatablesview/templates/datatables/datatables_view.html
    _("Refit"),
    # ckan/templates/snippets/search_form.html (CKAN's French misses an accent)
    _("Filter Results"),
    # ckan/templates/snippets/search_form.html, language_selector.html (CKAN's
    # French keeps « Go »)
    _("Go"),
    # ckan/templates/snippets/social.html (CKAN's French keeps « Social »)
    _("Social"),
    # ckan/templates/header.html (CKAN's French: « Réglages sysadmin »)
    _("Sysadmin settings"),
    # ckan/views/dataset.py, group.py, home.py (CKAN's French: « Licenses »)
    _("Licenses"),
    # ckan/templates/organization/members.html (CKAN's French: « 1 membre : 1 membres »)
    ngettext("{count} member", "{count} members", 2),
    # ckan/templates/group/snippets/group_item.html, organization/snippets/organization_item.html
    ngettext("{num} Member", "{num} Members", 2),
)

# ckanext-harvest 1.6.3: its screens, flash messages and refusals.
CKANEXT_HARVEST = (
    # ckanext/harvest/utils.py
    _("Harvest source not found"),
    _("No jobs yet for this source"),
    _("Harvest job not found"),
    _("Harvest job stopped"),
    _("Harvest will start shortly. Refresh this page for updates."),
    _(
        "Cannot create new harvest jobs on inactive sources. First, please change "
        'the source status to "active".'
    ),
    _("A harvest job has already been scheduled for this source"),
    _("Harvest source cleared"),
    _("Harvesting source successfully cleared"),
    _("Harvesting source successfully inactivated"),
    _("No content found"),
    # ckanext/harvest/logic/action/update.py
    _("Error Summary"),
    _("Document Error"),
    _("Job Errors"),
    # ckanext/harvest/logic/auth/create.py
    _("User {0} not authorized to create harvest sources"),
    _("User not authorized to create a job for source {0}"),
    _("Only sysadmins can create harvest jobs for all sources"),
    _("Only the sysadmins can create harvest objects"),
    # ckanext/harvest/logic/auth/delete.py
    _("User {0} not authorized to delete harvest source {1}"),
    # ckanext/harvest/logic/auth/get.py
    _("User {0} not authorized to read harvest source {1}"),
    _("User {0} not authorized to see jobs from source {1}"),
    _("User {0} not authorized to list jobs for source {1}"),
    # ckanext/harvest/logic/auth/update.py
    _("User {0} not authorized to update harvest source {1}"),
    _("Only sysadmins can clear history for all harvest jobs"),
    _("Only sysadmins can reimport all harvest objects"),
    _("Only sysadmins can run the pending harvest jobs"),
    _("Only sysadmins can reindex all harvest sources"),
    # ckanext/harvest/templates/admin/base.html
    _("Harvest"),
    # ckanext/harvest/templates/snippets/add_source_button.html
    _("Add Harvest Source"),
    # ckanext/harvest/templates/snippets/job_details.html
    _("errors"),
    _("Id"),
    _("Started"),
    _("Finished"),
    # ckanext/harvest/templates/snippets/job_error_summary.html
    _("Count"),
    _("Message"),
    # ckanext/harvest/templates/snippets/package_list_empty.html
    _("There are no datasets associated to this harvest source."),
    # ckanext/harvest/templates/snippets/search_result_text.html
    ngettext(
        '{number} harvest source found for "{query}"',
        '{number} harvest sources found for "{query}"',
        2,
    ),
    _('Sorry no harvest sources found for "{query}"'),
    ngettext("{number} harvest source found", "{number} harvest sources found", 2),
    _("Sorry no harvest sources found"),
    # ckanext/harvest/templates/snippets/source_item.html
    _("There is no description for this harvest source"),
    # ckanext/harvest/templates/source/admin.html
    _("Last Harvest Job"),
    _("View full job report"),
    # ckanext/harvest/templates/source/admin_base.html
    _(
        "This will re-run the harvesting for this source. Any updates at the "
        "source will overwrite the local datasets. Sources with a large number of "
        "datasets may take a significant amount of time to finish harvesting. "
        "Please confirm you would like us to start reharvesting."
    ),
    _("Start a new harvesting job for this harvest source now"),
    _("Reharvest"),
    _("Stop"),
    _(
        "Warning: This will remove all datasets for this source, as well as all "
        "previous job reports. Are you sure you want to continue?"
    ),
    _("Delete all harvest jobs and existing datasets from this source"),
    _("Clear"),
    _("View harvest source"),
    _("Jobs"),
    # ckanext/harvest/templates/source/base.html
    _("Harvest Sources"),
    # ckanext/harvest/templates/source/edit.html
    _("Edit harvest source"),
    # ckanext/harvest/templates/source/new.html
    _("Create Harvest Source"),
    _("Create harvest source"),
    _("Harvest sources"),
    _(
        "Harvest sources allow importing remote metadata into this catalog. "
        "Remote sources can be other catalogs such as other CKAN instances, CSW "
        "servers or Web Accessible Folders (WAF) (depending on the actual "
        "harvesters enabled for this instance)."
    ),
    # ckanext/harvest/templates/source/new_source_form.html
    _("This should include the http:// part of the URL"),
    _("Update frequency"),
    _("Configuration"),
    _("No organization"),
    _(
        "This will flag the source as deleted but keep all its datasets and "
        "previous jobs. Are you sure you want to delete this harvest source?"
    ),
    _(
        "Warning: Apart from deleting this source, this command will remove all "
        "its datasets, as well as all previous job reports. Are you sure you want "
        "to continue?"
    ),
    _("Delete source"),
    _("Delete and clear source"),
    # ckanext/harvest/templates/source/search.html
    _("Search harvest sources..."),
    # ckanext/harvest/templates/source/job/list.html
    _("Harvest Jobs"),
    _("Job: "),
    _("Started:"),
    _("Not yet"),
    _("Finished:"),
    # ckanext/harvest/templates/source/job/read.html
    _("Job Report"),
    _("Back to job list"),
    _("No errors for this job"),
    _("Only the 20 most frequent errors are shown"),
    _("Document Errors"),
    _("Error Report"),
    _("documents with errors"),
    _("Remote content"),
    _("Local content"),
)

# ckanext-scheming 3.1.0: its form snippets and validators.
CKANEXT_SCHEMING = (
    # ckanext/scheming/validation.py
    _('unexpected choice "%s"'),
    _("expecting list of strings"),
    _("Select at least one"),
    _("Time format incorrect"),
    _("Date is required when a time is provided"),
    _("Unsupported value for JSON field: {}"),
    _("Invalid JSON string: {}"),
    _("Invalid JSON object: {}"),
    _("Unsupported type for JSON field: {}"),
    _("invalid type for repeating text: %r"),
    _('invalid encoding for "%s" value'),
    # ckanext/scheming/views.py
    _("Page not found"),
    _("Unauthorized to update a dataset"),
    # ckanext/scheming/templates/scheming/form_snippets/repeating_subfields.html
    _("These fields have been removed, click update below to save your changes."),
    _("These fields have been removed."),
    # ckanext/scheming/templates/scheming/organization/group_form.html
    _("Are you sure you want to delete this Organization?"),
    # ckanext/scheming/templates/scheming/package/snippets/package_form.html
    _("Update {page}"),
    _("Next"),
)

# ckanext-xloader 2.6.0: the status labels of its helpers and the
# DataStore column form (its own pages are replaced in templates/xloader/).
CKANEXT_XLOADER = (
    # ckanext/xloader/helpers.py
    _("Running"),
    _("Inactive"),
    _("Data awaiting load to DataStore"),
    _("Loading data into DataStore"),
    _("Failed to load data into DataStore"),
    _("Data loaded into DataStore"),
    _("Data available in DataStore"),
    _("Resource not active in DataStore"),
    _("DataStore status unknown"),
    _("Last Updated Not Available"),
    _("datastore"),
    # ckanext/xloader/templates/datastore/snippets/dictionary_form.html
    _("Strip Extra Leading and Trailing White Space"),
    _("Yes"),
    _("No"),
)

# Messages that upstream code builds at run time, so they are none of its
# literal messages: each with the installed file (under site-packages) that
# builds it and a piece of text found in that file.
RUNTIME = (
    # harvest_frequencies(): _(frequency.title()) of UPDATE_FREQUENCIES
    (_("Manual"), "ckanext/harvest/model/__init__.py", '"MANUAL"'),
    (_("Monthly"), "ckanext/harvest/model/__init__.py", '"MONTHLY"'),
    (_("Weekly"), "ckanext/harvest/model/__init__.py", '"WEEKLY"'),
    (_("Biweekly"), "ckanext/harvest/model/__init__.py", '"BIWEEKLY"'),
    (_("Daily"), "ckanext/harvest/model/__init__.py", '"DAILY"'),
    (_("Always"), "ckanext/harvest/model/__init__.py", '"ALWAYS"'),
    # the facet title of its search page, given without _() and translated
    # by our templates/source/search.html
    (_("Frequency"), "ckanext/harvest/plugin.py", "('frequency', 'Frequency')"),
    # the counts of a harvest job: _(action)
    (_("added"), "ckanext/harvest/templates/snippets/job_details.html", "'added'"),
    (_("updated"), "ckanext/harvest/templates/snippets/job_details.html", "'updated'"),
    (_("deleted"), "ckanext/harvest/templates/snippets/job_details.html", "'deleted'"),
    (
        _("not modified"),
        "ckanext/harvest/templates/snippets/job_details.html",
        "'not modified'",
    ),
    # CKAN's search result text for a type it does not know ("harvest": the
    # override of ckanext-harvest sets its variables before CKAN's own)
    (
        ngettext("{number} harvest found", "{number} harvests found", 2),
        "ckan/templates/snippets/search_result_text.html",
        "'{number} ' + type + ' found'",
    ),
    (
        ngettext(
            '{number} harvest found for "{query}"',
            '{number} harvests found for "{query}"',
            2,
        ),
        "ckan/templates/snippets/search_result_text.html",
        "'{number} ' + type + ' found for \"{query}\"'",
    ),
    (
        _("No harvests found"),
        "ckan/templates/snippets/search_result_text.html",
        "'No ' + type + 's found'",
    ),
    (
        _('No harvests found for "{query}"'),
        "ckan/templates/snippets/search_result_text.html",
        "'No ' + type + 's found for \"{query}\"'",
    ),
    # the activity types of the activity filter, through gettext in our copy
    # of its snippets/activity_type_selector.html
    *(
        (message, "ckanext/activity/logic/validators.py", f'"{message}"')
        for message in (
            _("new package"),
            _("changed package"),
            _("deleted package"),
            _("follow dataset"),
            _("new resource view"),
            _("changed resource view"),
            _("deleted resource view"),
            _("new user"),
            _("changed user"),
            _("new group"),
            _("changed group"),
            _("deleted group"),
            _("follow group"),
            _("new organization"),
            _("changed organization"),
            _("deleted organization"),
            _("follow organization"),
        )
    ),
)
