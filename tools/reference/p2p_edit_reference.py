#!/usr/bin/env python3
"""Prompt-to-Prompt editing reference run on the tiny checkpoint.

An independent re-implementation of the behaviour of google/prompt-to-prompt's attention
controllers (`AttentionStore`, `AttentionControlEdit` with `AttentionReplace` /
`AttentionRefine` / `AttentionReweight`, `LocalBlend`, as `null_text_w_ptp.ipynb` builds them
with `make_controller`) and of its `text2image_ldm_stable` loop with one unconditional
embedding per step, on the diffusers UNet of gpu-worker/src/test/resources/reference/tiny with
attention processors that hand every probability map to the controller. fp32, CPU, 2 threads,
deterministic. Writes

    gpu-worker/src/test/resources/reference/outputs/tiny-p2p.safetensors
    gpu-worker/src/test/resources/reference/outputs/tiny-p2p.json

for PromptToPromptParityTest. Token-level helpers (word positions, mappers, equalizer, cross
schedule, blend word selection) come from p2p_aligners.py, which is checked against the public
code there.

    .venv/bin/python p2p_edit_reference.py

Two things the public code leaves to its setting, generalised here the way the Java side does:
- LocalBlend reads `down_cross[2:4] + up_cross[:3]` reshaped to 16x16: for SD v1 at 512x512
  these are exactly the down and up cross-attention layers at the coarsest resolution that down
  and up blocks attend at. That rule is used here (the tiny UNet attends at 32x32 only).
- The public store keeps maps by reference and then edits them in place, so what LocalBlend
  reads are the EDITED maps; here the edited maps are stored explicitly.
"""

import json
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

import diffusers
from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
from diffusers.models.attention_processor import AttnProcessor
from transformers import CLIPTextModel, CLIPTokenizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
import p2p_aligners as al  # noqa: E402  (our own token-level reference)

ROOT = Path(__file__).resolve().parents[2]
REF = ROOT / "gpu-worker/src/test/resources/reference"
CHECKPOINT = REF / "tiny"
OUT = REF / "outputs"
NAME = "tiny-p2p"

SOURCE = "a photo of a cat on a red sofa"
STEPS = 10
GUIDANCE = 7.5
NOISE_SEED = 1234  # = make_reference.py T2I_SEED: x_T equals tiny.safetensors t2i.noise
NULL_SEED = 4321
NULL_SCALE = 0.05
MAX_WORDS = 77

# Each case: target prompts, controller options (the Java EditOptions in JSON form) and whether
# the unconditional branch uses per-step null embeddings (as after Null-text inversion) or "".
# The replace and refine cases share their options (the Java test also edits both targets in one
# batch with them); the reweight case runs with the reference defaults and plain "" guidance.
SHARED = dict(mode="auto", cross=[0.0, 0.8], cross_words={}, self=[0.0, 0.4], self_max_query_length=32 * 32,
              reweight=None, local_blend=dict(words=["cat", "dog", "flowers"], threshold=0.7, start=0.2))
CASES = [
    dict(name="replace", targets=["a photo of a dog on a red sofa"], null_embeddings=True, options=SHARED),
    dict(name="refine_blend", targets=["a photo of a cat on a red sofa with flowers"], null_embeddings=True,
         options=SHARED),
    dict(name="reweight", targets=[SOURCE], null_embeddings=False,
         options=dict(mode="auto", cross=[0.0, 0.8], cross_words={"red": [0.0, 0.5]}, self=[0.0, 0.4],
                      self_max_query_length=16 * 16, reweight=dict(words=["red"], factors=[3.0]),
                      local_blend=None)),
]


def setup():
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.manual_seed(0)
    diffusers.utils.logging.disable_progress_bar()


# ---------------------------------------------------------------------------------------------
# The store and the edit controller (counted per layer, as the public controllers are)
# ---------------------------------------------------------------------------------------------

class StoreController:
    """Calls `edit` on the conditional half of every attention map, counts layers to find the
    step, keeps the (edited) conditional maps of <= 32x32 queries per place and sums them over
    the steps so far."""

    STORE_MAX_QUERY = 32 ** 2

    def __init__(self, num_layers):
        self.num_layers = num_layers
        self.step = 0
        self.layer = 0
        self.current = self.empty()
        self.summed = None

    @staticmethod
    def empty():
        return {f"{place}_{kind}": [] for place in ("down", "mid", "up") for kind in ("cross", "self")}

    def edit(self, cond, is_cross, place):
        return cond

    def __call__(self, probs, is_cross, place):
        half = probs.shape[0] // 2
        cond = self.edit(probs[half:], is_cross, place)
        if cond.shape[1] <= self.STORE_MAX_QUERY:
            self.current[f"{place}_{'cross' if is_cross else 'self'}"].append(cond.clone())
        probs = torch.cat([probs[:half], cond])
        self.layer += 1
        if self.layer == self.num_layers:
            self.layer = 0
            self.step += 1
            self.end_of_step()
        return probs

    def end_of_step(self):
        if self.summed is None:
            self.summed = self.current
        else:
            for key, maps in self.summed.items():
                for i, m in enumerate(maps):
                    maps[i] = m + self.current[key][i]
        self.current = self.empty()

    def after_scheduler_step(self, latents):
        return latents


class EditController(StoreController):
    """AttentionControlEdit + AttentionReplace / AttentionRefine (+ AttentionReweight on top)."""

    def __init__(self, num_layers, tok, prompts, options, latent_hw):
        super().__init__(num_layers)
        self.prompts = prompts
        k = len(prompts) - 1
        # cross-attention: target map = source map x mapper, then (refine) blend with own by alphas
        mode = options["mode"]
        if mode == "auto":  # one controller per run, as the public code: every target must agree
            modes = {"replace" if len(t.split(" ")) == len(prompts[0].split(" ")) else "refine" for t in prompts[1:]}
            assert len(modes) == 1, modes
            mode = modes.pop()
        mappers, refine_alphas = [], []
        for target in prompts[1:]:
            if mode == "replace":
                mappers.append(al.replace_mapper(tok, prompts[0], target))
                refine_alphas.append(None)
            else:
                index, alphas = al.refine_mapper(tok, prompts[0], target)
                mappers.append(index)
                refine_alphas.append(alphas)
        self.mode = mode
        if self.mode == "replace":
            self.mapper = torch.stack(mappers)  # [k, 77, 77]
        else:
            self.mapper = torch.stack(mappers)  # [k, 77] int64, -1 = inserted token
            self.refine_alphas = torch.stack(refine_alphas).reshape(k, 1, 1, MAX_WORDS)
        if options["reweight"] is not None:
            rw = options["reweight"]
            # one equalizer for every target (the notebook computes it on prompts[1])
            self.equalizer = al.equalizer(tok, prompts[1], rw["words"], rw["factors"]).reshape(1, 1, 1, MAX_WORDS)
        else:
            self.equalizer = None
        spec = {"default_": tuple(options["cross"])}
        spec.update({w: tuple(v) for w, v in options["cross_words"].items()})
        self.cross_alpha = al.cross_replace_alpha(tok, prompts, STEPS, spec).reshape(STEPS + 1, k, 1, 1, MAX_WORDS)
        s0, s1 = options["self"]
        self.self_steps = int(STEPS * s0), int(STEPS * s1)
        self.self_max_query = options["self_max_query_length"]
        self.blend = LocalBlend(tok, prompts, options["local_blend"], latent_hw) if options["local_blend"] else None

    def map_cross(self, base, own):
        """base [h, T, 77] (source), own [k, h, T, 77] (targets) -> [k, h, T, 77]."""
        if self.mode == "replace":
            mapped = torch.einsum("hpw,bwn->bhpn", base, self.mapper.to(base.dtype))
        else:
            mapped = base[:, :, self.mapper].permute(2, 0, 1, 3)  # index -1 = last position, alpha 0
            mapped = mapped * self.refine_alphas + own * (1 - self.refine_alphas)
        if self.equalizer is not None:
            mapped = mapped * self.equalizer
        return mapped

    def edit(self, cond, is_cross, place):
        p = len(self.prompts)
        heads = cond.shape[0] // p
        maps = cond.reshape(p, heads, *cond.shape[1:])
        base, own = maps[0], maps[1:]
        if is_cross:
            alpha = self.cross_alpha[self.step]
            new = self.map_cross(base, own) * alpha + (1 - alpha) * own
        elif self.self_steps[0] <= self.step < self.self_steps[1] and own.shape[2] <= self.self_max_query:
            new = base.unsqueeze(0).expand(*own.shape)
        else:
            return cond
        return torch.cat([base.unsqueeze(0), new]).reshape(cond.shape)

    def after_scheduler_step(self, latents):
        if self.blend is None:
            return latents
        return self.blend(latents, self.summed, self.step)


class LocalBlend:
    """Keeps the source's latent outside the blend words' cross-attention region."""

    def __init__(self, tok, prompts, options, latent_hw):
        # each prompt selects the blend words it contains
        words = [[w for w in options["words"] if w in prompt.split(" ")] for prompt in prompts]
        self.selection = al.blend_selection(tok, prompts, words).reshape(len(prompts), 1, 1, 1, 1, MAX_WORDS)
        self.threshold = options["threshold"]
        self.start = int(options["start"] * STEPS)
        self.latent_hw = latent_hw
        self.last_mask = None

    def __call__(self, latents, summed, steps_done):
        if steps_done <= self.start:
            return latents
        # the coarsest resolution down and up blocks cross-attend at (SD v1 at 512: 16x16)
        candidates = summed["down_cross"] + summed["up_cross"]
        smallest = min(m.shape[1] for m in candidates)
        chosen = [m for m in candidates if m.shape[1] == smallest]
        factor = math.sqrt(self.latent_hw[0] * self.latent_hw[1] / smallest)
        hb, wb = round(self.latent_hw[0] / factor), round(self.latent_hw[1] / factor)
        p = self.selection.shape[0]
        maps = torch.cat([m.reshape(p, -1, 1, hb, wb, MAX_WORDS) for m in chosen], dim=1)
        maps = (maps * self.selection).sum(-1).mean(1)  # [P, 1, hb, wb]
        maps = F.max_pool2d(maps, (3, 3), (1, 1), padding=(1, 1))
        mask = F.interpolate(maps, size=self.latent_hw)  # nearest
        mask = mask / mask.amax(dim=(2, 3), keepdim=True)
        mask = mask.gt(self.threshold)
        mask = (mask[:1] | mask).to(latents.dtype)  # the source's region joins every target's
        self.last_mask = mask
        return latents[:1] + mask * (latents - latents[:1])


# ---------------------------------------------------------------------------------------------
# Attention processors that hand the probabilities to the controller
# ---------------------------------------------------------------------------------------------

class ControlledAttnProcessor:
    """diffusers' AttnProcessor for the UNet's transformer blocks, with the controller between
    softmax and the weighted sum."""

    def __init__(self, controller, place):
        self.controller = controller
        self.place = place

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, temb=None, **kw):
        assert attention_mask is None and attn.spatial_norm is None and attn.group_norm is None
        assert hidden_states.ndim == 3 and not attn.residual_connection and attn.rescale_output_factor == 1.0
        is_cross = encoder_hidden_states is not None
        context = encoder_hidden_states if is_cross else hidden_states
        q = attn.head_to_batch_dim(attn.to_q(hidden_states))
        k = attn.head_to_batch_dim(attn.to_k(context))
        v = attn.head_to_batch_dim(attn.to_v(context))
        probs = attn.get_attention_scores(q, k, None)  # [B*h, T, S], batch-major
        probs = self.controller(probs, is_cross, self.place)
        out = attn.batch_to_head_dim(torch.bmm(probs, v))
        return attn.to_out[1](attn.to_out[0](out))


def install(unet, controller):
    processors = {}
    for name in unet.attn_processors:
        place = "down" if name.startswith("down_blocks") else "up" if name.startswith("up_blocks") else "mid"
        processors[name] = ControlledAttnProcessor(controller, place)
    unet.set_attn_processor(processors)
    return len(processors)


# ---------------------------------------------------------------------------------------------
# text2image_ldm_stable with one unconditional embedding per step
# ---------------------------------------------------------------------------------------------

def encode(m, prompts):
    ids = m["tok"](prompts, padding="max_length", max_length=MAX_WORDS, truncation=True, return_tensors="pt").input_ids
    return m["te"](ids)[0]


@torch.no_grad()
def run_case(m, case, noise, null_embeddings, dtype):
    prompts = [SOURCE] + case["targets"]
    unet, vae = m["unet"].to(dtype), m["vae"].to(dtype)
    latent_hw = tuple(noise.shape[2:])
    controller = EditController(len(unet.attn_processors), m["tok"], prompts, case["options"], latent_hw)
    install(unet, controller)
    sched = DDIMScheduler.from_pretrained(CHECKPOINT / "scheduler")
    sched.set_timesteps(STEPS)
    cond = encode(m, prompts).to(dtype)
    plain_uncond = encode(m, [""]).to(dtype)
    latents = noise.to(dtype).expand(len(prompts), *noise.shape[1:]).clone()
    for i, t in enumerate(sched.timesteps):
        uncond = null_embeddings[i].to(dtype) if null_embeddings is not None else plain_uncond
        context = torch.cat([uncond.expand(*cond.shape), cond])
        eps = unet(torch.cat([latents] * 2), t, encoder_hidden_states=context).sample
        eps_u, eps_c = eps.chunk(2)
        guided = eps_u + GUIDANCE * (eps_c - eps_u)
        latents = sched.step(guided, t, latents).prev_sample
        latents = controller.after_scheduler_step(latents)
    assert controller.step == STEPS and controller.layer == 0
    image = (vae.decode(latents / vae.config.scaling_factor).sample / 2 + 0.5).clamp(0, 1)
    unet.set_attn_processor(AttnProcessor())
    mask = controller.blend.last_mask if controller.blend is not None else None
    return latents, image, mask, controller.mode


def main():
    setup()
    unet = UNet2DConditionModel.from_pretrained(CHECKPOINT / "unet", dtype=torch.float32).eval()
    vae = AutoencoderKL.from_pretrained(CHECKPOINT / "vae", dtype=torch.float32).eval()
    te = CLIPTextModel.from_pretrained(CHECKPOINT / "text_encoder", dtype=torch.float32).eval()
    tok = al.load_tokenizer()  # tiny/tokenizer with [I], [A] added (as the Java tokenizer)
    m = dict(unet=unet, vae=vae, te=te, tok=tok)
    h = w = unet.config.sample_size
    noise = torch.randn((1, 4, h, w), generator=torch.Generator("cpu").manual_seed(NOISE_SEED), dtype=torch.float32)
    with torch.no_grad():
        empty = encode(m, [""])
    # Stand-ins for Null-text inversion's output: "" plus seeded noise, one [1, 77, D] per step.
    null_embeddings = empty.unsqueeze(0) + NULL_SCALE * torch.randn(
        (STEPS, *empty.shape), generator=torch.Generator("cpu").manual_seed(NULL_SEED))

    tensors = {"p2p.noise": noise.contiguous(), "p2p.null_embeddings": null_embeddings.contiguous()}
    facts = dict(
        name=NAME, checkpoint="tiny", source=SOURCE, steps=STEPS, guidance_scale=GUIDANCE,
        versions={"torch": torch.__version__, "diffusers": diffusers.__version__},
        noise=f"torch.randn((1,4,{h},{w}), generator=torch.Generator('cpu').manual_seed({NOISE_SEED}))"
              " (= tiny.safetensors t2i.noise)",
        null_embeddings=f"p2p.null_embeddings [N, 1, 77, D] = encode('') + {NULL_SCALE} * torch.randn((N, 1, 77, D),"
                        f" generator=manual_seed({NULL_SEED})); uncond of step i = row i, expanded to the batch",
        cases=[],
    )
    sched = DDIMScheduler.from_pretrained(CHECKPOINT / "scheduler")
    sched.set_timesteps(STEPS)
    facts["timesteps"] = sched.timesteps.tolist()
    results = {}
    for case in CASES:  # fp32: the reference values
        nulls = null_embeddings if case["null_embeddings"] else None
        latents, image, mask, mode = run_case(m, case, noise, nulls, torch.float32)
        key = f"p2p.{case['name']}"
        tensors[f"{key}.latents"] = latents.contiguous()
        tensors[f"{key}.image"] = image.contiguous()
        entry = dict(case, resolved_mode=mode, latents_max_abs=float(latents.abs().max()))
        if mask is not None:
            tensors[f"{key}.blend_mask"] = mask.contiguous()
            entry["blend_mask_fraction"] = [float(x) for x in mask.mean(dim=(1, 2, 3))]
        print(case["name"], mode, entry.get("blend_mask_fraction"), flush=True)
        results[case["name"]] = (latents, image, mask)
        facts["cases"].append(entry)
    for case, entry in zip(CASES, facts["cases"]):  # fp64: how far fp32 itself is from exact
        nulls = null_embeddings.double() if case["null_embeddings"] else None
        latents64, image64, mask64, _ = run_case(m, case, noise, nulls, torch.float64)
        for mod in (unet, vae):
            mod.to(torch.float32)
        latents, image, mask = results[case["name"]]
        entry["fp64_max_abs"] = {"latents": float((latents.double() - latents64).abs().max()),
                                 "image": float((image.double() - image64).abs().max())}
        if mask is not None:
            entry["fp64_blend_mask_equal"] = bool(torch.equal(mask.double(), mask64))
        print(case["name"], "fp64", entry["fp64_max_abs"], entry.get("fp64_blend_mask_equal"), flush=True)
    facts["tensors"] = {k: {"shape": list(v.shape), "dtype": str(v.dtype).replace("torch.", "")}
                        for k, v in sorted(tensors.items())}
    save_file(tensors, str(OUT / f"{NAME}.safetensors"))
    with open(OUT / f"{NAME}.json", "w", encoding="utf-8") as f:
        json.dump(facts, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print("wrote", OUT / f"{NAME}.safetensors")


if __name__ == "__main__":
    sys.exit(main())
