"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json."""
from __future__ import annotations

from app.results.estimates import DOMAINS

ERRORS = {"$ref": "#/components/schemas/Errors"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_PROCESSING_UNIT = {"type": "string", "description": "optional: the agency code of the unit that processed the "
                    "dossier when another unit received it (unknown code: 400, field `processing_unit`)"}
_CONTACT = {
    "type": "object", "required": ["channel", "address"], "additionalProperties": False,
    "description": "optional: send the invitation by this channel (queued, sent by the outbox worker) with an "
                   "opt-out link and one reminder; the address is kept sealed until the wave closes. A bad "
                   "contact: 400 naming `contact.channel`, `contact.address` or `contact.language`",
    "properties": {"channel": {"enum": ["email", "sms", "zalo"]},
                   "address": {"type": "string", "maxLength": 320,
                               "description": "an e-mail address, or a Vietnamese mobile number for sms and zalo"},
                   "language": {"enum": ["vi", "en"], "default": "vi"}}}
_SUBMISSION = {
    "answers": {"type": "object", "additionalProperties": {},
                "description": "question code → value; validated against the wave's questionnaire"},
    "language": {"enum": ["vi", "en"]},
    "wave": {"type": "string", "description": "optional: refused if not the submission's wave"},
    "version": {"type": "integer", "description": "optional: refused if not the version the wave collects"},
    "submission": {"type": "string", "minLength": 8, "maxLength": 100,
                   "description": "the client's id for this response (idempotent retries), scoped to the "
                                  "kiosk key or invitation: the same id with other answers is 409 "
                                  "(field `submission`); from another device it is another response"},
    "processing_unit": _PROCESSING_UNIT,
    "follow_up": {"type": "object", "required": ["channel", "address", "text", "consent"],
                  "additionalProperties": False,
                  "description": "optional: the citizen wants an answer (a feedback case, opened in the same "
                                 "transaction as the response; the case never points at the response, and the "
                                 "contact is kept encrypted, apart from the answers). Any bad field: 400 naming "
                                 "`follow_up.<field>`, nothing stored. A retry (200) opens no second case",
                  "properties": {"channel": {"enum": ["email", "sms", "zalo"]},
                                 "address": {"type": "string", "description": "an e-mail address (email), or a "
                                             "Vietnamese mobile number (sms, zalo)"},
                                 "text": {"type": "string", "minLength": 1, "maxLength": 2000,
                                          "description": "what the citizen wants an answer about"},
                                 "consent": {"const": True, "description": "the citizen agrees that the contact "
                                             "is kept to answer them"}}},
}
_CASE = {"type": "object", "required": ["status_url"],
         "description": "present when the submission opened a case (a follow_up, or a dissatisfied overall "
                        "rating with a comment): give the citizen its status link",
         "properties": {"status_url": {"type": "string", "format": "uri",
                                       "description": "PUBLIC_BASE_URL/c/<token>: the case's status page"}}}


def _errors(*codes: int) -> dict:
    text = {400: "invalid input", 401: "not authenticated", 403: "not allowed", 404: "not found",
            409: "conflict", 413: "body over 64 KB", 415: "not JSON", 429: "rate limited"}
    return {str(c): _json(ERRORS, text[c]) for c in codes}


DOMAIN_RE = "|".join(DOMAINS)
SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string", "examples": ["demo"]},
        "example": "demo"}

COMPONENTS = {
    "securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer", "description": "token from POST /api/v1/auth/token"},
        "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                   "description": "integration key issued by an administrator"},
    },
    "schemas": {
        "Errors": {"type": "object", "required": ["errors"], "properties": {"errors": {
            "type": "array", "items": {"type": "object", "required": ["field", "message"], "properties": {
                "field": {"type": ["string", "null"]}, "message": {"type": "string"}}}}}},
        "Text": {"type": "object", "properties": {"vi": {"type": "string"}, "en": {"type": "string"}}},
        "Question": {"type": "object", "required": ["code", "type", "required", "values", "satisfied",
                                                    "not_applicable", "show_if", "text"],
                     "properties": {
                         "code": {"type": "string"},
                         "type": {"enum": ["scale", "single", "multiple", "yes_no", "number", "text", "dossier_code"]},
                         "required": {"type": "boolean"},
                         "values": {"type": ["array", "null"], "items": {"type": "object", "properties": {
                             "value": {"type": "integer"}, "label": {"$ref": "#/components/schemas/Text"}}}},
                         "satisfied": {"type": ["array", "null"], "items": {"type": "integer"}},
                         "not_applicable": {"type": ["string", "null"],
                                            "description": "the answer value meaning not applicable ('na')"},
                         "show_if": {"type": ["object", "null"]},
                         "text": {"$ref": "#/components/schemas/Text"}}},
        "EstimateRow": {"type": "object", "required": ["measure", "n", "rate", "se", "ci_lower", "ci_upper",
                                                       "deff", "n_eff"],
                        "properties": {"measure": {"type": "string"}, "n": {"type": "integer"},
                                       **{k: {"type": ["number", "null"]} for k in
                                          ("rate", "se", "ci_lower", "ci_upper", "deff", "n_eff")},
                                       "suppressed": {"type": "boolean"}},
                        "additionalProperties": True},
        # feedback handling (PAKN) per unit over the wave's period; agency null: the province
        "CaseFigures": {"type": "object", "required": ["agency", "received", "on_time", "overdue", "reopened",
                                                       "rated", "satisfied_rate", "suppressed", "d766_points"],
                        "properties": {"agency": {"type": ["string", "null"]},
                                       **{k: {"type": "integer"} for k in
                                          ("received", "answered", "on_time", "overdue", "reopened", "refused",
                                           "rated")},
                                       **{k: {"type": ["number", "null"]} for k in
                                          ("satisfied_rate", "ci_lower", "ci_upper", "d766_points")},
                                       "suppressed": {"type": "boolean"}},
                        "additionalProperties": True},
    },
}

PATHS = {
    "/api/v1/openapi.json": {"get": {"summary": "This description", "responses": {
        "200": {"description": "OpenAPI document", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
    "/api/v1/auth/token": {"post": {
        "summary": "Exchange an account's email and password for a bearer token",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["email", "password"],
            "properties": {"email": {"type": "string"}, "password": {"type": "string"}}}}}},
        "responses": {"200": _json({"type": "object", "required": ["token", "expires_at"], "properties": {
            "token": {"type": "string"}, "expires_at": {"type": "string", "format": "date-time"}}}, "token"),
            **_errors(400, 401, 415, 429)}},
        "delete": {"summary": "Log out: end this bearer token now", "security": [{"bearer": []}],
                   "responses": {"204": {"description": "the token has ended"}, **_errors(401)}}},
    "/api/v1/waves/{slug}/questionnaire": {"get": {
        "summary": "The published questionnaire of a wave, for collection apps",
        "parameters": [SLUG],
        "responses": {"200": _json({"type": "object", "required": ["survey", "version", "languages", "questions"],
                                    "properties": {"survey": {"type": "string"}, "version": {"type": "integer"},
                                                   "languages": {"type": "array", "items": {"type": "string"}},
                                                   "questions": {"type": "array", "items": {
                                                       "$ref": "#/components/schemas/Question"}}}},
                                   "questionnaire"), **_errors(404)}}},
    "/api/v1/responses": {"post": {
        "summary": "Submit the answers of one invitation (exactly once), or a kiosk's queued response",
        "description": "With an invitation token: stored at most once per invitation (409 afterwards). "
                       "From a kiosk (X-Kiosk-Key header and the kiosk's agency code): `submission`, the "
                       "client's own id for a queued response, makes a retried upload return the first "
                       "receipt (200) instead of counting twice.",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"oneOf": [
            {"type": "object", "required": ["invitation", "answers"], "additionalProperties": False,
             "properties": {"invitation": {"type": "string", "minLength": 16, "maxLength": 100,
                                           "description": "the token at the end of the invitation link"},
                            **_SUBMISSION}},
            {"type": "object", "required": ["agency", "answers"], "additionalProperties": False,
             "description": "a kiosk's queued response: send the kiosk key in X-Kiosk-Key (403 without it)",
             "properties": {"agency": {"type": "string", "description": "the kiosk's agency code"},
                            **_SUBMISSION}}]}}}},
        "responses": {"201": _json({"type": "object", "required": ["receipt"],
                                    "properties": {"receipt": {"type": "string"}, "case": _CASE}}, "stored"),
                      "200": _json({"type": "object", "required": ["receipt"],
                                    "properties": {"receipt": {"type": "string"}}},
                                   "already stored under this submission id: its first receipt"),
                      **_errors(400, 403, 404, 409, 413, 415, 429)}}},
    "/api/v1/invitations": {"post": {
        "summary": "Create an invitation when a dossier closes (integration key)",
        "security": [{"apiKey": []}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["wave", "agency"],
            "properties": {"wave": {"type": "string"}, "agency": {"type": "string"},
                           "dossier": {"type": "string"}, "processing_unit": _PROCESSING_UNIT,
                           "contact": _CONTACT}}}}},
        "responses": {"201": _json({"type": "object", "required": ["url", "expires_at"], "properties": {
            "url": {"type": "string"}, "expires_at": {"type": "string", "format": "date-time"},
            "queued": {"type": "boolean", "description": "with a contact: true if its message was queued, "
                                                        "false if the address opted out (the link still works)"}}},
            "invitation"),
            **_errors(400, 401, 409, 415, 429)}}},
    "/api/v1/waves/{slug}/estimates": {"get": {
        "summary": "Weighted satisfaction rates with standard errors and confidence intervals",
        "security": [{"bearer": []}],
        "parameters": [SLUG, {"name": "by", "in": "query", "required": False, "schema": {
                                  "type": "string", "pattern": f"^(({DOMAIN_RE})(,({DOMAIN_RE}))*)?$"},
                              "description": f"comma-separated domains: {', '.join(DOMAINS)}"},
                       {"name": "view", "in": "query", "required": False,
                        "schema": {"enum": ["reviewed", "collected"], "default": "reviewed"},
                        "description": "`reviewed`: after integrity review (responses an administrator excluded "
                                       "left out); `collected`: as collected"}],
        "responses": {"200": _json({"type": "object", "required": ["rows"], "properties": {
            "view": {"enum": ["reviewed", "collected"]},
            "rows": {"type": "array", "items": {"$ref": "#/components/schemas/EstimateRow"}},
            "cases": {"type": "array", "items": {"$ref": "#/components/schemas/CaseFigures"}}}}, "estimates"),
            **_errors(400, 401, 403, 404)}}},
    "/api/v1/agencies/{code}/trend": {"get": {
        "summary": "A unit's index across waves on today's organisation, each point with its basis",
        "description": "Before a unit existed its points come from the units it was formed from: "
                       "`reaggregated` (whole units merged: their respondents pooled, exact) or `modelled` "
                       "(split units: predecessors' estimates weighted by share × design weight). "
                       "`breaks` are the dates of the unit's reorganisations. An agency's token reads its own unit only.",
        "security": [{"bearer": []}],
        "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 40}},
                       {"name": "measure", "in": "query", "required": False,
                        "schema": {"type": "string", "default": "overall", "maxLength": 40},
                        "description": "overall, a factor code or a criterion code"}],
        "responses": {"200": _json({"type": "object", "required": ["agency", "measure", "points", "breaks"],
                                    "properties": {
            "agency": {"type": "string"}, "measure": {"type": "string"},
            "breaks": {"type": "array", "items": {"type": "string", "format": "date"}},
            "points": {"type": "array", "items": {"type": "object", "required": [
                "wave", "period_end", "rate", "se", "ci_lower", "ci_upper", "n", "basis"], "properties": {
                "wave": {"type": "string", "description": "slug; waves of one period pooled are joined by '+'"},
                "period_end": {"type": "string", "format": "date"},
                "rate": {"type": ["number", "null"]}, "se": {"type": ["number", "null"]},
                "ci_lower": {"type": ["number", "null"]}, "ci_upper": {"type": ["number", "null"]},
                "n": {"type": "integer"}, "basis": {"enum": ["direct", "reaggregated", "modelled"]},
                "suppressed": {"type": "boolean", "description": "figures hidden: a group below the anonymity threshold"}}}}}},
            "trend"), **_errors(400, 401, 404, 429)}}},
}

CASE_PATHS = {
    "/api/v1/cases": {"get": {
        "summary": "Feedback cases with their deadlines (administrators and officials: all; an agency: its own)",
        "description": "`due_on` is `opened_on` plus CASE_DAYS_HANDLE (15) working days on the working-day "
                       "calendar (weekends, public holidays, swapped days), moved later when the unit asked for "
                       "documents or the citizen reopened the case. Never the text, the answer or the contact.",
        "security": [{"bearer": []}],
        "parameters": [{"name": "agency", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 40},
                        "description": "one unit's code (an agency's token: its own only, another is 404)"},
                       {"name": "state", "in": "query", "required": False,
                        "schema": {"enum": ["open", "overdue", "new", "assigned", "answered", "closed"]},
                        "description": "`open`: not closed; `overdue`: new or assigned past its due date"}],
        "responses": {"200": _json({"type": "array", "items": {"type": "object", "required": [
            "id", "agency", "category", "state", "opened_on", "due_on"], "additionalProperties": False, "properties": {
            "id": {"type": "integer"}, "agency": {"type": "string"},
            "category": {"enum": ["access", "procedures", "civil_servants", "results", "feedback", "other"]},
            "state": {"enum": ["new", "assigned", "answered", "closed"]},
            "opened_on": {"type": "string", "format": "date"}, "due_on": {"type": "string", "format": "date"}}}},
            "cases"), **_errors(400, 401, 403, 404)}}},
    "/api/v1/waves/{slug}/flags": {"get": {
        "summary": "Responses flagged by the integrity checks, with their reasons (administrators only)",
        "description": "A flag is a reason to look, never a decision; `decision` is the administrator's "
                       "(`keep`, `exclude`) or null. Never answers, times or addresses.",
        "security": [{"bearer": []}],
        "parameters": [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}},
                       {"name": "agency", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 40}}],
        "responses": {"200": _json({"type": "array", "items": {"type": "object", "required": [
            "response_id", "agency", "reasons"], "properties": {
            "response_id": {"type": "integer"}, "agency": {"type": "string"},
            "reasons": {"type": "array", "items": {"enum": ["burst_source", "burst_address", "off_hours",
                                                            "dossier_other_unit", "dossier_future", "dossier_before_completion", "speeder",
                                                            "straight_line", "low_variability", "duplicate_comment"]}},
            "decision": {"enum": ["keep", "exclude", None]}}}}, "flagged responses"),
            **_errors(401, 403, 404)}}},
}

_EVENT = {"type": "object", "required": ["status"], "properties": {
    "message_id": {"type": ["string", "integer"], "description": "the provider's id of the message (as it answered "
                   "when the message was sent); or give `reference`"},
    "reference": {"type": "string", "pattern": "^outbox-[0-9]+$",
                  "description": "our reference sent with the message (SMS `reference`, Zalo `tracking_id`, "
                                 "the e-mail's Message-ID local part)"},
    "status": {"enum": ["delivered", "failed", "bounced"],
               "description": "`failed` after the provider took the message is stored as bounced"},
    "at": {"type": "string", "format": "date-time", "description": "when it happened (default: now)"}}}
DELIVERY_PATHS = {
    "/api/v1/delivery/{provider}": {"post": {
        "summary": "A provider's delivery reports (signed with a shared secret)",
        "description": "Header `X-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`, the secret being "
                       "DELIVERY_WEBHOOK_SECRET_<PROVIDER> or DELIVERY_WEBHOOK_SECRET. Idempotent: a report "
                       "sent twice changes nothing more. Events for unknown messages are ignored and counted.",
        "parameters": [{"name": "provider", "in": "path", "required": True, "schema": {"enum": ["smtp", "sms", "zalo"]}}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "oneOf": [_EVENT, {"type": "array", "minItems": 1, "maxItems": 1000, "items": _EVENT}]}}}},
        "responses": {"200": _json({"type": "object", "required": ["updated", "unknown"], "properties": {
            "updated": {"type": "integer"}, "unknown": {"type": "integer"}}}, "events applied"),
            **_errors(400, 401, 404, 413, 429),
            "503": _json(ERRORS, "no secret configured for this provider: reports are not accepted")}}},
}

_COUNT = {"type": "integer", "minimum": 0}
FUNNEL_PATHS = {
    "/api/v1/waves/{slug}/funnel": {"get": {
        "summary": "A wave's response funnel: invitations issued, sent, delivered, opened, completed",
        "description": "Per agency × invitation channel (email, sms, zalo; `link` when the issuer handed the "
                       "link over itself), with `by=agency,week` per ISO week of issue too. `sent`: its message "
                       "left for the provider (sent, delivered or bounced); `opened`: the link was opened or the "
                       "invitation answered; `response_rate` = completed / issued (AAPOR RR1-like, every issued "
                       "invitation counted as eligible; null when none was issued). Counts of invitations, "
                       "never anything per person. An agency's token reads its own rows only.",
        "security": [{"bearer": []}],
        "parameters": [SLUG, {"name": "by", "in": "query", "required": False,
                              "schema": {"enum": ["agency", "agency,week"], "default": "agency"},
                              "description": "`agency` (default) or `agency,week`; anything else is 400 (field `by`)"}],
        "responses": {"200": _json({"type": "object", "required": ["wave", "rows"], "properties": {
            "wave": {"type": "string"},
            "rows": {"type": "array", "items": {"type": "object", "required": [
                "agency", "channel", "issued", "sent", "delivered", "opened", "completed", "response_rate"],
                "additionalProperties": False, "properties": {
                    "agency": {"type": "string"}, "channel": {"enum": ["email", "sms", "zalo", "link"]},
                    "week": {"type": "string", "pattern": "^[0-9]{4}-W[0-9]{2}$",
                             "description": "ISO week of issue (with by=agency,week)"},
                    **{k: _COUNT for k in ("issued", "sent", "delivered", "opened", "completed")},
                    "response_rate": {"type": ["number", "null"], "minimum": 0, "maximum": 1}}}}}},
            "funnel"), **_errors(400, 401, 403, 404)}}},
}


def spec() -> dict:
    return {"openapi": "3.1.0",
            "info": {"title": "SIPAS survey platform API", "version": "1",
                     "description": "Errors are {\"errors\": [{\"field\": ..., \"message\": ...}]} with a 4xx status."},
            "paths": {**PATHS, **CASE_PATHS, **DELIVERY_PATHS, **FUNNEL_PATHS}, "components": COMPONENTS}
