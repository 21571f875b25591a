"""Drives a running Batchgate gateway with the official openai client (over TLS): structured output with
`client.beta.chat.completions.parse` and a Pydantic model, and a tool-calling round trip (call, tool result, final
answer), each streamed and not.

Usage: openai_structured.py BASE_URL API_KEY CA_FILE MODEL
Prints one line per check and exits non-zero at the first failure.
"""
import json
import sys
from typing import Literal

import openai
from pydantic import BaseModel, Field

base_url, api_key, ca_file, model = sys.argv[1:5]
client = openai.OpenAI(
    base_url=base_url, api_key=api_key, http_client=openai.DefaultHttpx2Client(verify=ca_file), max_retries=0
)


def check(condition, what):
    if not condition:
        print(f"FAIL {what}", flush=True)
        sys.exit(1)
    print(f"ok {what}", flush=True)


class Person(BaseModel):
    name: str = Field(max_length=12)
    age: int = Field(ge=0, le=120)
    mood: Literal["happy", "sad"]


messages = [{"role": "user", "content": "Invent a person. Answer in JSON."}]
for seed in range(1, 4):
    completion = client.beta.chat.completions.parse(
        model=model, messages=messages, response_format=Person, max_tokens=120, seed=seed, temperature=1
    )
    choice = completion.choices[0]
    check(choice.finish_reason == "stop", f"parse seed {seed}: finish_reason stop")
    check(isinstance(choice.message.parsed, Person), f"parse seed {seed}: parsed into the Pydantic model")
    check(0 <= choice.message.parsed.age <= 120, f"parse seed {seed}: the bounds hold")

# The same through the streaming helper, which parses the streamed text at the end.
with client.beta.chat.completions.stream(
    model=model, messages=messages, response_format=Person, max_tokens=120, seed=7, temperature=1
) as stream:
    for _ in stream:
        pass
    final = stream.get_final_completion()
check(isinstance(final.choices[0].message.parsed, Person), "stream: parsed into the Pydantic model")
check(final.choices[0].finish_reason == "stop", "stream: finish_reason stop")

tools = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city now",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string", "enum": ["Paris", "Oslo", "Lima"]}},
                "required": ["city"],
                "additionalProperties": False,
            },
        },
    }
]
question = {"role": "user", "content": "What is the weather in Paris?"}

for streamed in (False, True):
    label = "streamed" if streamed else "whole"
    # 1. The model must call the tool.
    request = dict(model=model, messages=[question], tools=tools, tool_choice="required", max_tokens=60, seed=3)
    if streamed:
        calls, finish = {}, None
        for chunk in client.chat.completions.create(stream=True, **request):
            for choice in chunk.choices:
                for delta in choice.delta.tool_calls or []:
                    call = calls.setdefault(delta.index, {"id": None, "name": None, "arguments": ""})
                    if delta.id:
                        call["id"] = delta.id
                    if delta.function and delta.function.name:
                        call["name"] = delta.function.name
                    if delta.function and delta.function.arguments:
                        call["arguments"] += delta.function.arguments
                finish = choice.finish_reason or finish
        check(len(calls) == 1, f"{label}: one call")
        call = calls[0]
        call_id, name, arguments = call["id"], call["name"], call["arguments"]
    else:
        answer = client.chat.completions.create(**request)
        finish = answer.choices[0].finish_reason
        message = answer.choices[0].message
        check(message.tool_calls is not None and len(message.tool_calls) == 1, f"{label}: one call")
        call_id = message.tool_calls[0].id
        name = message.tool_calls[0].function.name
        arguments = message.tool_calls[0].function.arguments
    check(finish == "tool_calls", f"{label}: finish_reason tool_calls")
    check(name == "get_weather" and call_id and call_id.startswith("call_"), f"{label}: call id and name")
    parsed = json.loads(arguments)
    check(parsed.get("city") in ("Paris", "Oslo", "Lima"), f"{label}: arguments valid under the schema")

    # 2. The tool's result goes back; the model answers in text.
    follow = [
        question,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
            ],
        },
        {"role": "tool", "tool_call_id": call_id, "content": "Sunny, 21 C"},
    ]
    request = dict(model=model, messages=follow, tools=tools, tool_choice="none", max_tokens=12, seed=3)
    if streamed:
        text, finish = "", None
        for chunk in client.chat.completions.create(stream=True, **request):
            for choice in chunk.choices:
                text += choice.delta.content or ""
                finish = choice.finish_reason or finish
    else:
        answer = client.chat.completions.create(**request)
        text, finish = answer.choices[0].message.content or "", answer.choices[0].finish_reason
    check(finish in ("stop", "length"), f"{label}: the final answer ends with stop or length")
    check(len(text) > 0 or finish == "stop", f"{label}: the final answer has text unless it stopped at once")

try:
    client.chat.completions.create(
        model=model,
        messages=[question],
        response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object", "not": {}}}},
    )
    check(False, "an unsupported keyword raises BadRequestError")
except openai.BadRequestError as error:
    check("'not'" in error.body.get("message", ""), "an unsupported keyword raises BadRequestError naming it")

print("all checks passed")
