from flask.cli import AppGroup

group = AppGroup("survey", help="survey commands")
