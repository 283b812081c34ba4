"""The local stage's identities: its issuer, the console's app client and the demo users.

Plain constants (no crypto imports), so routes can name them without loading PyJWT at cold start.
"""

from __future__ import annotations

LOCAL_ISSUER = "miyapo-local"
#: The console's app client in the local stage (Cognito's app client id in the cloud).
LOCAL_CLIENT_ID = "miyapo-console-local"

#: The demo users of the local stack: each has the role its name says (docs/SPEC.md §8).
DEMO_USERS: dict[str, str] = {
    "screener": "screener",
    "screener2": "screener",
    "accountant": "accountant",
    "accountant2": "accountant",
    "agent": "agent",
    "coordinator": "coordinator",
    "prefecture": "prefecture",
    "admin": "admin",
    "admin2": "admin",
}
