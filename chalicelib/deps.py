"""The ports a service needs, built once from settings. Tests and jobs pass their own."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from chalicelib.adapters.keys import KeyStore
from chalicelib.applications.repository import ApplicationRepository, DynamoApplicationRepository
from chalicelib.audit.log import AuditLog
from chalicelib.kernel.field_crypto import FieldCipher
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
    #: seals personal fields before they reach DynamoDB (None: no FIELD_KEY_ID, stored as they are)
    cipher: FieldCipher | None = None


def build(settings: Settings) -> Deps:
    from chalicelib.adapters.kms import field_cipher

    cipher = field_cipher(settings.crypto.field_key_id, settings.crypto.field_key_seconds)
    return Deps(
        settings=settings,
        application_repository=DynamoApplicationRepository(settings.tables.applications_table, cipher),
        store_repository=DynamoStoreRepository(settings.tables.stores_table, cipher),
        session_repository=DynamoSessionRepository(settings.tables.sessions_table),
        keys=KeyStore(settings.tables.keys_table),
        audit=AuditLog(settings.tables.audit_table),
        outbox=Outbox(settings.tables.outbox_table, cipher),
        sender=SesSender(settings.mail.mail_from),
        cipher=cipher,
    )


@functools.cache
def get_deps() -> Deps:
    return build(get_settings())
