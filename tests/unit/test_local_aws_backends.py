"""scripts.local_aws `remember_backends`: moto's dispatcher answers the same backend for a host as moto
does, and walks its modules and URL patterns once per host."""

from __future__ import annotations

from typing import Any

from scripts.local_aws import remember_backends

HOSTS = ["dynamodb.ap-northeast-1.amazonaws.com", "s3.ap-northeast-1.amazonaws.com",
         "email.ap-northeast-1.amazonaws.com", "kms.ap-northeast-1.amazonaws.com", "moto_api", None,
         "example.invalid"]


def _dispatcher() -> Any:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return DomainDispatcherApplication(create_backend_app)


def test_the_backend_of_a_host_is_moto_s_own_answer_found_once() -> None:
    moto = _dispatcher()
    expected = {host: moto.get_backend_for_host(host) for host in HOSTS}
    assert expected["dynamodb.ap-northeast-1.amazonaws.com"] == "dynamodb"
    remembered = _dispatcher()
    walks: list[Any] = []
    find = remembered.get_backend_for_host

    def counted(host: Any) -> Any:
        walks.append(host)
        return find(host)

    remembered.get_backend_for_host = counted
    remember_backends(remembered)
    for _ in range(3):
        assert {host: remembered.get_backend_for_host(host) for host in HOSTS} == expected
    assert sorted(walks, key=str) == sorted(HOSTS, key=str)  # each host looked up once
