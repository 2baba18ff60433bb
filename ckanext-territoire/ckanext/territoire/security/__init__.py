"""The portal's guards at the HTTP and API layer.

- ``limits``: the size limits (``ckanext.territoire.limits.*``) and the
  numbers in their messages;
- ``request_limits``: the action API's request body size and JSON nesting
  depth, checked before anything reads the body;
- ``csrf``: a CSRF token on every write authenticated by the session cookie
  (CKAN 2.12 drops the check for a view once it has served one request
  authenticated by an API token, or an anonymous one);
- ``cookies``: the session cookies' ``Secure`` flag on an https site;
- ``downloads``: a resource whose stored URL is no link has no download;
- ``headers``: security headers, the Content-Security-Policy among them, on
  every answer;
- ``actions``: chained actions refusing, before CKAN's work, what a client
  can send and CKAN took badly (too many tags or resources, values of the
  wrong type) or told everyone (CKAN's version, the plugins);
- ``blueprint``: the request hooks, registered through ``IBlueprint`` so
  that they run after CKAN identifies the user and before its CSRF check.
"""
