"""``python -m survey_definitions FILE...``: validate definition files, one problem per line.

Without arguments it validates the shipped files. Exit status 1 when any file has a problem.
"""

from __future__ import annotations

import sys

from .loader import DefinitionError, load, shipped


def main(argv: list[str] | None = None) -> int:
    paths = (sys.argv[1:] if argv is None else argv) or [str(p) for p in shipped()]
    failed = False
    for path in paths:
        try:
            questionnaire = load(path)
        except DefinitionError as exc:
            failed = True
            print(exc, file=sys.stderr)
        except OSError as exc:
            failed = True
            print(f"{path}: {exc.strerror}", file=sys.stderr)
        else:
            print(f"{path}: ok ({questionnaire.id} v{questionnaire.version}, "
                  f"{len(questionnaire.questions)} questions, {questionnaire.checksum[:12]})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
