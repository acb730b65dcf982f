"""Names every admin template can use."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.admin import bp
from app.admin.access import current_user

WAVE_STATUS = {"draft": _l("draft"), "open": _l("open"), "closed": _l("closed")}
ROLES = {"admin": _l("Administrator"), "official": _l("Official"), "agency": _l("Agency (one agency only)"),
         "entry": _l("Paper entry staff (one agency only)")}
VERSION_STATUS = {"draft": _l("draft"), "published": _l("published"), "retired": _l("retired")}


@bp.context_processor
def admin_globals() -> dict:
    return {"admin_user": current_user,
            "wave_status_label": lambda s: WAVE_STATUS.get(s, s),
            "version_status_label": lambda s: VERSION_STATUS.get(s, s),
            "role_label": lambda r: ROLES.get(r, r)}
