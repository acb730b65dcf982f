def spec() -> dict:
    return {"openapi": "3.1.0", "info": {"title": "SIPAS API", "version": "1"}, "paths": {}}
