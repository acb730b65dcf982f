from app.api import bp


@bp.get("/openapi.json")
def openapi():
    from app.api.openapi import spec

    return spec()
