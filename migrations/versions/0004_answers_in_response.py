"""answers as one document per response, closed questions as a coded string, client submission keys

Revision ID: 0004
Revises: 0003c
Create Date: 2026-11-22 09:10:00

A response used to be one row plus one `answer` row per question (35 for SIPAS 2017): every
submission paid for 36 inserts and every estimate for reading them all back. Now the response row
holds the cleaned answers (`answers`, JSONB on PostgreSQL) and its closed questions as one short
string (`coded`, one character per question). Existing answers are carried over in both
directions.
"""
import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003c'
branch_labels = None
depends_on = None

BATCH = 2000
answers_type = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _questions(definition):
    """(codes of the closed questions in order, {code: type}) from a stored questionnaire definition:
    scale, single choice and yes/no questions whose values are all integers 0 … 50,000.

    Frozen here rather than imported, so that this migration keeps its meaning when the
    questionnaire code moves on."""
    if isinstance(definition, str):
        definition = json.loads(definition)
    scales = {code: [p["value"] for p in scale.get("points", [])]
              for code, scale in (definition.get("scales") or {}).items()}
    types, closed = {}, []
    for section in definition.get("sections", []):
        for question in section.get("questions", []):
            kind = question.get("type")
            types[question["code"]] = kind
            if kind == "scale":
                values = scales.get(question.get("scale"), [])
            elif kind == "single":
                values = [o["value"] for o in question.get("options") or []]
            elif kind == "yes_no":
                values = [0, 1]
            else:
                continue
            if values and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 50_000 for v in values):
                closed.append(question["code"])
    return closed, types


def _coded(value):
    if value is None:
        return " "
    if value == "na":
        return "-"
    return chr(48 + int(value))


def upgrade():
    with op.batch_alter_table('response') as batch:
        batch.add_column(sa.Column('client_key', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('answers', answers_type, nullable=True))
        batch.add_column(sa.Column('coded', sa.Text(), nullable=True))
        batch.create_unique_constraint(batch.f('uq_response_client_key'), ['client_key'])
    conn = op.get_bind()
    versions = {vid: _questions(definition) for vid, definition in
                conn.execute(sa.text("SELECT id, definition FROM survey_version"))}
    update = sa.text("UPDATE response SET answers = :answers, coded = :coded WHERE id = :id").bindparams(
        sa.bindparam("answers", type_=answers_type))
    last = 0
    while True:
        heads = conn.execute(sa.text("SELECT id, survey_version_id FROM response WHERE id > :last ORDER BY id LIMIT :n"),
                             {"last": last, "n": BATCH}).all()
        if not heads:
            break
        ids = [h[0] for h in heads]
        documents = {i: {} for i in ids}
        rows = conn.execute(sa.text("SELECT response_id, question_code, value, text FROM answer "
                                    "WHERE response_id >= :lo AND response_id <= :hi"), {"lo": ids[0], "hi": ids[-1]})
        version_of = dict(heads)
        for response_id, code, value, text in rows:
            if response_id not in documents:
                continue
            kind = versions.get(version_of[response_id], ([], {}))[1].get(code)
            if value is None and text is None:
                documents[response_id][code] = "na"
            elif text is not None:
                documents[response_id][code] = ([int(v) for v in text.split()] if kind == "multiple" else text)
            else:
                documents[response_id][code] = int(value) if float(value).is_integer() else value
        conn.execute(update, [{"id": i, "answers": documents[i],
                               "coded": "".join(_coded(documents[i].get(c)) for c in
                                                  versions.get(version_of[i], ([], {}))[0])}
                              for i in ids])
        last = ids[-1]
    with op.batch_alter_table('response') as batch:
        batch.alter_column('answers', existing_type=answers_type, nullable=False)
        batch.alter_column('coded', existing_type=sa.Text(), nullable=False)
    op.drop_table('answer')


def downgrade():
    op.create_table('answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('question_code', sa.String(length=80), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_answer_response_id_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer')),
    sa.UniqueConstraint('response_id', 'question_code', name=op.f('uq_answer_response_id_question_code'))
    )
    op.create_index('ix_answer_question_value', 'answer', ['question_code', 'value'], unique=False)
    conn = op.get_bind()
    answer = sa.table('answer', sa.column('response_id'), sa.column('question_code'), sa.column('value'),
                      sa.column('text'))
    last = 0
    while True:
        rows = conn.execute(sa.text("SELECT id, answers FROM response WHERE id > :last ORDER BY id LIMIT :n")
                            .columns(sa.column("id", sa.Integer), sa.column("answers", answers_type)),
                            {"last": last, "n": BATCH}).all()
        if not rows:
            break
        values = []
        for response_id, document in rows:
            for code, value in (document or {}).items():
                number, text = None, None
                if value == "na":
                    pass
                elif isinstance(value, list):
                    text = " ".join(str(v) for v in value)
                elif isinstance(value, bool | int | float):
                    number = float(value)
                else:
                    text = str(value)
                values.append({"response_id": response_id, "question_code": code, "value": number, "text": text})
        if values:
            conn.execute(answer.insert(), values)
        last = rows[-1][0]
    with op.batch_alter_table('response') as batch:
        batch.drop_constraint(batch.f('uq_response_client_key'), type_='unique')
        batch.drop_column('coded')
        batch.drop_column('answers')
        batch.drop_column('client_key')
