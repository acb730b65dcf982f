from flask.cli import AppGroup

group = AppGroup("invitations", help="invitations commands")
