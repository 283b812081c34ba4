"""The ports a service needs, built once from settings. Tests and jobs pass their own."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from chalicelib.adapters.keys import KeyStore
from chalicelib.applications.repository import ApplicationRepository, DynamoApplicationRepository
from chalicelib.audit.log import AuditLog
from chalicelib.mail.outbox import MailSender, Outbox
from chalicelib.mail.ses import SesSender
from chalicelib.sessions.repository import DynamoSessionRepository, SessionRepository
from chalicelib.settings import Settings, get_settings
from chalicelib.stores.repository import DynamoStoreRepository, StoreRepository


@dataclass
class Deps:
    settings: Settings
    application_repository: ApplicationRepository
    store_repository: StoreRepository
    session_repository: SessionRepository
    keys: KeyStore
    audit: AuditLog
    outbox: Outbox
    sender: MailSender


def build(settings: Settings) -> Deps:
    return Deps(
        settings=settings,
        application_repository=DynamoApplicationRepository(settings.tables.applications_table),
        store_repository=DynamoStoreRepository(settings.tables.stores_table),
        session_repository=DynamoSessionRepository(settings.tables.sessions_table),
        keys=KeyStore(settings.tables.keys_table),
        audit=AuditLog(settings.tables.audit_table),
        outbox=Outbox(settings.tables.outbox_table),
        sender=SesSender(settings.mail.mail_from),
    )


@functools.cache
def get_deps() -> Deps:
    return build(get_settings())
