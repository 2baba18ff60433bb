"""Partner collectivités join the platform on their own (issue 18).

- ``territory``: which collectivité a request names (COG reference), and the
  organisation created for it;
- ``store``: the join requests and invitations tables;
- ``logic``: the ``territoire_join_request_*`` actions and their auth;
- ``invitations``: colleagues invited through CKAN's ``user_invite``, their
  links' expiry, the team page's operations;
- ``mail``: the e-mails, through CKAN's mailer;
- ``views``: "Rejoindre la plateforme", the review page, the team page, the
  roles explained.
"""
