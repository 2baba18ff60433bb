"""The join and invitation e-mails, sent through CKAN's mailer.

Messages are written in the language of the page (or API call) that causes
them: French unless the person browses in English. With no SMTP server
configured (``smtp.server`` empty, e.g. ``make run`` on a laptop) CKAN's
mailer sends nothing and says nothing; the pages then show what the e-mails
would have carried (requests on the review page, invitation links on the
organisation's team page). A server that fails is logged, never an error
for the person who acted: the request or decision is already stored.
"""

from __future__ import annotations

import logging
import smtplib
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import mailer

log = logging.getLogger(__name__)


def configured() -> bool:
    """Whether an SMTP server is configured (``smtp.server``)."""
    return bool(tk.config.get("smtp.server"))


def send(name: str, email: str, subject: str, body: str) -> bool:
    """One message through CKAN's mailer; whether it left."""
    if not email:
        return False
    if not configured():
        log.info("No smtp.server: e-mail to %s not sent (%s)", email, subject)
        return False
    try:
        mailer.mail_recipient(name, email, subject, body)
    except (OSError, mailer.MailerException, smtplib.SMTPException) as e:
        log.warning("E-mail to %s not sent (%s): %s", email, subject, e)
        return False
    return True


def _site() -> str:
    return str(tk.config.get("ckan.site_title") or "")


def _url(endpoint: str, **values: Any) -> str:
    return str(tk.h.url_for(endpoint, qualified=True, **values))


def _signature() -> str:
    return tk._("— {site} ({url})").format(
        site=_site(), url=tk.config.get("ckan.site_url")
    )


def request_received(request: dict[str, Any], deciders: list[model.User]) -> int:
    """Tell those who decide that a request awaits them; how many e-mails left."""
    subject = tk._("[{site}] Demande d'adhésion : {territory}").format(
        site=_site(), territory=request["territory_label"]
    )
    if request["intent"] == "create":
        what = tk._(
            "{person} demande la création de l'organisation de {territory} sur "
            "{site}, pour y publier ses données."
        )
    else:
        what = tk._(
            "{person} demande à rejoindre l'organisation {organization} sur {site}."
        )
    lines = [
        tk._("Bonjour,"),
        "",
        what.format(
            person=request["user_display_name"],
            territory=request["territory_label"],
            organization=request["organization_title"],
            site=_site(),
        ),
        "",
        tk._("Fonction : {role}").format(role=request["role"] or "—"),
        tk._("Adresse électronique : {email}").format(email=request["email"]),
    ]
    if request["message"]:
        lines += [tk._("Message : {message}").format(message=request["message"])]
    lines += [
        "",
        tk._("Pour accepter ou refuser la demande :"),
        _url("territoire_join.review"),
        "",
        _signature(),
    ]
    body = "\n".join(lines)
    return sum(
        send(person.display_name, person.email or "", subject, body)
        for person in deciders
    )


def request_decided(request: dict[str, Any]) -> bool:
    """Tell the requester what was decided."""
    if request["state"] == "approved":
        subject = tk._("[{site}] Votre demande est acceptée : {organization}").format(
            site=_site(), organization=request["organization_title"]
        )
        if request["intent"] == "create":
            news = tk._(
                "L'organisation {organization} a été créée et vous en êtes "
                "l'administrateur ou l'administratrice : vous pouvez y publier des "
                "jeux de données et inviter vos collègues."
            )
        else:
            news = tk._(
                "Vous faites désormais partie de l'organisation {organization}, en "
                "tant qu'éditeur ou éditrice : vous pouvez y publier des jeux de "
                "données."
            )
        lines = [
            tk._("Bonjour,"),
            "",
            news.format(organization=request["organization_title"]),
            "",
            tk._("Votre organisation :"),
            _url("organization.read", id=request["organization"]),
            "",
            tk._("Publier un premier jeu de données, pas à pas :"),
            _url("territoire_publish.start", organisation=request["organization"]),
        ]
    else:
        subject = tk._(
            "[{site}] Votre demande pour {territory} n'est pas acceptée"
        ).format(site=_site(), territory=request["territory_label"])
        lines = [
            tk._("Bonjour,"),
            "",
            tk._(
                "Votre demande pour {territory} n'a pas été acceptée, pour la "
                "raison suivante :"
            ).format(territory=request["territory_label"]),
            "",
            request["reason"],
            "",
            tk._("Vos demandes et leur suite :"),
            _url("territoire_join.join"),
        ]
    lines += ["", _signature()]
    name = request["user_display_name"] or request["user"] or ""
    return send(name, request["email"], subject, "\n".join(lines))


def added_to_organization(user: model.User, org: dict[str, Any], role: str) -> bool:
    """Tell a person who already had an account that they were added."""
    from ..helpers import territoire_role_label

    subject = tk._("[{site}] Vous avez été ajouté à {organization}").format(
        site=_site(), organization=org["title"]
    )
    body = "\n".join(
        [
            tk._("Bonjour,"),
            "",
            tk._(
                "Vous faites désormais partie de l'organisation {organization} sur "
                "{site}, avec le rôle : {role}."
            ).format(
                organization=org["title"],
                site=_site(),
                role=territoire_role_label(role),
            ),
            "",
            _url("organization.read", id=org["name"]),
            "",
            _signature(),
        ]
    )
    return send(user.display_name, user.email or "", subject, body)
