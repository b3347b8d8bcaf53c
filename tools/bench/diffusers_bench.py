#!/usr/bin/env python3
"""diffusers' side of tools/bench/engine-vs-diffusers: the operations of `./s2edit bench-engine`.

    python diffusers_bench.py --model DIR --height H --width W [--repeat N] [--warmup N] [--threads N]
                              [--attention default|classic] [--ops LIST]

Prints one JSON line per operation in the same format (median, min, max, every sample in ms):
  unet_forward           eps = unet(z, 500, c).sample under no_grad; z [2, C, h, w], c [2, 77, D]
  unet_forward_backward  loss = mean(eps^2); loss.backward() into every UNet parameter
                         (zero_grad(set_to_none=True) between samples, untimed)
  generate_10            StableDiffusionPipeline (the checkpoint's DDIM scheduler), 10 steps,
                         guidance 7.5, output_type="pt": prompt encoding and VAE decode included
Inputs: manual_seed(0); randn(2, C, h, w); randn(2, 77, D). Noise: manual_seed(1); randn(1, C, h, w).
The Java command draws the same tensors, so each line's `check` (output sum, loss, image mean)
should agree with its line. `cpu_median_ms` is the median process CPU time (user + system, all
threads) per sample, steadier than wall time on a shared machine. `--attention classic` swaps in
diffusers' AttnProcessor (probabilities materialised, as in the Java engine) for UNet and VAE;
its lines say impl "diffusers-classic".
"""

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch
from diffusers import StableDiffusionPipeline
from diffusers.models.attention_processor import AttnProcessor
from diffusers.utils import logging as diffusers_logging

TIMESTEP = 500
BATCH = 2
GENERATE_STEPS = 10
GUIDANCE = 7.5
PROMPT = "a photo of a cat"
OPS = ("unet_forward", "unet_forward_backward", f"generate_{GENERATE_STEPS}")


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--height", type=int, required=True)
    p.add_argument("--width", type=int, required=True)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: leave torch's default)")
    p.add_argument("--attention", choices=("default", "classic"), default="default",
                   help="default: diffusers' AttnProcessor2_0 (fused scaled_dot_product_attention); classic: "
                        "AttnProcessor, which materialises the probabilities as the Java engine does")
    p.add_argument("--ops", default=",".join(OPS), help="comma-separated subset of " + ",".join(OPS))
    return p.parse_args()


def report(args, op, body, between=None):
    samples = []
    cpu_samples = []
    check = float("nan")
    for i in range(-args.warmup, args.repeat):
        cpu_start = time.process_time()
        start = time.perf_counter()
        check = body()
        elapsed = (time.perf_counter() - start) * 1e3
        cpu = (time.process_time() - cpu_start) * 1e3
        if i >= 0:
            samples.append(elapsed)
            cpu_samples.append(cpu)
        if between is not None:
            between()
    impl = "diffusers" if args.attention == "default" else "diffusers-classic"
    line = dict(impl=impl, config=os.path.basename(os.path.normpath(args.model)), op=op, height=args.height,
                width=args.width, threads=torch.get_num_threads(), interop_threads=torch.get_num_interop_threads(),
                repeat=args.repeat, warmup=args.warmup, median_ms=round(statistics.median(samples), 2),
                min_ms=round(min(samples), 2), max_ms=round(max(samples), 2),
                samples_ms=[round(s, 2) for s in samples], cpu_median_ms=round(statistics.median(cpu_samples), 2),
                check=check)
    print(json.dumps(line), flush=True)


def main():
    args = parse()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    diffusers_logging.disable_progress_bar()
    pipe = StableDiffusionPipeline.from_pretrained(args.model, dtype=torch.float32, safety_checker=None,
                                                   requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    unet = pipe.unet.eval()
    if args.attention == "classic":
        unet.set_attn_processor(AttnProcessor())
        pipe.vae.set_attn_processor(AttnProcessor())
    ops = args.ops.split(",")
    if not set(ops) <= set(OPS):
        raise SystemExit(f"--ops takes a subset of {','.join(OPS)}, got {args.ops}")
    scale = pipe.vae_scale_factor
    h, w = args.height // scale, args.width // scale
    torch.manual_seed(0)
    sample = torch.randn(BATCH, unet.config.in_channels, h, w)
    context = torch.randn(BATCH, 77, unet.config.cross_attention_dim)

    def forward():
        with torch.no_grad():
            return unet(sample, TIMESTEP, encoder_hidden_states=context).sample.sum().item()

    if OPS[0] in ops:
        report(args, OPS[0], forward)

    unet.requires_grad_(True)

    def forward_backward():
        loss = (unet(sample, TIMESTEP, encoder_hidden_states=context).sample ** 2).mean()
        loss.backward()
        return loss.item()

    if OPS[1] in ops:
        report(args, OPS[1], forward_backward, lambda: unet.zero_grad(set_to_none=True))
    unet.requires_grad_(False)

    torch.manual_seed(1)
    noise = torch.randn(1, unet.config.in_channels, h, w)

    def generate():
        image = pipe(PROMPT, negative_prompt="", num_inference_steps=GENERATE_STEPS, guidance_scale=GUIDANCE,
                     height=args.height, width=args.width, latents=noise, output_type="pt").images
        return image.mean().item()

    if OPS[2] in ops:
        report(args, OPS[2], generate)


if __name__ == "__main__":
    main()
