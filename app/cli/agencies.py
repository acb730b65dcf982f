from flask.cli import AppGroup

group = AppGroup("agencies", help="agencies commands")
