"""The baseline: a bare Flask endpoint that parses the same JSON body and inserts one row."""
from __future__ import annotations

import os

from flask import Flask, jsonify, request
from sqlalchemy import create_engine, text

engine = create_engine(os.environ["DATABASE_URL"], pool_size=5, max_overflow=10)
app = Flask(__name__)


@app.post("/insert")
def insert():
    body = request.get_json()
    with engine.begin() as conn:
        row_id = conn.execute(text("INSERT INTO bench_baseline (token, language) VALUES (:t, :l) RETURNING id"),
                              {"t": body["invitation"][:64], "l": body.get("language", "vi")}).scalar_one()
    return jsonify(receipt=row_id), 201
