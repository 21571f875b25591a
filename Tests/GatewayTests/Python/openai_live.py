"""Drives a running Batchgate gateway with the official openai client (over TLS) and checks the answers' shapes.

Usage: openai_live.py BASE_URL API_KEY CA_FILE MODEL
Prints one line per check and exits non-zero at the first failure.
"""
import sys

import openai

base_url, api_key, ca_file, model = sys.argv[1:5]
client = openai.OpenAI(
    base_url=base_url, api_key=api_key, http_client=openai.DefaultHttpx2Client(verify=ca_file), max_retries=0
)


def check(condition, what):
    if not condition:
        print(f"FAIL {what}", flush=True)
        sys.exit(1)
    print(f"ok {what}", flush=True)


models = client.models.list()
check([m.id for m in models.data] == [model], "models.list names the model")

chat = client.chat.completions.create(
    model=model, messages=[{"role": "user", "content": "Hello"}], max_tokens=8, extra_body={"ignore_eos": True}
)
check(chat.object == "chat.completion", "chat: object")
check(chat.choices[0].message.role == "assistant", "chat: assistant message")
check(chat.choices[0].finish_reason == "length", "chat: finish_reason length")
check(chat.usage.completion_tokens == 8 and chat.usage.total_tokens == chat.usage.prompt_tokens + 8, "chat: usage")

completion = client.completions.create(model=model, prompt="Once upon a time", max_tokens=5, temperature=0)
check(completion.object == "text_completion", "completion: object")
check(completion.choices[0].finish_reason in ("stop", "length"), "completion: finish_reason")
check(completion.usage.completion_tokens <= 5, "completion: usage")

pieces, finish, usage = [], None, None
for chunk in client.chat.completions.create(
    model=model,
    messages=[{"role": "user", "content": "Stream please"}],
    max_tokens=6,
    stream=True,
    stream_options={"include_usage": True},
    extra_body={"ignore_eos": True},
):
    if chunk.usage is not None:
        usage = chunk.usage
        check(chunk.choices == [], "chat stream: usage chunk has no choices")
    for choice in chunk.choices:
        if choice.delta.content:
            pieces.append(choice.delta.content)
        if choice.finish_reason:
            finish = choice.finish_reason
check(finish == "length", "chat stream: finish_reason length")
check(usage is not None and usage.completion_tokens == 6, "chat stream: usage chunk")

texts, finish = [], None
for chunk in client.completions.create(model=model, prompt="Count:", max_tokens=4, stream=True, extra_body={"ignore_eos": True}):
    texts.append(chunk.choices[0].text)
    finish = chunk.choices[0].finish_reason or finish
check(finish == "length", "completion stream: finish_reason length")

try:
    client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "x"}])
    check(False, "unknown model raises NotFoundError")
except openai.NotFoundError as error:
    check(error.body.get("code") == "model_not_found", "unknown model raises NotFoundError with code model_not_found")

try:
    client.chat.completions.create(model=model, messages=[{"role": "user", "content": "x"}], n=2)
    check(False, "n=2 raises BadRequestError")
except openai.BadRequestError as error:
    check(error.body.get("param") == "n", "n=2 raises BadRequestError naming n")

print("all checks passed")
