"""Prompt-to-Prompt token-level reference: word indices, replace / refine mappers, equalizer,
cross-attention replacement schedule and LocalBlend word selection.

An independent re-implementation of the behaviour of google/prompt-to-prompt
(`ptp_utils.get_word_inds`, `ptp_utils.get_time_words_attention_alpha`,
`seq_aligner.get_replacement_mapper`, `seq_aligner.get_refinement_mapper`, the notebooks'
`get_equalizer` and `LocalBlend.__init__`), run with the transformers 5 CLIPTokenizer on
gpu-worker/src/test/resources/reference/tiny/tokenizer with [I], [A] added. Writes
gpu-worker/src/test/resources/reference/p2p-aligners.json for PromptToPromptAlignerParityTest.

    .venv/bin/python p2p_aligners.py [--check-against DIR]

--check-against DIR: DIR holds the public seq_aligner.py and ptp_utils.py; every mapper, word
index list and schedule computed here is then also computed by those files and must be equal
(their notebook-only helpers, get_equalizer and LocalBlend, are not checked this way).
"""
import argparse
import json
import sys
import types
from pathlib import Path

import numpy as np
import torch
from transformers import CLIPTokenizer

ROOT = Path(__file__).resolve().parents[2]
TOKENIZER_DIR = ROOT / "gpu-worker/src/test/resources/reference/tiny/tokenizer"
OUT = ROOT / "gpu-worker/src/test/resources/reference/p2p-aligners.json"
ADDED_TOKENS = ["[I]", "[A]"]
MAX_LEN = 77


def load_tokenizer():
    tok = CLIPTokenizer.from_pretrained(TOKENIZER_DIR)
    assert tok.add_tokens(ADDED_TOKENS) == 2
    assert tok.convert_tokens_to_ids(ADDED_TOKENS) == [49408, 49409]
    return tok


# ---------------------------------------------------------------------------------------------
# Word indices (get_word_inds)
# ---------------------------------------------------------------------------------------------

def word_positions(tok, text, word):
    """Token positions (BOS = 0) of a word given by its text or by its index among text.split(" ").

    Each content token is charged len(decode([token]).strip("#")) characters against the current
    space-separated word; the word is left once its length is reached. A text whose tokens decode
    to more characters than its words hold walks off the last word: IndexError, as the public
    code does.
    """
    words = text.split(" ")
    if isinstance(word, str):
        wanted = {k for k, w in enumerate(words) if w == word}
    else:
        wanted = {word}
    positions = []
    if not wanted:
        return positions
    decoded = [tok.decode([t]).strip("#") for t in tok.encode(text)][1:-1]
    consumed, current = 0, 0
    for k, piece in enumerate(decoded):
        consumed += len(piece)
        if current in wanted:
            positions.append(k + 1)
        if consumed >= len(words[current]):  # IndexError once current == len(words)
            current += 1
            consumed = 0
    return positions


# ---------------------------------------------------------------------------------------------
# Replace mapper (get_replacement_mapper)
# ---------------------------------------------------------------------------------------------

def replace_mapper(tok, source, target, max_len=MAX_LEN):
    """[max_len, max_len] matrix, rows = source tokens, columns = target tokens."""
    src_words, tgt_words = source.split(" "), target.split(" ")
    if len(src_words) != len(tgt_words):
        raise ValueError(f"replace needs the same number of words: {len(src_words)} vs {len(tgt_words)}")
    changed = [k for k in range(len(tgt_words)) if src_words[k] != tgt_words[k]]
    src_pos = [word_positions(tok, source, k) for k in changed]
    tgt_pos = [word_positions(tok, target, k) for k in changed]
    m = np.zeros((max_len, max_len))
    i = j = 0
    nxt = 0
    while i < max_len and j < max_len:
        if nxt < len(changed) and src_pos[nxt][0] == i:
            s, t = src_pos[nxt], tgt_pos[nxt]
            if len(s) == len(t):
                for a, b in zip(s, t):
                    m[a, b] = 1
            else:
                for b in t:
                    for a in s:
                        m[a, b] = 1 / len(t)
            nxt += 1
            i += len(s)
            j += len(t)
        elif nxt < len(changed):
            m[i, j] = 1
            i += 1
            j += 1
        else:
            # After the last changed word the public code writes the diagonal of the TARGET
            # index, m[j, j], not m[i, j].
            m[j, j] = 1
            i += 1
            j += 1
    return torch.from_numpy(m).float()


# ---------------------------------------------------------------------------------------------
# Refine mapper (get_refinement_mapper): Needleman-Wunsch, gap 0, match 1, mismatch -1
# ---------------------------------------------------------------------------------------------

LEFT, UP, DIAG, START = 1, 2, 3, 4


def align(x, y, gap=0, match=1, mismatch=-1):
    rows, cols = len(x) + 1, len(y) + 1
    score = [[0] * cols for _ in range(rows)]
    move = [[0] * cols for _ in range(rows)]
    for b in range(1, cols):
        score[0][b] = b * gap
        move[0][b] = LEFT
    for a in range(1, rows):
        score[a][0] = a * gap
        move[a][0] = UP
    move[0][0] = START
    for a in range(1, rows):
        for b in range(1, cols):
            left = score[a][b - 1] + gap
            up = score[a - 1][b] + gap
            diag = score[a - 1][b - 1] + (match if x[a - 1] == y[b - 1] else mismatch)
            best = max(left, up, diag)
            score[a][b] = best
            # ties: left first, then up, then diagonal
            move[a][b] = LEFT if best == left else UP if best == up else DIAG
    return move


def target_to_source(x, y):
    """For each target position, the aligned source position or -1 (an inserted token)."""
    move = align(x, y)
    a, b = len(x), len(y)
    pairs = []
    while a > 0 or b > 0:
        step = move[a][b]
        if step == DIAG:
            a, b = a - 1, b - 1
            pairs.append(a)
        elif step == LEFT:
            b -= 1
            pairs.append(-1)
        elif step == UP:
            a -= 1
        else:
            break
    pairs.reverse()
    assert len(pairs) == len(y)
    return pairs


def refine_mapper(tok, source, target, max_len=MAX_LEN):
    x, y = tok.encode(source), tok.encode(target)
    base = target_to_source(x, y)
    mapper = torch.zeros(max_len, dtype=torch.int64)
    alphas = torch.ones(max_len)
    mapper[:len(base)] = torch.tensor(base, dtype=torch.int64)
    alphas[:len(base)] = torch.tensor([0.0 if s == -1 else 1.0 for s in base])
    # positions past the target's EOS point at the same position in the source, alpha 1
    mapper[len(y):] = torch.arange(len(y), max_len)
    return mapper, alphas


# ---------------------------------------------------------------------------------------------
# Equalizer (get_equalizer of null_text_w_ptp.ipynb: one factor per selected word)
# ---------------------------------------------------------------------------------------------

def equalizer(tok, text, words, factors, max_len=MAX_LEN):
    eq = torch.ones(1, max_len)
    for word, factor in zip(words, factors):
        pos = word_positions(tok, text, word)
        eq[:, pos] = factor
    return eq[0]


# ---------------------------------------------------------------------------------------------
# Cross-attention replacement schedule (get_time_words_attention_alpha)
# ---------------------------------------------------------------------------------------------

def set_window(alpha, window, prompt, positions=None):
    if isinstance(window, float):
        window = (0.0, window)
    rows = alpha.shape[0]  # num_steps + 1
    start, end = int(window[0] * rows), int(window[1] * rows)
    cols = torch.arange(alpha.shape[2]) if positions is None else torch.tensor(positions, dtype=torch.int64)
    alpha[:start, prompt, cols] = 0
    alpha[start:end, prompt, cols] = 1
    alpha[end:, prompt, cols] = 0


def cross_replace_alpha(tok, prompts, num_steps, steps_spec, max_len=MAX_LEN):
    spec = dict(steps_spec) if isinstance(steps_spec, dict) else {"default_": steps_spec}
    spec.setdefault("default_", (0.0, 1.0))
    alpha = torch.zeros(num_steps + 1, len(prompts) - 1, max_len)
    for p in range(len(prompts) - 1):
        set_window(alpha, spec["default_"], p)
    for word, window in spec.items():
        if word == "default_":
            continue
        for p in range(len(prompts) - 1):
            pos = word_positions(tok, prompts[p + 1], word)
            if pos:
                set_window(alpha, window, p, pos)
    return alpha


# ---------------------------------------------------------------------------------------------
# LocalBlend word selection (alpha_layers of LocalBlend.__init__)
# ---------------------------------------------------------------------------------------------

def blend_selection(tok, prompts, words_per_prompt, max_len=MAX_LEN):
    sel = torch.zeros(len(prompts), max_len)
    for p, (prompt, words) in enumerate(zip(prompts, words_per_prompt)):
        if isinstance(words, str):
            words = [words]
        for word in words:
            sel[p, word_positions(tok, prompt, word)] = 1
    return sel


# ---------------------------------------------------------------------------------------------
# The battery
# ---------------------------------------------------------------------------------------------

WORD_CASES = [
    ("a photo of a [I] lady", "lady"),
    ("a photo of a [I] lady", "[I]"),
    ("a photo of a [I] lady", 5),
    ("a photo of a hippopotamus", "hippopotamus"),
    ("a photo of a hippopotamus", 4),
    ("a cat and a cat", "cat"),
    ("a cat and a cat", "a"),
    ("a lady, smiling!", "lady,"),
    ("a lady, smiling!", "smiling!"),
    ("a lady, smiling!", "lady"),  # not a space-separated word: no positions
    ("A Photo of a Lady", "Lady"),
    ("[A] and [I] dancing in the rain", "[A]"),
    ("[A] and [I] dancing in the rain", "rain"),
    ("a [I]lady on a sofa", "[I]lady"),
    ("a [I]lady on a sofa", "sofa"),
    ("a  cat on a sofa", "cat"),  # double space: an empty word takes one token
    ("a  cat on a sofa", "sofa"),
    (" a cat", "cat"),  # leading space shifts every word
    ("a cat ", "cat"),
    ("#sunset over the sea", "sea"),
    ("a ##cat on a sofa", "sofa"),
    ("a photo of a caf\u00e9 in paris", "paris"),
    ("na\u00efve art of a fox", "fox"),
    ("a \U0001f642 face and a cat", "cat"),
    ("a \U0001f642\U0001f642\U0001f642wow cat", "cat"),  # lengths are code points, not UTF-16 units
    ("a \U0001f431\U0001f431cat on a sofa", "\U0001f431\U0001f431cat"),
    ("a \U0001f436\U0001f431\U0001f42d trio on a sofa", "sofa"),  # the mouse is cut into byte pieces
    ("a \u65e5\u672c\u8a9e sign", "sign"),  # CJK split into byte pieces
    ("a \ufb01sh", "a"),  # ligature: its byte pieces outrun the word, IndexError
    ("a photo of a cat", 7),  # index past the last word: no positions
    ("it's a dog's life", "dog's"),
    ("a red-haired lady", "red-haired"),
    ("a photo of a cat", "dog"),
]

REPLACE_CASES = [
    ("a photo of a cat", ["a photo of a hippopotamus"]),
    ("a photo of a hippopotamus", ["a photo of a cat"]),
    ("a photo of a hippopotamus", ["a photo of a rhinoceros"]),
    ("a hippopotamus on a sofa", ["a cat on a sofa"]),
    ("a cat on a sofa", ["a hippopotamus on a sofa"]),
    ("a photo of a [I] lady", ["a photo of a [I] man"]),
    ("a photo of a [I] lady", ["a painting of a [I] lady"]),
    ("a cat sitting on a car", ["a dog sitting on a truck"]),
    ("a squirrel eating a burger", ["a lion eating a lasagne"]),
    ("a photo of a [I] lady on the beach", ["a watercolor of a [I] lady on the beach"]),
    ("[A] and [I] dancing in the rain", ["[A] and [I] dancing in the snow"]),
    ("a cat, on a sofa.", ["a dog, on a bed."]),
    ("a photo of a cat", ["a photo of a cat"]),
    ("a photo of a cat", ["a photo of a dog", "a painting of a hippopotamus"]),
    ("a photo of a cat", ["a photo of a big cat"]),  # word counts differ
]

REFINE_CASES = [
    ("a photo of a [I] lady", ["a photo of a [I] lady with bangs"]),
    ("a photo of a [I] lady with bangs", ["a photo of a [I] lady"]),
    ("a cat on a sofa", ["a fluffy cat on a red sofa"]),
    ("a photo of a lady", ["a photo of a lady, smiling!"]),
    ("a watercolor painting of a squirrel eating a burger", ["a squirrel eating a burger"]),
    ("a cat", ["a dog"]),
    ("[A] and [I] dancing in the rain", ["[I] dancing alone in the heavy rain"]),
    ("a photo of a [I] lady", ["a photo of a [I] lady"]),
    ("a photo of a cat", [""]),
    ("a a a cat", ["a cat a a"]),
    ("a photo of a [I] lady", ["a photo of a [I] lady with bangs", "a photo of a [I] lady wearing glasses"]),
    ("a painting of a hippopotamus, in the style of van gogh", ["a hippopotamus, in the style of picasso and van gogh"]),
    # reorderings: here the tie order of the traceback (left, then up, then diagonal) decides
    ("red roses and a vase", ["a vase and red roses"]),
    ("a red dog", ["a dog, red"]),
    ("a dog next to a cat", ["a cat next to a dog and a cat"]),
    ("[I] lady in a garden", ["a garden with a [I] lady"]),
    ("a lady in a red dress", ["a red dress on a lady"]),
]


def long_prompt(n_words):
    colours = ["red", "green", "blue", "yellow", "purple", "orange", "black", "white"]
    return " ".join(colours[k % len(colours)] for k in range(n_words))


REFINE_CASES += [
    (long_prompt(70), [long_prompt(75)]),
    (long_prompt(75), [long_prompt(60) + " cat"]),
]

EQUALIZER_CASES = [
    ("a photo of a [I] lady with bangs", ["bangs"], [2.0]),
    ("a photo of a [I] lady with bangs", ["[I]", "lady"], [0.5, 3.0]),
    ("a photo of a [I] lady with bangs", [5], [-1.0]),
    ("a cat and a cat", ["cat"], [0.0]),
    ("a photo of a hippopotamus", ["hippopotamus"], [4.0]),
    ("a photo of a cat", ["cat", 4], [4.0, 0.25]),  # the later entry wins where both select a token
    ("a smiling lady, wearing glasses.", ["smiling", "glasses."], [5.0, 0.3]),
]

SCHEDULE_CASES = [
    (["a photo of a [I] lady", "a photo of a [I] lady with bangs"], 50, 0.8),
    (["a photo of a [I] lady", "a photo of a [I] lady with bangs"], 10, 0.8),
    (["a photo of a [I] lady", "a photo of a [I] lady with bangs"], 50, {"default_": 0.8, "bangs": 0.2}),
    (["a photo of a [I] lady", "a photo of a [I] lady with bangs"], 10, {"default_": 0.8, "bangs": 0.2}),
    (["a photo of a cat", "a photo of a hippopotamus"], 50, {"default_": (0.1, 0.9), "hippopotamus": (0.0, 0.5)}),
    (["a photo of a cat", "a photo of a dog"], 10, {"dog": 0.4}),  # no default_: (0, 1) for the rest
    (["a photo of a [I] lady", "a photo of a [I] lady with bangs", "a photo of a [I] lady wearing glasses"],
     50, {"default_": 0.8, "bangs": 0.4, "glasses": (0.2, 0.6)}),
    (["a cat", "a cat and a cat"], 50, {"default_": 0.7, "cat": 0.3}),
    (["a cat", "a dog"], 50, 1.0),
    (["a cat", "a dog"], 10, 0.0),
    (["a cat", "a dog"], 10, (0.2, 0.6)),
    (["a cat", "a dog"], 7, 0.35),
]

BLEND_CASES = [
    (["a photo of a cat", "a photo of a dog"], [["cat"], ["dog"]]),
    (["a photo of a [I] lady", "a photo of a [I] lady with bangs"], [["lady", "[I]"], ["lady", "bangs"]]),
    (["a cat and a cat", "a hippopotamus and a cat"], [["cat"], ["hippopotamus"]]),
]


def attempt(fn):
    try:
        return fn(), None
    except (IndexError, ValueError) as e:
        return None, type(e).__name__


def bits(row):
    values = row.tolist()
    assert all(v in (0.0, 1.0) for v in values), values
    return "".join("1" if v else "0" for v in values)


def sparse(matrix):
    rows, cols = torch.nonzero(matrix, as_tuple=True)
    return [[int(r), int(c), float(matrix[r, c])] for r, c in zip(rows, cols)]


def build(tok, public):
    doc = {
        "about": "Prompt-to-Prompt token-level reference (tools/reference/p2p_aligners.py): an independent"
                 " re-implementation of google/prompt-to-prompt's get_word_inds, get_replacement_mapper,"
                 " get_refinement_mapper, get_equalizer (null_text_w_ptp.ipynb), get_time_words_attention_alpha"
                 " and LocalBlend word selection; the same bytes with or without --check-against",
        "tokenizer": "transformers CLIPTokenizer from reference/tiny/tokenizer + add_tokens(['[I]', '[A]'])",
        "max_len": MAX_LEN,
        "layout": {
            "replace.mappers": "per target: nonzero entries [source_pos, target_pos, value] of the [77, 77] mapper",
            "refine.mappers": "per target: 77 source positions (-1 = inserted token); alphas 77 floats",
            "schedule.global": "[start, end] fractions for every token ((0, 1) where the public dict had no default_)",
            "schedule.words": "[word, start, end] per-word windows, in the order applied",
            "schedule.alpha": "[steps + 1][targets] strings of 77 '0'/'1' (token positions)",
            "word_inds.decoded": "tokenizer.decode([id]) of every id, BOS and EOS included",
            "error": "present where the public code raises (IndexError, ValueError); no result then",
        },
        "word_inds": [], "replace": [], "refine": [], "equalizer": [], "schedule": [], "blend": [],
    }
    for prompt, word in WORD_CASES:
        out, err = attempt(lambda: word_positions(tok, prompt, word))
        if public is not None:
            ref, ref_err = attempt(lambda: public.ptp_utils.get_word_inds(prompt, word, tok).tolist())
            assert (ref, ref_err) == (out, err), (prompt, word, ref, ref_err, out, err)
        ids = tok.encode(prompt)
        case = {"prompt": prompt, "word": word, "words": prompt.split(" "), "ids": ids,
                "decoded": [tok.decode([t]) for t in ids]}
        case.update({"error": err} if err else {"positions": out})
        doc["word_inds"].append(case)
    for source, targets in REPLACE_CASES:
        out, err = attempt(lambda: [replace_mapper(tok, source, t) for t in targets])
        if public is not None:
            ref, ref_err = attempt(lambda: public.seq_aligner.get_replacement_mapper([source] + targets, tok))
            assert ref_err == err and (err or torch.equal(ref, torch.stack(out))), (source, targets)
        case = {"source": source, "targets": targets}
        case.update({"error": err} if err else {"mappers": [sparse(m) for m in out]})
        doc["replace"].append(case)
    for source, targets in REFINE_CASES:
        out = [refine_mapper(tok, source, t) for t in targets]
        if public is not None:
            ref_mapper, ref_alphas = public.seq_aligner.get_refinement_mapper([source] + targets, tok)
            assert torch.equal(ref_mapper, torch.stack([m for m, _ in out])), (source, targets)
            assert torch.equal(ref_alphas, torch.stack([a for _, a in out])), (source, targets)
        doc["refine"].append({
            "source": source, "targets": targets,
            "source_ids": tok.encode(source), "target_ids": [tok.encode(t) for t in targets],
            "mappers": [m.tolist() for m, _ in out], "alphas": [a.tolist() for _, a in out],
        })
    for prompt, words, factors in EQUALIZER_CASES:
        eq = equalizer(tok, prompt, words, factors)
        doc["equalizer"].append({"prompt": prompt, "words": words, "factors": factors, "equalizer": eq.tolist()})
    for prompts, steps, spec in SCHEDULE_CASES:
        alpha = cross_replace_alpha(tok, prompts, steps, spec)
        if public is not None:
            ref = public.ptp_utils.get_time_words_attention_alpha(prompts, steps, dict(spec) if isinstance(spec, dict)
                                                                  else spec, tok)
            assert torch.equal(ref.reshape(alpha.shape), alpha), (prompts, steps, spec)
        windows = dict(spec) if isinstance(spec, dict) else {"default_": spec}
        as_pair = lambda v: list(v) if isinstance(v, tuple) else [0.0, v]
        doc["schedule"].append({
            "prompts": prompts, "steps": steps,
            "global": as_pair(windows.pop("default_", (0.0, 1.0))),
            "words": [[w] + as_pair(v) for w, v in windows.items()],
            "alpha": [[bits(alpha[s, p]) for p in range(alpha.shape[1])] for s in range(alpha.shape[0])],
        })
    for prompts, words in BLEND_CASES:
        sel = blend_selection(tok, prompts, words)
        doc["blend"].append({"prompts": prompts, "words": words, "selection": [bits(r) for r in sel]})
    return doc


def load_public(directory):
    """Imports the public seq_aligner.py / ptp_utils.py, stubbing their notebook-only imports."""
    for name in ("cv2", "IPython", "IPython.display", "tqdm.notebook"):
        stub = sys.modules.setdefault(name, types.ModuleType(name))
        stub.display = getattr(stub, "display", None)
        stub.tqdm = getattr(stub, "tqdm", None)
    sys.path.insert(0, str(directory))
    import ptp_utils
    import seq_aligner
    return types.SimpleNamespace(ptp_utils=ptp_utils, seq_aligner=seq_aligner)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check-against", type=Path, help="folder with the public seq_aligner.py and ptp_utils.py")
    args = parser.parse_args()
    torch.set_num_threads(1)
    tok = load_tokenizer()
    public = load_public(args.check_against) if args.check_against else None
    doc = build(tok, public)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    counts = {k: len(doc[k]) for k in ("word_inds", "replace", "refine", "equalizer", "schedule", "blend")}
    print(f"wrote {OUT.relative_to(ROOT)}: {counts}" + (" (equal to the public code)" if public else ""))


if __name__ == "__main__":
    main()
