"""SES adapter: plain-text Japanese mail (UTF-8)."""

from __future__ import annotations

from chalicelib.adapters import aws
from chalicelib.mail.outbox import Mail


class SesSender:
    def __init__(self, sender: str) -> None:
        self.sender = sender

    def send(self, mail: Mail) -> str:
        result = aws.client("sesv2").send_email(
            FromEmailAddress=self.sender,
            Destination={"ToAddresses": [mail.to]},
            Content={"Simple": {
                "Subject": {"Data": mail.subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": mail.body, "Charset": "UTF-8"}},
            }},
            EmailTags=[{"Name": "kind", "Value": mail.kind.replace("#", "-")[:200] or "mail"}],
        )
        return str(result["MessageId"])
