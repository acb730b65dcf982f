from flask import render_template

from app.public import bp
from app.services import waves


@bp.get("/")
def home():
    return render_template("public/home.html", waves=waves.open_waves())
