"""Who a JSON API submission is for: an invitation (collection apps, exactly once per invitation)
or a kiosk (a desk tablet that queued answers offline, identified by its kiosk key)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.models import Agency, Invitation, Wave
from app.services import agencies, invitations, kiosk

INVITATION_FIELDS = {"invitation", "answers", "language", "wave", "version"}
KIOSK_FIELDS = {"agency", "answers", "language", "wave", "version"}


class Refused(Exception):
    def __init__(self, status: int, errors: list[tuple[str | None, str]]):
        super().__init__(errors[0][1])
        self.status, self.errors = status, errors


@dataclass(frozen=True)
class Target:
    wave: Wave
    agency: Agency
    channel: str
    invitation: Invitation | None = None


def _refuse(status: int, field: str | None, message: str) -> Refused:
    return Refused(status, [(field, message)])


def resolve(body: dict[str, Any], kiosk_key: str | None) -> Target:
    """Check the envelope of a submission (not its answers); raises Refused with status and fields."""
    allowed = KIOSK_FIELDS if kiosk_key is not None else INVITATION_FIELDS
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise Refused(400, [(k, "unknown field") for k in unknown])
    if not isinstance(body.get("answers"), dict):
        raise _refuse(400, "answers", "answers must be an object {question code: value}")
    target = _kiosk(body, kiosk_key) if kiosk_key is not None else _invitation(body.get("invitation"))
    if "wave" in body and body["wave"] != target.wave.slug:
        raise _refuse(400, "wave", "this submission does not belong to that wave")
    if "version" in body and body["version"] != target.wave.survey_version.version:
        raise _refuse(400, "version", f"the wave collects version {target.wave.survey_version.version} "
                                      "of the questionnaire; fetch it again")
    return target


def _invitation(token: Any) -> Target:
    if not isinstance(token, str) or not 16 <= len(token) <= 100:
        raise _refuse(400, "invitation", "invitation must be the token string from the invitation link")
    invitation = invitations.find_with_context(token)
    if invitation is not None and invitation.used_at is not None:
        raise _refuse(409, "invitation", "this invitation has already been answered")
    if invitation is None or not invitations.is_usable(invitation):
        raise _refuse(404, "invitation", "unknown, expired or closed invitation")
    return Target(invitation.wave, invitation.agency, "online", invitation)


def _kiosk(body: dict[str, Any], key: str) -> Target:
    agency = agencies.by_code(str(body.get("agency", "")))
    if agency is None:
        raise _refuse(400, "agency", "agency must be the code of the kiosk's agency")
    row = kiosk.find(key, agency)
    if row is None:
        raise _refuse(403, "X-Kiosk-Key", "this kiosk key is not valid for that agency")
    wave = kiosk.wave_for(agency)
    if wave is None:
        raise _refuse(400, "wave", "no open wave collects kiosk answers for this agency")
    kiosk.touch(row)
    return Target(wave, agency, "kiosk")
