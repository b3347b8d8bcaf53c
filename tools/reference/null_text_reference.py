#!/usr/bin/env python3
"""Reference runs of Null-text inversion (Mokady et al., CVPR 2023) on the tiny checkpoint.

Our own implementation of the algorithm in google/prompt-to-prompt's `null_text_w_ptp.ipynb`
(`NullInversion.ddim_loop`, `null_optimization`, `text2image_ldm_stable`), written against the
diffusers components of gpu-worker/src/test/resources/reference/tiny: fp32, CPU, 2 threads,
deterministic. Only the sizes differ from the notebook so that the Java parity test stays fast:

  run ""        N = 10 DDIM steps, guidance 5.0, 10 inner steps, early stop 1e-5 + i * 2e-5
                (the notebook's settings except N and w)
  run "early."  N = 3, same, but early stop at epsilon + i * 2e-5 with epsilon half-way between
                step 0's 4th and 5th loss (see early_stop_threshold), so step 0 stops after 5
                iterations: early stopping and the iteration counts are compared too, with a
                margin far above fp32 noise (the random checkpoint never gets near 1e-5)

Both invert the same seeded smooth 16x16 image with the prompt "a photo of a cat on a red sofa".
Writes gpu-worker/src/test/resources/reference/outputs/tiny-null-text.safetensors and .json.
Run with the venv of make_reference.py (see README.md):

    .venv/bin/python null_text_reference.py
"""

import copy
import sys
import time

import torch
import torch.nn.functional as nnf
from safetensors.torch import save_file

from make_reference import (OUT, T2I_PROMPT, f32, load_checkpoint, setup_determinism, smooth_image,
                            tokenize_77, write_json)

import diffusers
import transformers

CHECKPOINT = "tiny"
PROMPT = T2I_PROMPT  # "a photo of a cat on a red sofa"
IMAGE_SEED = 4141
# 16x16 pixels -> 8x8 latents: a quarter of tiny's generation size per side, so that the 100 UNet
# forward + backward passes of the optimisation take seconds on a 2-core CI machine.
IMAGE_SIZE = 16
RUNS = {
    "": dict(steps=10, guidance=5.0, inner_steps=10, early_stop_epsilon=1e-5, early_stop_slope=2e-5),
    # early_stop_epsilon None: chosen by early_stop_threshold() so that step 0 stops after
    # EARLY_STOP_AFTER iterations.
    "early.": dict(steps=3, guidance=5.0, inner_steps=10, early_stop_epsilon=None, early_stop_slope=2e-5),
}
EARLY_STOP_AFTER = 5


def encode(m, prompt):
    with torch.no_grad():
        return m["text_encoder"](tokenize_77(m["tokenizer"], prompt)).last_hidden_state  # [1, 77, D]


def next_step(sched, eps, t, x):
    """The notebook's next_step: DDIM run backwards, from t - T/N up to t (eps predicted at t)."""
    current = min(t - sched.config.num_train_timesteps // sched.num_inference_steps, 999)
    alpha_t = sched.alphas_cumprod[current] if current >= 0 else sched.final_alpha_cumprod
    alpha_next = sched.alphas_cumprod[t]
    x0 = (x - (1 - alpha_t) ** 0.5 * eps) / alpha_t ** 0.5
    return alpha_next ** 0.5 * x0 + (1 - alpha_next) ** 0.5 * eps


def prev_step(sched, eps, t, x):
    """The notebook's prev_step: one DDIM step (eta 0) from t down to t - T/N."""
    prev = t - sched.config.num_train_timesteps // sched.num_inference_steps
    alpha_t = sched.alphas_cumprod[t]
    alpha_prev = sched.alphas_cumprod[prev] if prev >= 0 else sched.final_alpha_cumprod
    x0 = (x - (1 - alpha_t) ** 0.5 * eps) / alpha_t ** 0.5
    return alpha_prev ** 0.5 * x0 + (1 - alpha_prev) ** 0.5 * eps


@torch.no_grad()
def ddim_inversion(m, sched, latent, cond):
    """ddim_loop: guidance 1 (conditional embedding only), t walking upward; all N+1 latents."""
    latents = [latent]
    x = latent.clone()
    n = len(sched.timesteps)
    for i in range(n):
        t = int(sched.timesteps[n - i - 1])
        eps = m["unet"](x, t, encoder_hidden_states=cond).sample
        x = next_step(sched, eps, t, x)
        latents.append(x)
    return latents


def threshold(cfg, i):
    """The notebook's early-stop test is loss < epsilon + i * 2e-5 at denoising step i."""
    return cfg["early_stop_epsilon"] + i * cfg["early_stop_slope"]


def null_optimization(m, sched, latents, cond, uncond, cfg):
    """null_optimization: a fresh Adam per step on the null embedding carried over from the last."""
    unet = m["unet"]
    w = cfg["guidance"]
    null_embeddings, loss_trace = [], []
    latent_cur = latents[-1]
    for i in range(cfg["steps"]):
        uncond = uncond.clone().detach()
        uncond.requires_grad = True
        optimizer = torch.optim.Adam([uncond], lr=1e-2 * (1.0 - i / 100.0))
        latent_prev = latents[len(latents) - i - 2]
        t = int(sched.timesteps[i])
        with torch.no_grad():
            eps_cond = unet(latent_cur, t, encoder_hidden_states=cond).sample
        step_losses = []
        for j in range(cfg["inner_steps"]):
            eps_uncond = unet(latent_cur, t, encoder_hidden_states=uncond).sample
            eps = eps_uncond + w * (eps_cond - eps_uncond)
            latents_prev_rec = prev_step(sched, eps, t, latent_cur)
            loss = nnf.mse_loss(latents_prev_rec, latent_prev)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_item = loss.item()
            step_losses.append(loss_item)
            if loss_item < threshold(cfg, i):
                break
        null_embeddings.append(uncond[:1].detach().clone())
        loss_trace.append(step_losses)
        with torch.no_grad():
            latent_cur = guided_step(m, sched, latent_cur, t, uncond, cond, w)
    assert all(p.grad is None for p in unet.parameters()), "UNet parameters must not collect gradients"
    return null_embeddings, loss_trace


@torch.no_grad()
def guided_step(m, sched, latents, t, uncond, cond, w):
    """ptp_utils.diffusion_step without a controller: one batched CFG step, [uncond, cond]."""
    context = torch.cat([uncond, cond])
    eps = m["unet"](torch.cat([latents] * 2), t, encoder_hidden_states=context).sample
    eps_uncond, eps_cond = eps.chunk(2)
    eps = eps_uncond + w * (eps_cond - eps_uncond)
    return sched.step(eps, t, latents).prev_sample


@torch.no_grad()
def reconstruct(m, sched, x_t, cond, uncond_per_step, w):
    """text2image_ldm_stable from x_T with one unconditional embedding per step."""
    latents = x_t.clone()
    for i, t in enumerate(sched.timesteps):
        latents = guided_step(m, sched, latents, int(t), uncond_per_step[i], cond, w)
    return latents, decode(m, latents)


@torch.no_grad()
def decode(m, latents):
    return (m["vae"].decode(latents / m["vae"].config.scaling_factor).sample / 2 + 0.5).clamp(0, 1)


def mse(a, b):
    return float(((a - b) ** 2).mean())


def null_text_run(m, prefix, cfg, latent0, cond, uncond, tensors):
    sched = copy.deepcopy(m["scheduler"])
    sched.set_timesteps(cfg["steps"])
    w = cfg["guidance"]
    start = time.perf_counter()
    ddim_latents = ddim_inversion(m, sched, latent0, cond)
    inversion_s = time.perf_counter() - start
    start = time.perf_counter()
    null_embeddings, loss_trace = null_optimization(m, sched, ddim_latents, cond, uncond, cfg)
    null_s = time.perf_counter() - start
    rec_latents, rec_image = reconstruct(m, sched, ddim_latents[-1], cond, null_embeddings, w)
    ddim_latents_rec, ddim_image_rec = reconstruct(m, sched, ddim_latents[-1], cond, [uncond] * cfg["steps"], w)
    source_image = decode(m, latent0)
    errors = {
        "null_text_latent_mse": mse(rec_latents, latent0),
        "ddim_only_latent_mse": mse(ddim_latents_rec, latent0),
        "null_text_image_mse": mse(rec_image, source_image),
        "ddim_only_image_mse": mse(ddim_image_rec, source_image),
        "source_latent_variance": float(latent0.var()),
    }
    errors["latent_mse_factor"] = errors["ddim_only_latent_mse"] / errors["null_text_latent_mse"]
    margin = min(abs(loss - threshold(cfg, i)) / threshold(cfg, i) for i, step in enumerate(loss_trace) for loss in step)
    # Java's losses agree to ~1e-5 relative; a loss this close to its threshold could flip a count.
    assert margin > 1e-3, f"run '{prefix}': a loss is within {margin:.1e} (relative) of its early-stop threshold"
    print(f"run '{prefix}': losses {loss_trace} (closest to a threshold: {margin:.1e} relative)")
    print(f"run '{prefix}': {errors}")
    print(f"run '{prefix}': ddim inversion {inversion_s:.2f} s, null-text optimisation {null_s:.2f} s")
    tensors.update({
        prefix + "ddim.latents": f32(torch.cat(ddim_latents)),  # [N+1, 4, h, w]: z_0 first, z_T last
        prefix + "null.embeddings": f32(torch.cat(null_embeddings)),  # [N, 77, D], denoising order
        prefix + "recon.null.latents": f32(rec_latents),
        prefix + "recon.null.image": f32(rec_image),
        prefix + "recon.ddim.latents": f32(ddim_latents_rec),
        prefix + "recon.ddim.image": f32(ddim_image_rec),
    })
    return {
        **cfg,
        "timesteps": [int(t) for t in sched.timesteps],
        "loss_trace": loss_trace,
        "first_losses": [s[0] for s in loss_trace],
        "final_losses": [s[-1] for s in loss_trace],
        "iterations": [len(s) for s in loss_trace],
        "errors": errors,
        "seconds": {"ddim_inversion": inversion_s, "null_optimization": null_s},
        "closest_relative_distance_to_threshold": margin,
    }


def early_stop_threshold(m, cfg, latent0, cond, uncond):
    """Half-way between step 0's losses at iterations EARLY_STOP_AFTER - 1 and EARLY_STOP_AFTER
    (1-based) of a run without early stop, rounded to 3 significant digits: step 0 then stops
    after EARLY_STOP_AFTER iterations, with half a step of the loss as margin on either side."""
    sched = copy.deepcopy(m["scheduler"])
    sched.set_timesteps(cfg["steps"])
    probe = dict(cfg, early_stop_epsilon=0.0, steps=1)
    ddim_latents = ddim_inversion(m, sched, latent0, cond)
    _, trace = null_optimization(m, sched, ddim_latents, cond, uncond, probe)
    step0 = trace[0]
    return float(f"{(step0[EARLY_STOP_AFTER - 2] + step0[EARLY_STOP_AFTER - 1]) / 2:.3g}"), step0


def adam_trace():
    """torch.optim.Adam with the notebook's settings (defaults, lr 1e-2) on a fixed 6-element tensor
    over 4 steps, so the Java optimiser is checked on its own. Gradients span 1e-10 (below eps,
    where eps decides) to 10."""
    param0 = torch.tensor([0.5, -1.0, 2.0, 0.0, 1e-3, -0.25])
    grads = torch.tensor([
        [0.1, -2.0, 1e-10, 3e-4, -10.0, 0.0],
        [-0.2, -1.5, 2e-10, -3e-4, 5.0, 1e-6],
        [0.3, 0.5, -1e-9, 3e-4, 0.25, -1e-6],
        [0.05, -0.01, 4e-9, 0.0, -7.5, 2e-2],
    ])
    param = param0.clone().requires_grad_(True)
    optimizer = torch.optim.Adam([param], lr=1e-2)
    after = []
    for g in grads:
        param.grad = g.clone()
        optimizer.step()
        after.append(param.detach().clone())
    return {"adam.param0": param0, "adam.grads": grads, "adam.params": torch.stack(after)}


def main():
    setup_determinism()
    m = load_checkpoint(CHECKPOINT)
    for p in m["unet"].parameters():
        p.requires_grad_(False)  # as in the Java engine: gradients reach the null embedding only
    image = smooth_image(IMAGE_SEED, IMAGE_SIZE, IMAGE_SIZE)  # [1, 3, H, W] in [-1, 1]
    cond = encode(m, PROMPT)
    uncond = encode(m, "")
    with torch.no_grad():
        latent0 = m["vae"].encode(image).latent_dist.mean * m["vae"].config.scaling_factor

    tensors = {
        "image": f32(image),
        "cond": f32(cond),
        "uncond": f32(uncond),
        "latent0": f32(latent0),
        **adam_trace(),
    }
    runs = {}
    for prefix, cfg in RUNS.items():
        if cfg["early_stop_epsilon"] is None:
            epsilon, probe_losses = early_stop_threshold(m, cfg, latent0, cond, uncond)
            cfg = dict(cfg, early_stop_epsilon=epsilon)
            print(f"run '{prefix}': step 0 losses without early stop {probe_losses} -> epsilon {epsilon}")
        runs[prefix] = null_text_run(m, prefix, cfg, latent0, cond, uncond, tensors)
    facts = {
        "checkpoint": CHECKPOINT,
        "prompt": PROMPT,
        "image": f"make_reference.smooth_image({IMAGE_SEED}, {IMAGE_SIZE}, {IMAGE_SIZE}), [1, 3, H, W] in [-1, 1]",
        "latent0": "vae.encode(image).latent_dist.mean * scaling_factor",
        "runs": runs,
        "adam": "torch.optim.Adam([param], lr=1e-2) defaults; adam.params[k] = param after step k + 1 with grad adam.grads[k]",
        "versions": {"torch": torch.__version__, "diffusers": diffusers.__version__,
                     "transformers": transformers.__version__},
        "tensors": {k: {"shape": list(v.shape), "dtype": str(v.dtype).replace("torch.", "")}
                    for k, v in sorted(tensors.items())},
    }
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(OUT / "outputs" / f"{CHECKPOINT}-null-text.safetensors"))
    write_json(OUT / "outputs" / f"{CHECKPOINT}-null-text.json", facts)


if __name__ == "__main__":
    sys.exit(main())
