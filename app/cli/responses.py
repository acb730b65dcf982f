from flask.cli import AppGroup

group = AppGroup("responses", help="responses commands")
