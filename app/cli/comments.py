"""`flask comments train` and `flask comments tag`: the comment tagger (issue 19, part 5)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.cli.common import wave_or_fail
from app.extensions import db
from app.review import comment_tags

group = AppGroup("comments", help="Comments read by factor: fit the tagger, tag approved comments.")


@group.command("train")
@click.option("--wave", "slug", help="learn from this wave's moderator labels only (default: every wave's)")
@click.option("--folds", default=5, show_default=True, type=click.IntRange(2, 20),
              help="folds of the cross-validation")
def train(slug: str | None, folds: int) -> None:
    """Refit the model on the shipped seed set plus the moderators' labels; print its
    cross-validated precision, recall and F1 per label (rules and model together)."""
    wave = wave_or_fail(slug) if slug else None
    row = comment_tags.train(wave, folds)
    db.session.commit()
    summary, scores = row.summary, row.summary["cross_validated"]
    click.echo(f"model {row.id}: {summary['seed']} seed + {summary['moderated']} moderator-labelled comments"
               + (f" (wave {summary['wave']})" if summary["wave"] else ""))
    click.echo(f"{folds}-fold cross-validation: micro-F1 {scores['micro_f1']:.3f}, "
               f"exact match {scores['exact']:.3f} of {scores['n']} comments")
    click.echo(f"{'label':<16}{'precision':>10}{'recall':>8}{'F1':>7}{'n':>5}")
    for label, s in scores["labels"].items():
        click.echo(f"{label:<16}{s['precision']:>10.3f}{s['recall']:>8.3f}{s['f1']:>7.3f}{s['support']:>5}")


@group.command("tag")
@click.option("--wave", "slug", required=True, help="the wave whose approved comments are tagged")
def tag(slug: str) -> None:
    """Label every approved comment of the wave that no moderator labelled (rules + newest model)."""
    wave = wave_or_fail(slug)
    counts = comment_tags.tag_wave(wave)
    db.session.commit()
    click.echo(f"{counts['comments']} approved comment(s) tagged, {counts['moderated']} kept as the moderators labelled them"
               + ("" if comment_tags.current_model() else " (rules only: no model yet, run `flask comments train`)"))
    for label in comment_tags.LABELS:
        click.echo(f"  {label}: {counts[label]}")
