#!/usr/bin/env python3
"""Validate outputs against JSON Schemas with Python's jsonschema (Draft 2020-12, formats checked).

Reads one JSON object on stdin:
    {"cases": [{"schema": {...}, "outputs": ["<json text>", ...]}, ...]}
and writes a JSON array with, per case, a list of problems (empty when every output parses and validates):
each problem is {"output": index, "error": "..."}.

Tests/GrammarTests run it with the test venv's python (`make venv` installs jsonschema there).
"""

import json
import sys

import jsonschema


def main():
    request = json.load(sys.stdin)
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    results = []
    for case in request["cases"]:
        validator = jsonschema.Draft202012Validator(case["schema"], format_checker=checker)
        problems = []
        for index, text in enumerate(case["outputs"]):
            try:
                instance = json.loads(text)
            except ValueError as error:
                problems.append({"output": index, "error": "not JSON: %s" % error})
                continue
            for error in validator.iter_errors(instance):
                problems.append({"output": index, "error": error.message})
        results.append(problems)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
