"""An event's custom questions: written by staff one per line, asked on the registration page.

A line is ``[*]question | kind[: choice, choice…]``: a leading ``*`` makes the answer
required; the kind is ``text`` (the default when the ``|`` part is left out), ``choice``
(one of the listed choices) or ``yesno``; the Chinese words 文本, 单选 and 是否 work too, and
choices may be separated by Chinese commas (、，). A registrant's answers are kept by the
question's text, so a list or an export reads without the settings.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _

from crm_core.toolkit import DomainError

MAX_QUESTIONS = 20
MAX_LABEL = 200
MAX_CHOICES = 20
MAX_CHOICE = 100
MAX_ANSWER = 1000
KINDS = {"text": "text", "文本": "text", "choice": "choice", "单选": "choice",
         "yesno": "yesno", "是否": "yesno"}
YES, NO = "yes", "no"
_CHOICE_SPLIT = re.compile(r"[,，、;；]")


class QuestionError(DomainError):
    """A question line staff wrote that cannot be read; the message names its line."""

    field = "questions"
    status = 422


def _line_error(number: int, message: str) -> QuestionError:
    return QuestionError(_("Line %(n)d: %(message)s", n=number, message=message))


def parse_questions(text: str) -> list[dict[str, Any]]:
    """The questions written in ``text`` (one per line; blank lines skipped), else
    ``QuestionError`` naming the first line that cannot be read."""
    questions: list[dict[str, Any]] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if not line.isprintable():
            raise _line_error(number, _("Remove the control characters."))
        required = line.startswith("*")
        label, _sep, kind_text = line.lstrip("*").partition("|")
        label = label.strip()
        if not label:
            raise _line_error(number, _("Write the question before the \"|\"."))
        if len(label) > MAX_LABEL:
            raise _line_error(number, _("A question has at most %(n)d characters.",
                                        n=MAX_LABEL))
        kind_word, _colon, choice_text = kind_text.replace("：", ":").partition(":")
        kind = KINDS.get(kind_word.strip().lower() or "text")
        if kind is None:
            raise _line_error(number, _("Unknown kind \"%(kind)s\": write text, choice or "
                                        "yesno.", kind=kind_word.strip()))
        choices = [part.strip() for part in _CHOICE_SPLIT.split(choice_text) if part.strip()]
        if kind == "choice" and len(choices) < 2:
            raise _line_error(number, _("List at least two choices after \"choice:\"."))
        if len(choices) > MAX_CHOICES or any(len(part) > MAX_CHOICE for part in choices):
            raise _line_error(number, _("At most %(n)d choices of %(m)d characters each.",
                                        n=MAX_CHOICES, m=MAX_CHOICE))
        if label in {question["label"] for question in questions}:
            raise _line_error(number, _("This question is asked twice."))
        questions.append({"id": f"q{len(questions)}", "label": label, "kind": kind,
                          "choices": choices if kind == "choice" else [],
                          "required": required})
    if len(questions) > MAX_QUESTIONS:
        raise QuestionError(_("At most %(n)d questions.", n=MAX_QUESTIONS))
    return questions


def questions_text(questions: list[dict[str, Any]] | None) -> str:
    """The questions written back in the form staff edit them."""
    lines = []
    for question in questions or []:
        kind = question.get("kind", "text")
        tail = f" | {kind}" if kind != "text" else ""
        if kind == "choice":
            tail += ": " + ", ".join(question.get("choices") or [])
        lines.append(f"{'*' if question.get('required') else ''}{question['label']}{tail}")
    return "\n".join(lines)


def check_answers(questions: list[dict[str, Any]] | None, values: dict[str, Any]
                  ) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The answers to ``questions`` read from ``values`` (by question id), keyed by the
    question's text, and the errors per question id."""
    answers: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for question in questions or []:
        raw = values.get(question["id"])
        answer = raw.strip() if isinstance(raw, str) else ""
        if raw is not None and not isinstance(raw, str):
            errors[question["id"]] = [_("Send text here.")]
            continue
        if not answer:
            if question.get("required"):
                errors[question["id"]] = [_("Please answer this question.")]
            continue
        if len(answer) > MAX_ANSWER or not answer.replace("\n", " ").isprintable():
            errors[question["id"]] = [_("At most %(n)d characters of text.", n=MAX_ANSWER)]
        elif question["kind"] == "choice" and answer not in question["choices"]:
            errors[question["id"]] = [_("Not a valid choice.")]
        elif question["kind"] == "yesno" and answer not in (YES, NO):
            errors[question["id"]] = [_("Not a valid choice.")]
        else:
            answers[question["label"]] = answer
    return answers, errors


def answer_text(answer: str | None) -> str:
    """An answer as a person reads it (yes/no in their language)."""
    if answer == YES:
        return _("Yes")
    if answer == NO:
        return _("No")
    return answer or ""
