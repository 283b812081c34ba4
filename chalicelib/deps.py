"""The ports a service needs, built once from settings. Tests and jobs pass their own."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from chalicelib.adapters.keys import KeyStore
from chalicelib.applications.repository import ApplicationRepository, DynamoApplicationRepository, ItemTable
from chalicelib.audit.log import AuditLog
from chalicelib.mail.outbox import MailSender, Outbox
from chalicelib.mail.ses import SesSender
from chalicelib.settings import Settings, get_settings
from chalicelib.stores.repository import DynamoStoreRepository, StoreRepository


@dataclass
class Deps:
    settings: Settings
    applications: ItemTable
    application_repository: ApplicationRepository
    stores: ItemTable
    store_repository: StoreRepository
    keys: KeyStore
    audit: AuditLog
    outbox: Outbox
    sender: MailSender


def build(settings: Settings) -> Deps:
    return Deps(
        settings=settings,
        applications=ItemTable(settings.applications_table, "application_id", "submitted_at"),
        application_repository=DynamoApplicationRepository(settings.applications_table),
        stores=ItemTable(settings.stores_table, "store_id", "store_id"),
        store_repository=DynamoStoreRepository(settings.stores_table),
        keys=KeyStore(settings.keys_table),
        audit=AuditLog(settings.audit_table),
        outbox=Outbox(settings.outbox_table),
        sender=SesSender(settings.mail_from),
    )


@functools.cache
def get_deps() -> Deps:
    return build(get_settings())
