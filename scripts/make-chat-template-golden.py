#!/usr/bin/env python3
"""Write Tests/TokenizersTests/Golden/llama-chat-templates.json: llama.cpp's built-in chat formats.

The reference is llama.cpp's `llama_chat_apply_template` (its `llm_chat_detect_template` then
`llm_chat_apply_template`) through the llama-cpp-python 0.3.36 wheel:

    /tmp/venv-ref/bin/python scripts/make-chat-template-golden.py

For each template (a built-in name, or a Jinja snippet that carries llama.cpp's detection markers)
and each conversation it stores the prompt text llama.cpp produces, or null when llama.cpp does not recognise the
template. No model file is needed: the function works on the template text alone. The name "llama2" is left out on
purpose: Batchgate's forced `llama2` family is llama.cpp's `llama2-sys` (with the <<SYS>> block).
"""

import ctypes
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "TokenizersTests", "Golden", "llama-chat-templates.json")

TEMPLATES = [
    ("name chatml", "chatml"),
    ("name llama3", "llama3"),
    ("name mistral-v1", "mistral-v1"),
    ("name mistral-v3", "mistral-v3"),
    ("name mistral-v3-tekken", "mistral-v3-tekken"),
    ("name mistral-v7", "mistral-v7"),
    ("name mistral-v7-tekken", "mistral-v7-tekken"),
    ("marker v1", "{{ bos_token }}{{ ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}"),
    ("marker v3", "{{ '[AVAILABLE_TOOLS]' }}{{ '[INST]' + message['content'] + '[/INST]' }}"),
    ("marker v3-tekken", "{{- \"[AVAILABLE_TOOLS]\" }}{{- \"[INST]\" + message['content'] + \"[/INST]\" }}"),
    ("marker v7", "{{ '[SYSTEM_PROMPT]' + system_message + '[/SYSTEM_PROMPT]' }}{{ '[INST]' + c + '[/INST]' }}"),
    ("marker llama2-sys", "{{ '[INST] <<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' }}"),
    ("marker llama2-sys-bos", "{{ bos_token + '[INST] ' + '<<SYS>>' }}"),
    ("marker llama2", "{{ '[INST] ' + content + ' [/INST]' }}"),
    ("prefix mistral", "mistral-like {{ '[INST]' }}"),
    ("unknown", "{% for m in messages %}<<{{ m.role }}>>{{ m.content }}{% endfor %}"),
]

CONVERSATIONS = [
    ([("user", "Hello!")], True),
    ([("system", "You are terse."), ("user", "Hello!")], True),
    ([("user", "What is 2+2?"), ("assistant", "  4.  "), ("user", "And 3+3?")], True),
    ([("system", "Answer in French."), ("user", "Hi"), ("assistant", "Salut !"), ("user", "Bye\nnow")], True),
    ([("user", "No generation prompt")], False),
]


def apply(template, turns, add_generation_prompt):
    import llama_cpp

    keep = [(role.encode(), content.encode()) for role, content in turns]
    chat = (llama_cpp.llama_chat_message * len(keep))(*[llama_cpp.llama_chat_message(r, c) for r, c in keep])
    size = 4096
    while True:
        buffer = ctypes.create_string_buffer(size)
        n = llama_cpp.llama_chat_apply_template(template.encode(), chat, len(keep), add_generation_prompt, buffer, size)
        if n < 0:
            return None
        if n <= size:
            return buffer.raw[:n].decode("utf-8")
        size = n + 1


def main():
    import llama_cpp

    templates = TEMPLATES
    golden = {
        "generator": "scripts/make-chat-template-golden.py",
        "reference": f"llama-cpp-python {llama_cpp.__version__}: llama_chat_apply_template(tmpl, chat, add_ass)",
        "conversations": [
            {"messages": [{"role": r, "content": c} for r, c in turns], "add_generation_prompt": add}
            for turns, add in CONVERSATIONS
        ],
        "templates": [
            {"name": name, "template": text, "texts": [apply(text, turns, add) for turns, add in CONVERSATIONS]}
            for name, text in templates
        ],
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{OUT}: {len(templates)} templates x {len(CONVERSATIONS)} conversations")


if __name__ == "__main__":
    main()
