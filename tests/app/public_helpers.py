"""Helpers for the citizen-page tests: walk the questionnaire as a browser without JavaScript would."""
from __future__ import annotations

import re

from app.collect import page_flow
from app.programme.questionnaires import questionnaire_of

PAGE = re.compile(r'name="_page" value="(\d+)"')
SHOWN = re.compile(r'name="_shown" value="([^"]*)"')


def page_number(html: str) -> int:
    return int(PAGE.search(html).group(1))


def shown(html: str) -> str:
    return SHOWN.search(html).group(1)


def post_page(client, html: str, answers: dict, action: str = "next", **extra):
    """Post the page in ``html`` with the answers to the questions it shows."""
    codes = shown(html).split()
    data = {"_page": page_number(html), "_shown": " ".join(codes), "action": action}
    data.update({c: answers[c] for c in codes if c in answers})
    data.update(extra)
    return client.post("/answer", data=data)


def answer_all(client, wave, answers: dict, max_pages: int = 40):
    """From the current page to the end; returns the last response (thanks redirect or a page)."""
    response = client.get("/answer")
    for _ in range(max_pages):
        if response.status_code != 200 or "_page" not in response.get_data(as_text=True):
            return response
        response = post_page(client, response.get_data(as_text=True), answers)
        if response.status_code == 303:
            if response.headers["Location"].endswith("/answer/thanks"):
                return response
            response = client.get(response.headers["Location"])
    raise AssertionError("the questionnaire did not end")


def page_count(wave) -> int:
    return len(page_flow.pages(questionnaire_of(wave.survey_version)))
