#!/usr/bin/env python3
"""Render a model's Jinja chat template with Python's jinja2, as Hugging Face transformers' apply_chat_template and
llama-cpp-python's Jinja2ChatFormatter do (sandboxed environment, trim_blocks, lstrip_blocks, raise_exception).

Reads one JSON object on stdin:
    {"template": "...", "bos_token": "<s>", "eos_token": "</s>",
     "conversations": [{"messages": [{"role": "user", "content": "Hi"}], "add_generation_prompt": true,
                        "tools": [...]}, ...]}
("tools" is optional; messages may hold "tool_calls" with "arguments" as objects, as transformers expects them.)
The `tojson` filter is transformers' (`json.dumps` with ensure_ascii=False, keys in their order), not jinja2's
HTML-safe, key-sorting one, so that tools render as they do for the models' own tokenizers.
and writes a JSON array with one rendered string per conversation (or {"error": "..."} when the template raises).

The tests in Tests/TokenizersTests/JinjaTemplateTests.swift run it with the test venv's python (`make venv`).
"""

import json
import sys
from datetime import datetime

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def main():
    request = json.load(sys.stdin)
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
    env.globals["raise_exception"] = raise_exception
    env.filters["tojson"] = tojson
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    template = env.from_string(request["template"])
    out = []
    for conversation in request["conversations"]:
        # Tools and call arguments may come as JSON text: read them here, keeping their keys' order.
        tools = [json.loads(tool) if isinstance(tool, str) else tool for tool in conversation.get("tools") or []]
        for message in conversation["messages"]:
            for call in message.get("tool_calls") or []:
                if isinstance(call["function"].get("arguments"), str):
                    call["function"]["arguments"] = json.loads(call["function"]["arguments"])
        try:
            out.append(
                template.render(
                    messages=conversation["messages"],
                    tools=tools or None,
                    add_generation_prompt=conversation.get("add_generation_prompt", True),
                    bos_token=request.get("bos_token", ""),
                    eos_token=request.get("eos_token", ""),
                )
            )
        except jinja2.exceptions.TemplateError as error:
            out.append({"error": str(error)})
    json.dump({"jinja2": jinja2.__version__, "rendered": out}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
