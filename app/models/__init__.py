"""All models, imported here so that Alembic and the app see one metadata."""
from app.models.agency import Agency, AgencyLineage, Block
from app.models.audit import AuditEvent
from app.models.base import Base
from app.models.case import CaseContact, CaseEvent, FeedbackCase, Holiday
from app.models.comment_tag import CommentModel, CommentTag
from app.models.form_session import FormSession
from app.models.integrity import FlagDecision, ResponseFlag, ResponseSignal
from app.models.invitation import ApiKey, Invitation, KioskKey
from app.models.kiosk_device import KioskDevice
from app.models.outbox import InvitationContact, OptOut, OutboxMessage
from app.models.paper import CommentReview, PaperEntry
from app.models.response import Response
from app.models.rollup import RollupCell, RollupState
from app.models.survey import SurveyVersion
from app.models.user import ApiToken, LoginAttempt, User, UserSession
from app.models.wave import FrameCount, Margin, OpenRelease, Wave, wave_agency

__all__ = [
    "Agency", "AgencyLineage", "ApiKey", "ApiToken", "AuditEvent", "Base", "Block", "CaseContact", "CaseEvent", "CommentModel", "CommentReview", "CommentTag", "FeedbackCase", "FlagDecision", "FormSession", "FrameCount", "Holiday",
    "Invitation", "InvitationContact", "OptOut", "OutboxMessage", "KioskDevice", "KioskKey", "LoginAttempt", "OpenRelease", "Margin", "PaperEntry", "Response", "ResponseFlag", "ResponseSignal", "RollupCell", "RollupState", "SurveyVersion", "User",
    "UserSession", "Wave", "wave_agency",
]
