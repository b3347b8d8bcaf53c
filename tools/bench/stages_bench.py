#!/usr/bin/env python3
"""The reference side of tools/bench/stages-vs-reference: the operations of `./s2edit bench-stages`.

    python stages_bench.py --model DIR --height H --width W [--repeat N] [--warmup N] [--threads N]
                           [--edit-steps N] [--inversion-steps N] [--inner-steps K]
                           [--attention reference|classic|default] [--ops LIST]

Times S2Edit's three stages with torch / diffusers / transformers on the same weights and prints
one JSON line per figure in the bench format (impl "reference"):

  edit_N, edit_step    Prompt-to-Prompt as tools/reference/p2p_edit_reference.py runs it (its
                       EditController, attention processors and prompt encoding; word swap
                       "cat" -> "dog", cross replace 0.8, self replace 0.4 at <= 16x16 queries, no
                       local blend), N DDIM steps, guidance 5, the embedding of "" as every step's
                       null embedding. The controller's map store is off (STORE_MAX_QUERY = 0): it
                       feeds only LocalBlend, and the Java edit keeps no maps without it.
                       edit_step = one denoising step, sampled for steps 2..N (step 1 follows the
                       prompt encoding on the Java side).
  ddim_inversion_step  null_text_reference.ddim_inversion (the notebook's ddim_loop), total / N
  null_text_step       null_text_reference.null_optimization (at most K inner iterations, the
                       notebook's early stop), total / N
  null_text_iteration  (run with K - run with 1 inner iteration) / (difference in iterations run)
  inversion_step       ddim_inversion_step + null_text_step of the same repeat
  finetune_step        one step of S2Edit's identity fine-tuning written with torch (there is no
                       public S2Edit code): [I] added to the tokenizer, its row = "cat"'s; posterior
                       sample, add_noise at t ~ U{0..T-1}, text encoder on [P~, P] with gradients,
                       UNet(z_t, t, c(P~)), mse(eps, noise) + 0.1 |cos(e_P, e_[I])| (e_P: P's final
                       state at its first EOS, e_[I]: P~'s final state at [I]), backward,
                       clip_grad_norm_(1.0), torch.optim.AdamW (lr 2e-6, wd 1e-2) over every UNet
                       and text-encoder parameter, zero_grad. No spatial control. One learning rate
                       for all (the Java side gives the new token row its own, of equal value).

Attention outside the edit (--attention): by default as each reference runs it: classic
(AttnProcessor, probabilities materialised) for the inversion, as the notebook's
register_attention_control computes attention; diffusers' default AttnProcessor2_0 (fused
scaled_dot_product_attention) for fine-tuning, as DreamBooth's train script runs. Lines say impl
"reference"; with --attention classic / default both stages use that one ("reference-classic" /
"reference-sdpa").

Same image (stages_bench.test_image = BenchStagesCommand.testImage), prompts, x_T
(manual_seed(1); randn(1, C, h, w)) and thread count as the Java command, so `check` (image mean,
sum of z_T, last null-text loss) should agree; fine-tuning draws its noise from another generator.
"""

import argparse
import copy
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch
import torch.nn.functional as F
from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
from diffusers.models.attention_processor import AttnProcessor2_0
from transformers import CLIPTextModel, CLIPTokenizer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reference"))
import null_text_reference as ntr  # noqa: E402  (our Null-text reference: ddim_loop, null_optimization)
import p2p_edit_reference as p2p  # noqa: E402  (our Prompt-to-Prompt reference: controllers, processors)
from make_reference import first_eos_pool, tokenize_77  # noqa: E402

SOURCE = "a photo of a cat on a red sofa"
TARGET = "a photo of a dog on a red sofa"
IDENTITY_PROMPT = "a photo of a [I] cat on a red sofa"
OBJECT_WORD = "cat"
GUIDANCE = 5.0
NOISE_SEED = 1
FINETUNE_SEED = 0
OPS = ("edit", "inversion", "finetune")
# EditOptions.defaults() of the Java side, without local blend.
EDIT_OPTIONS = dict(mode="auto", cross=[0.0, 0.8], cross_words={}, self=[0.0, 0.4], self_max_query_length=16 * 16,
                    reweight=None, local_blend=None)
# FineTuneOptions.defaults(): AdamW as DreamBooth's script, lambda 0.1.
LEARNING_RATE, BETAS, EPSILON, WEIGHT_DECAY, MAX_GRAD_NORM, SEMANTIC_WEIGHT = 2e-6, (0.9, 0.999), 1e-8, 1e-2, 1.0, 0.1


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--height", type=int, required=True)
    p.add_argument("--width", type=int, required=True)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: leave torch's default)")
    p.add_argument("--edit-steps", type=int, default=4)
    p.add_argument("--inversion-steps", type=int, default=2)
    p.add_argument("--inner-steps", type=int, default=3)
    p.add_argument("--attention", choices=("reference", "classic", "default"), default="reference",
                   help="the UNet's attention outside the edit: reference = as each reference runs it (inversion "
                        "classic, as the notebook's register_attention_control; fine-tuning diffusers' default, as "
                        "DreamBooth's script); classic = AttnProcessor (probabilities materialised, as the Java "
                        "engine) for both; default = AttnProcessor2_0 (fused SDPA) for both")
    p.add_argument("--ops", default=",".join(OPS), help="comma-separated subset of " + ",".join(OPS))
    return p.parse_args()


IMPL = dict(reference="reference", classic="reference-classic", default="reference-sdpa")


def set_attention(args, m, stage):
    """Installs the UNet attention processor that --attention gives for `stage` (inversion, finetune)."""
    classic = args.attention == "classic" or (args.attention == "reference" and stage == "inversion")
    m["unet"].set_attn_processor(p2p.AttnProcessor() if classic else AttnProcessor2_0())


class Samples:
    """Wall and process-CPU ms of one operation; prints its line like BenchSamples."""

    def __init__(self):
        self.wall, self.cpu = [], []

    def add(self, span):
        self.wall.append(span[0])
        self.cpu.append(span[1])

    def line(self, args, op, **extra):
        return dict(impl=IMPL[args.attention], config=os.path.basename(os.path.normpath(args.model)), op=op,
                    height=args.height, width=args.width, threads=torch.get_num_threads(),
                    interop_threads=torch.get_num_interop_threads(), repeat=args.repeat, warmup=args.warmup,
                    median_ms=round(statistics.median(self.wall), 2), min_ms=round(min(self.wall), 2),
                    max_ms=round(max(self.wall), 2), samples_ms=[round(s, 2) for s in self.wall],
                    cpu_median_ms=round(statistics.median(self.cpu), 2), **extra)


def mark():
    return time.perf_counter(), time.process_time()


def since(start):
    wall, cpu = mark()
    return (wall - start[0]) * 1e3, (cpu - start[1]) * 1e3


def emit(line):
    print(json.dumps(line), flush=True)


def test_image(height, width):
    """BenchStagesCommand.testImage as [1, 3, H, W] in [-1, 1] (8-bit values / 127.5 - 1)."""
    y = torch.arange(height, dtype=torch.float64).reshape(height, 1)
    x = torch.arange(width, dtype=torch.float64).reshape(1, width)
    planes = [torch.floor(255 * (0.5 + 0.4 * torch.sin(2 * math.pi * ((c + 1) * x / width + (3 - c) * y / (2.0 * height))))
                          + 0.5) for c in range(3)]
    return (torch.stack(planes).unsqueeze(0) / 127.5 - 1).float()


def load(model):
    model = Path(model)
    m = dict(unet=UNet2DConditionModel.from_pretrained(model / "unet", dtype=torch.float32).eval(),
             vae=AutoencoderKL.from_pretrained(model / "vae", dtype=torch.float32).eval(),
             text_encoder=CLIPTextModel.from_pretrained(model / "text_encoder", dtype=torch.float32).eval(),
             tokenizer=CLIPTokenizer.from_pretrained(model / "tokenizer"),
             scheduler=DDIMScheduler.from_pretrained(model / "scheduler"))
    for module in (m["unet"], m["vae"], m["text_encoder"]):
        module.requires_grad_(False)
    m["tok"], m["te"] = m["tokenizer"], m["text_encoder"]  # the names p2p_edit_reference uses
    return m


class EditWithoutStore(p2p.EditController):
    STORE_MAX_QUERY = 0


@torch.no_grad()
def edit(m, steps, x_t, nulls, step_times):
    """p2p_edit_reference.run_case's loop, with each denoising step timed."""
    prompts = [SOURCE, TARGET]
    unet, vae = m["unet"], m["vae"]
    p2p.STEPS = steps  # the controller's cross and self windows are counted against the module's STEPS
    controller = EditWithoutStore(len(unet.attn_processors), m["tok"], prompts, EDIT_OPTIONS, tuple(x_t.shape[2:]))
    p2p.install(unet, controller)
    sched = copy.deepcopy(m["scheduler"])
    sched.set_timesteps(steps)
    cond = p2p.encode(m, prompts)
    latents = x_t.expand(len(prompts), *x_t.shape[1:]).clone()
    for i, t in enumerate(sched.timesteps):
        start = mark()
        context = torch.cat([nulls[i].expand(*cond.shape), cond])
        eps = unet(torch.cat([latents] * 2), t, encoder_hidden_states=context).sample
        eps_u, eps_c = eps.chunk(2)
        latents = sched.step(eps_u + GUIDANCE * (eps_c - eps_u), t, latents).prev_sample
        latents = controller.after_scheduler_step(latents)
        if i > 0:
            step_times.append(since(start))
    assert controller.step == steps and controller.layer == 0
    image = (vae.decode(latents / vae.config.scaling_factor).sample / 2 + 0.5).clamp(0, 1)
    unet.set_attn_processor(p2p.AttnProcessor())
    return float(image.mean())


def bench_edit(args, m, steps):
    c = m["unet"].config.in_channels
    scale = 2 ** (len(m["vae"].config.block_out_channels) - 1)
    torch.manual_seed(NOISE_SEED)
    x_t = torch.randn(1, c, args.height // scale, args.width // scale)
    with torch.no_grad():
        empty = p2p.encode(m, [""])
    total, per_step = Samples(), Samples()
    check = float("nan")
    for i in range(-args.warmup, args.repeat):
        step_times = []
        start = mark()
        check = edit(m, steps, x_t, [empty] * steps, step_times)
        span = since(start)
        if i >= 0:
            total.add(span)
            for s in step_times:
                per_step.add(s)
    emit(total.line(args, f"edit_{steps}", steps=steps, prompts=2, check=check))
    emit(per_step.line(args, "edit_step", steps=steps, prompts=2, check=check))


def bench_inversion(args, m, n, inner):
    image = test_image(args.height, args.width)
    cond = ntr.encode(m, SOURCE)
    uncond = ntr.encode(m, "")
    with torch.no_grad():
        latent0 = m["vae"].encode(image).latent_dist.mean * m["vae"].config.scaling_factor
    sched = copy.deepcopy(m["scheduler"])
    sched.set_timesteps(n)
    cfg = dict(steps=n, guidance=GUIDANCE, inner_steps=inner, early_stop_epsilon=1e-5, early_stop_slope=2e-5)

    def null_phase(config):
        latents = ntr.ddim_inversion(m, sched, latent0, cond)  # as the Java invert(), untimed here
        start = mark()
        _, trace = ntr.null_optimization(m, sched, latents, cond, uncond, config)
        return since(start), sum(len(s) for s in trace), trace[-1][-1]

    ddim, null_step, iteration, step = Samples(), Samples(), Samples(), Samples()
    z_t_sum = float("nan")
    for i in range(-args.warmup, args.repeat):
        start = mark()
        z_t_sum = float(ntr.ddim_inversion(m, sched, latent0, cond)[-1].sum())
        ddim_step = tuple(v / n for v in since(start))
        full, iterations, last_loss = null_phase(cfg)
        single, iterations_single, _ = null_phase(dict(cfg, inner_steps=1))
        if i >= 0:
            ddim.add(ddim_step)
            null_step.add(tuple(v / n for v in full))
            if iterations > iterations_single:
                iteration.add(tuple((a - b) / (iterations - iterations_single) for a, b in zip(full, single)))
            step.add(tuple(d + f / n for d, f in zip(ddim_step, full)))
    emit(ddim.line(args, "ddim_inversion_step", steps=n, check=z_t_sum))
    emit(null_step.line(args, "null_text_step", steps=n, inner_steps=inner, iterations=iterations, check=last_loss))
    if iteration.wall:
        emit(iteration.line(args, "null_text_iteration", steps=n, inner_steps=inner, iterations=iterations,
                            iterations_single=iterations_single, check=last_loss))
    emit(step.line(args, "inversion_step", steps=n, inner_steps=inner, iterations=iterations, check=last_loss))


class FineTuner:
    """One identity fine-tuning step as FineTuneSession.step computes it, without spatial control."""

    def __init__(self, m, image):
        self.m = m
        tok, te, vae = m["tokenizer"], m["text_encoder"], m["vae"]
        assert tok.add_tokens("[I]") == 1, "the tokenizer already knows [I]"
        te.resize_token_embeddings(len(tok))
        table = te.get_input_embeddings().weight
        with torch.no_grad():
            table[-1] = table[tok.convert_tokens_to_ids(OBJECT_WORD + "</w>")]  # [I] starts as "cat"
        self.ids = torch.cat([tokenize_77(tok, IDENTITY_PROMPT), tokenize_77(tok, IDENTITY_PROMPT.replace("[I] ", ""))])
        self.position = int((self.ids[0] == len(tok) - 1).nonzero())  # [I]'s position in P~
        with torch.no_grad():
            posterior = vae.encode(image).latent_dist
        self.mean, self.std = posterior.mean, posterior.std
        self.generator = torch.Generator().manual_seed(FINETUNE_SEED)
        self.params = list(m["unet"].parameters()) + list(te.parameters())
        for p in self.params:
            p.requires_grad_(True)
        m["unet"].train()
        te.train()
        self.optimizer = torch.optim.AdamW(self.params, lr=LEARNING_RATE, betas=BETAS, eps=EPSILON,
                                           weight_decay=WEIGHT_DECAY)

    def step(self):
        m, g = self.m, self.generator
        sched = m["scheduler"]
        z0 = (self.mean + self.std * torch.randn(self.mean.shape, generator=g)) * m["vae"].config.scaling_factor
        noise = torch.randn(z0.shape, generator=g)
        t = torch.randint(0, sched.config.num_train_timesteps, (1,), generator=g)
        zt = sched.add_noise(z0, noise, t)
        hidden = m["text_encoder"](self.ids).last_hidden_state  # [2, 77, D]: P~ then P
        e_p = first_eos_pool(hidden, self.ids)[1]
        semantic = F.cosine_similarity(e_p, hidden[0, self.position], dim=0).abs()
        eps = m["unet"](zt, t, encoder_hidden_states=hidden[:1]).sample
        reconstruction = F.mse_loss(eps, noise)
        (reconstruction + SEMANTIC_WEIGHT * semantic).backward()
        torch.nn.utils.clip_grad_norm_(self.params, MAX_GRAD_NORM)
        self.optimizer.step()
        self.optimizer.zero_grad()
        return reconstruction.item()


def bench_finetune(args, m):
    tuner = FineTuner(m, test_image(args.height, args.width))
    samples = Samples()
    check = float("nan")
    for i in range(-args.warmup, args.repeat):
        start = mark()
        check = tuner.step()
        span = since(start)
        if i >= 0:
            samples.add(span)
    emit(samples.line(args, "finetune_step", spatial=False, semantic_weight=SEMANTIC_WEIGHT, check=check))


def main():
    args = parse()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    ops = args.ops.split(",")
    if not set(ops) <= set(OPS):
        raise SystemExit(f"--ops takes a subset of {','.join(OPS)}, got {args.ops}")
    m = load(args.model)
    if "edit" in ops:
        bench_edit(args, m, args.edit_steps)
    if "inversion" in ops:
        set_attention(args, m, "inversion")
        bench_inversion(args, m, args.inversion_steps, args.inner_steps)
    if "finetune" in ops:  # last: it changes the weights
        set_attention(args, m, "finetune")
        bench_finetune(args, m)


if __name__ == "__main__":
    main()
