#!/usr/bin/env python3
"""Build the reference fixtures for the Java SD v1.x engine.

Writes into gpu-worker/src/test/resources/reference/:
  tiny/, tiny-wide/               two tiny random checkpoints in the diffusers folder layout;
                                  {name}/tokenizer/vocab.json + merges.txt hold the CLIP BPE
                                  vocabulary (OpenAI SimpleTokenizer layout, identical in both)
  outputs/{name}.safetensors      fp32 / int64 reference tensors computed from the saved files
  outputs/{name}.json             non-tensor facts (prompts, timesteps, configs, ...)
  outputs/{name}-t2i.png          the text-to-image result as an 8-bit PNG
  tokenizer-cases.json            tokenizer battery

Everything is deterministic: fixed seeds, fp32, CPU, 2 threads. No network access and no
pretrained weights are needed; the BPE merges come from the open-clip-torch wheel.
See README.md next to this file.
"""

import copy
import gzip
import json
import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from safetensors.torch import load_file, save_file

import diffusers
import transformers
import open_clip
from open_clip.tokenizer import SimpleTokenizer, bytes_to_unicode, default_bpe
from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "gpu-worker" / "src" / "test" / "resources" / "reference"

BOS_ID, EOS_ID = 49406, 49407
CONTEXT = 77
ADDED_TOKENS = ["[I]", "[A]"]

# SD v1 DDIM scheduler values (runwayml/stable-diffusion-v1-5, scheduler_config.json + DDIM).
DDIM_CONFIG = dict(
    num_train_timesteps=1000,
    beta_start=0.00085,
    beta_end=0.012,
    beta_schedule="scaled_linear",
    set_alpha_to_one=False,
    steps_offset=1,
    clip_sample=False,
    prediction_type="epsilon",
    timestep_spacing="leading",
)

T2I_PROMPT = "a photo of a cat on a red sofa"
T2I_NEGATIVE = "blurry, low quality"
T2I_STEPS = 10
T2I_GUIDANCE = 7.5
T2I_SEED = 1234

TEXT_PROMPTS = [
    "a photo of a [I] lady",
    "",
    "A Watercolor painting of a fox, trending on artstation!",
    "[A] and [I] dancing in the rain",
]
UNET_TIMESTEPS = [1, 261, 981]
UNET_GRAD_T = 500

# Two deliberately different checkpoints: nothing that is hard-coded for one survives the other.
CHECKPOINTS = {
    "tiny": dict(
        seed=1000,
        height=64,
        width=64,
        unet=dict(
            sample_size=32,
            in_channels=4,
            out_channels=4,
            block_out_channels=(32, 64),
            down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
            up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
            mid_block_type="UNetMidBlock2DCrossAttn",
            layers_per_block=1,
            attention_head_dim=8,
            cross_attention_dim=32,
            norm_num_groups=8,
        ),
        vae=dict(
            in_channels=3,
            out_channels=3,
            block_out_channels=(16, 32),
            down_block_types=("DownEncoderBlock2D",) * 2,
            up_block_types=("UpDecoderBlock2D",) * 2,
            latent_channels=4,
            layers_per_block=1,
            norm_num_groups=8,
            sample_size=64,
            scaling_factor=0.18215,
        ),
        text=dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4),
        text_dtype=torch.float32,
        vae_dtype=torch.float32,
        # SD v1.x hub layout ("text_model." prefix); transformers 5 itself saves without it.
        text_key_prefix="text_model.",
    ),
    "tiny-wide": dict(
        seed=2000,
        height=48,
        width=80,
        unet=dict(
            sample_size=16,
            in_channels=4,
            out_channels=4,
            block_out_channels=(24, 32, 32),
            down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
            up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
            mid_block_type="UNetMidBlock2DCrossAttn",
            layers_per_block=2,
            attention_head_dim=4,
            cross_attention_dim=48,
            norm_num_groups=4,
        ),
        vae=dict(
            in_channels=3,
            out_channels=3,
            block_out_channels=(8, 16, 16),
            down_block_types=("DownEncoderBlock2D",) * 3,
            up_block_types=("UpDecoderBlock2D",) * 3,
            latent_channels=4,
            layers_per_block=2,
            norm_num_groups=4,
            sample_size=64,
            scaling_factor=0.13025,
        ),
        text=dict(hidden_size=48, intermediate_size=80, num_hidden_layers=3, num_attention_heads=6),
        text_dtype=torch.float16,
        vae_dtype=torch.bfloat16,
        # transformers 5 native layout (no "text_model." prefix).
        text_key_prefix="",
    ),
}


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

def setup_determinism():
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.manual_seed(0)
    np.random.seed(0)
    transformers.utils.logging.disable_progress_bar()
    diffusers.utils.logging.disable_progress_bar()


def gen(seed):
    return torch.Generator(device="cpu").manual_seed(seed)


def randn(shape, seed):
    return torch.randn(*shape, generator=gen(seed), dtype=torch.float32)


def write_json(path, obj):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def f32(t):
    return t.detach().to(torch.float32).contiguous().clone()


def i64(t):
    return t.detach().to(torch.int64).contiguous().clone()


# ---------------------------------------------------------------------------------------------
# (a) CLIP vocabulary
# ---------------------------------------------------------------------------------------------

def build_clip_vocab():
    """vocab/merges exactly as OpenAI CLIP's SimpleTokenizer builds them (49408 entries)."""
    lines = gzip.open(default_bpe()).read().decode("utf-8").split("\n")
    merges = lines[1:49152 - 256 - 2 + 1]
    byte_tokens = list(bytes_to_unicode().values())
    vocab = byte_tokens + [t + "</w>" for t in byte_tokens]
    vocab += ["".join(m.split(" ")) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    assert len(merges) == 48894 and len(vocab) == 49408 and len(set(vocab)) == 49408
    assert vocab.index("<|startoftext|>") == BOS_ID and vocab.index("<|endoftext|>") == EOS_ID
    return vocab, merges


def write_tokenizer_files(directory, vocab, merges, full_layout):
    """vocab.json + merges.txt (+ SD v1 tokenizer_config.json / special_tokens_map.json)."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "vocab.json", "w", encoding="utf-8") as f:
        json.dump({t: i for i, t in enumerate(vocab)}, f, ensure_ascii=False, separators=(",", ":"))
    with open(directory / "merges.txt", "w", encoding="utf-8", newline="\n") as f:
        f.write("#version: 0.2\n")
        for m in merges:
            f.write(m + "\n")
    if not full_layout:
        return
    specials = {
        "bos_token": "<|startoftext|>",
        "eos_token": "<|endoftext|>",
        "pad_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>",
    }
    write_json(directory / "special_tokens_map.json", specials)
    write_json(directory / "tokenizer_config.json", {
        "tokenizer_class": "CLIPTokenizer",
        "model_max_length": CONTEXT,
        "do_lower_case": True,
        "add_prefix_space": False,
        "errors": "replace",
        **specials,
    })


def check_tokenizer_dir(directory):
    # Constructed straight from the two files ...
    tok = CLIPTokenizer(vocab=str(directory / "vocab.json"), merges=str(directory / "merges.txt"))
    ids = tok("a photo of a cat").input_ids
    assert ids == [BOS_ID, 320, 1125, 539, 320, 2368, EOS_ID], ids
    # ... and as a folder with the SD v1 tokenizer_config.json / special_tokens_map.json.
    tok = CLIPTokenizer.from_pretrained(directory)
    ids = tok("a photo of a cat").input_ids
    assert ids[0] == BOS_ID and ids[-1] == EOS_ID, ids
    assert tok.bos_token_id == BOS_ID and tok.eos_token_id == EOS_ID and tok.pad_token_id == EOS_ID
    assert len(tok) == 49408 and tok.model_max_length == CONTEXT
    return tok


def load_tokenizer_with_added(directory):
    tok = CLIPTokenizer.from_pretrained(directory)
    assert tok.add_tokens(ADDED_TOKENS) == 2
    ids = tok.convert_tokens_to_ids(ADDED_TOKENS)
    assert ids == [49408, 49409], ids
    return tok


def section_vocab():
    """Build the vocabulary; the files themselves are written into each checkpoint's tokenizer/."""
    print("== (a) CLIP vocabulary")
    return build_clip_vocab()


# ---------------------------------------------------------------------------------------------
# (b) Tiny random checkpoints
# ---------------------------------------------------------------------------------------------

NORM_TYPES = (torch.nn.GroupNorm, torch.nn.LayerNorm)
QK_NAMES = (".to_q.weight", ".to_k.weight", ".q_proj.weight", ".k_proj.weight")
QK_SHARPEN = 3.0


def perturb(model, seed):
    """Make every tensor non-degenerate: norms get 1+0.1*n / 0.1*n, everything else += 0.02*n;
    attention q/k projection weights are then multiplied by QK_SHARPEN."""
    g = gen(seed)
    modules = dict(model.named_modules())
    with torch.no_grad():
        for name, p in model.named_parameters():
            owner = modules[name.rsplit(".", 1)[0]] if "." in name else model
            n = torch.randn(p.shape, generator=g, dtype=torch.float32)
            if isinstance(owner, NORM_TYPES) and name.endswith("weight"):
                p.copy_(1.0 + 0.1 * n)
            elif isinstance(owner, NORM_TYPES) and name.endswith("bias"):
                p.copy_(0.1 * n)
            else:
                p.add_(0.02 * n)
            if name.endswith(QK_NAMES):
                # Default inits give near-uniform softmax (logit std ~0.3), which would hide
                # head-split / scale / mask bugs. Scale q and k so logits have std ~3.
                p.mul_(QK_SHARPEN)


def build_unet(spec):
    torch.manual_seed(spec["seed"] + 1)
    unet = UNet2DConditionModel(**spec["unet"])
    perturb(unet, spec["seed"] + 11)
    return unet.eval()


def build_vae(spec):
    torch.manual_seed(spec["seed"] + 2)
    vae = AutoencoderKL(**spec["vae"])
    perturb(vae, spec["seed"] + 12)
    return vae.eval()


def build_text_encoder(spec):
    cfg = CLIPTextConfig(
        vocab_size=49408,
        max_position_embeddings=CONTEXT,
        hidden_act="quick_gelu",
        layer_norm_eps=1e-5,
        projection_dim=spec["text"]["hidden_size"],
        bos_token_id=BOS_ID,
        eos_token_id=EOS_ID,
        pad_token_id=EOS_ID,
        **spec["text"],
    )
    torch.manual_seed(spec["seed"] + 3)
    te = CLIPTextModel(cfg)
    perturb(te, spec["seed"] + 13)
    return te.eval()


def add_key_prefix(path, prefix):
    tensors = load_file(path)
    save_file({prefix + k: v for k, v in tensors.items()}, str(path), metadata={"format": "pt"})


def model_index():
    return {
        "_class_name": "StableDiffusionPipeline",
        "_diffusers_version": diffusers.__version__,
        "feature_extractor": [None, None],
        "image_encoder": [None, None],
        "requires_safety_checker": False,
        "safety_checker": [None, None],
        "scheduler": ["diffusers", "DDIMScheduler"],
        "text_encoder": ["transformers", "CLIPTextModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"],
    }


def section_checkpoint(name, spec, vocab, merges):
    print(f"== (b) checkpoint {name}")
    ckpt = OUT / name
    if ckpt.exists():
        shutil.rmtree(ckpt)
    ckpt.mkdir(parents=True)
    assert spec["unet"]["cross_attention_dim"] == spec["text"]["hidden_size"]
    vae_scale = 2 ** (len(spec["vae"]["block_out_channels"]) - 1)
    unet_down = 2 ** (len(spec["unet"]["block_out_channels"]) - 1)
    for side in (spec["height"], spec["width"]):
        assert side % (vae_scale * unet_down) == 0, (side, vae_scale, unet_down)

    write_json(ckpt / "model_index.json", model_index())
    build_unet(spec).save_pretrained(ckpt / "unet", safe_serialization=True)
    build_vae(spec).to(spec["vae_dtype"]).save_pretrained(ckpt / "vae", safe_serialization=True)
    build_text_encoder(spec).to(spec["text_dtype"]).save_pretrained(ckpt / "text_encoder", safe_serialization=True)
    write_tokenizer_files(ckpt / "tokenizer", vocab, merges, full_layout=True)
    DDIMScheduler(**DDIM_CONFIG).save_pretrained(ckpt / "scheduler")

    if spec["text_key_prefix"]:
        add_key_prefix(ckpt / "text_encoder" / "model.safetensors", spec["text_key_prefix"])
    check_tokenizer_dir(ckpt / "tokenizer")
    for sub, fname, dtype in (("text_encoder", "model.safetensors", spec["text_dtype"]),
                              ("vae", "diffusion_pytorch_model.safetensors", spec["vae_dtype"])):
        tensors = load_file(ckpt / sub / fname)
        assert all(t.dtype == dtype for t in tensors.values()), (sub, {t.dtype for t in tensors.values()})


# ---------------------------------------------------------------------------------------------
# (c) Reference outputs -- always computed from the files on disk, in fp32
# ---------------------------------------------------------------------------------------------

def load_checkpoint(name):
    ckpt = OUT / name
    unet = UNet2DConditionModel.from_pretrained(ckpt / "unet", dtype=torch.float32).eval()
    vae = AutoencoderKL.from_pretrained(ckpt / "vae", dtype=torch.float32).eval()
    te = CLIPTextModel.from_pretrained(ckpt / "text_encoder", dtype=torch.float32).eval()
    tok = CLIPTokenizer.from_pretrained(ckpt / "tokenizer")
    sched = DDIMScheduler.from_pretrained(ckpt / "scheduler")
    verify_loaded(unet, ckpt / "unet" / "diffusion_pytorch_model.safetensors")
    verify_loaded(vae, ckpt / "vae" / "diffusion_pytorch_model.safetensors")
    verify_loaded(te, ckpt / "text_encoder" / "model.safetensors")
    # Smoke test: the folder must load as a whole pipeline too.
    StableDiffusionPipeline.from_pretrained(ckpt, dtype=torch.float32, safety_checker=None)
    return dict(unet=unet, vae=vae, text_encoder=te, tokenizer=tok, scheduler=sched)


def verify_loaded(model, path):
    """Every parameter is fp32 and equals the (upcast) tensor stored in the file: nothing was
    silently left at random init by a key-name mismatch."""
    stored = {k.removeprefix("text_model."): v for k, v in load_file(path).items()}
    params = dict(model.named_parameters())
    assert set(params) == set(stored), (path, set(params) ^ set(stored))
    for k, p in params.items():
        assert p.dtype == torch.float32 and torch.equal(p.detach(), stored[k].to(torch.float32)), (path, k)


def tokenize_77(tok, prompt):
    return tok(prompt, padding="max_length", max_length=CONTEXT, truncation=True,
               return_tensors="pt").input_ids


def first_eos_pool(hidden, ids):
    pos = (ids == EOS_ID).int().argmax(dim=-1)
    return hidden[torch.arange(hidden.shape[0]), pos]


def ref_text(m, spec, tensors, facts):
    """Text encoder with [I], [A] appended (seeded rows), last_hidden_state and first-EOS pool."""
    te = copy.deepcopy(m["text_encoder"])
    tok = load_tokenizer_with_added(OUT / facts["name"] / "tokenizer")
    hidden = te.config.hidden_size
    te.resize_token_embeddings(len(tok))
    added = randn((len(ADDED_TOKENS), hidden), spec["seed"] + 21) * 0.02
    with torch.no_grad():
        te.get_input_embeddings().weight[49408:49410] = added
    tensors["text.added_embeddings"] = f32(added)
    pooler_matches = []
    with torch.no_grad():
        for k, prompt in enumerate(TEXT_PROMPTS):
            ids = tokenize_77(tok, prompt)
            out = te(ids)
            pooled = first_eos_pool(out.last_hidden_state, ids)
            pooler_matches.append(bool(torch.equal(pooled, out.pooler_output)))
            tensors[f"text.{k}.input_ids"] = i64(ids)
            tensors[f"text.{k}.last_hidden_state"] = f32(out.last_hidden_state)
            tensors[f"text.{k}.pooled"] = f32(pooled)
    facts["text"] = {
        "prompts": TEXT_PROMPTS,
        "added_tokens": {"[I]": 49408, "[A]": 49409},
        "attention_mask": "none (causal mask only), as StableDiffusionPipeline calls the encoder",
        "transformers_pooler_output_equals_first_eos_pool": pooler_matches,
    }


def ref_unet(m, spec, tensors, facts):
    unet = m["unet"]
    h, w = spec["height"] // facts["vae_scale_factor"], spec["width"] // facts["vae_scale_factor"]
    d = unet.config.cross_attention_dim
    sample = randn((2, 4, h, w), spec["seed"] + 31)
    ehs = randn((2, CONTEXT, d), spec["seed"] + 32)
    tensors["unet.sample"] = f32(sample)
    tensors["unet.encoder_hidden_states"] = f32(ehs)
    with torch.no_grad():
        for t in UNET_TIMESTEPS:
            tensors[f"unet.out.t{t}"] = f32(unet(sample, t, encoder_hidden_states=ehs).sample)
    facts["unet"] = {"timesteps": UNET_TIMESTEPS, "latent_hw": [h, w]}


def ref_unet_grad(m, spec, tensors, facts):
    unet = copy.deepcopy(m["unet"])
    unet.zero_grad(set_to_none=True)
    sample = tensors["unet.sample"].clone()
    ehs = tensors["unet.encoder_hidden_states"].clone().requires_grad_(True)
    loss = (unet(sample, UNET_GRAD_T, encoder_hidden_states=ehs).sample ** 2).mean()
    loss.backward()
    params = dict(unet.named_parameters())
    attn2_k = next(n for n in params if ".attn2.to_k.weight" in n)
    names = ["conv_in.weight", attn2_k, "conv_out.bias"]
    tensors["unet.grad.loss"] = f32(loss.reshape(1))
    for n in names:
        tensors[f"unet.grad.{n}"] = f32(params[n].grad)
    tensors["unet.grad.encoder_hidden_states"] = f32(ehs.grad)
    facts["unet_grad"] = {"timestep": UNET_GRAD_T, "loss": "mean(unet(sample, t, ehs).sample ** 2)",
                          "parameters": names}


def smooth_image(seed, height, width):
    low = randn((1, 3, max(height // 8, 1), max(width // 8, 1)), seed)
    up = F.interpolate(low, size=(height, width), mode="bilinear", align_corners=False)
    return (0.8 * torch.tanh(up) + 0.1 * randn((1, 3, height, width), seed + 1)).clamp(-1, 1)


def ref_vae(m, spec, tensors, facts):
    vae = m["vae"]
    sf = vae.config.scaling_factor
    H, W = spec["height"], spec["width"]
    h, w = H // facts["vae_scale_factor"], W // facts["vae_scale_factor"]
    image = smooth_image(spec["seed"] + 41, H, W)
    with torch.no_grad():
        dist = vae.encode(image).latent_dist
        noise = randn(tuple(dist.mean.shape), spec["seed"] + 43)
        dec_in = randn((1, vae.config.latent_channels, h, w), spec["seed"] + 44)
        dec_out = vae.decode(dec_in).sample
    tensors["vae.image"] = f32(image)
    tensors["vae.posterior_mean"] = f32(dist.mean)
    tensors["vae.posterior_logvar"] = f32(dist.logvar)
    tensors["vae.sample_noise"] = f32(noise)
    tensors["vae.posterior_sample"] = f32(dist.mean + dist.std * noise)
    tensors["vae.latents"] = f32(dist.mean * sf)
    tensors["vae.decode.in"] = f32(dec_in)
    tensors["vae.decode.out"] = f32(dec_out)
    facts["vae"] = {
        "scaling_factor": sf,
        "logvar_clamp": [-30.0, 20.0],
        "posterior_sample": "mean + exp(0.5 * logvar) * sample_noise",
        "latents": "posterior_mean * scaling_factor",
        "decode": "vae.decode(vae.decode.in) directly (post_quant_conv + decoder); no scaling applied",
    }


def ddim_next_step(sched, eps, t, x, n_steps):
    """Null-text-inversion notebook `next_step`: t is the timestep the latent moves TO."""
    timestep = min(t - sched.config.num_train_timesteps // n_steps, 999)
    next_timestep = t
    alpha_t = sched.alphas_cumprod[timestep] if timestep >= 0 else sched.final_alpha_cumprod
    alpha_next = sched.alphas_cumprod[next_timestep]
    x0 = (x - (1 - alpha_t) ** 0.5 * eps) / alpha_t ** 0.5
    return alpha_next ** 0.5 * x0 + (1 - alpha_next) ** 0.5 * eps, timestep


def ref_ddim(m, spec, tensors, facts):
    sched = copy.deepcopy(m["scheduler"])
    h, w = spec["height"] // facts["vae_scale_factor"], spec["width"] // facts["vae_scale_factor"]
    tensors["ddim.alphas_cumprod"] = f32(sched.alphas_cumprod)
    sched.set_timesteps(50)
    tensors["ddim.timesteps.n50"] = i64(sched.timesteps)
    n50 = sched.timesteps.tolist()
    sched.set_timesteps(10)
    tensors["ddim.timesteps.n10"] = i64(sched.timesteps)
    n10 = sched.timesteps.tolist()
    sample = randn((1, 4, h, w), spec["seed"] + 51)
    eps = randn((1, 4, h, w), spec["seed"] + 52)
    tensors["ddim.sample"] = f32(sample)
    tensors["ddim.eps"] = f32(eps)
    prev_map, next_map = {}, {}
    for t in n10:
        tensors[f"ddim.prev.t{t}"] = f32(sched.step(eps, t, sample, eta=0.0).prev_sample)
        prev_map[f"t{t}"] = {"from": t, "to": t - 1000 // 10}
    for i in range(len(n10)):
        t = n10[len(n10) - i - 1]
        nxt, frm = ddim_next_step(sched, eps, t, sample, 10)
        tensors[f"ddim.next.t{t}"] = f32(nxt)
        next_map[f"t{t}"] = {"from": frm, "to": t,
                             "alpha_from": "final_alpha_cumprod" if frm < 0 else f"alphas_cumprod[{frm}]"}
    facts["ddim"] = {
        "config": DDIM_CONFIG,
        "final_alpha_cumprod": float(sched.final_alpha_cumprod),
        "init_noise_sigma": float(sched.init_noise_sigma),
        "timesteps_n10": n10,
        "timesteps_n50": n50,
        "alphas_cumprod": [float(a) for a in sched.alphas_cumprod],
        "prev": "ddim.prev.t{t} = DDIMScheduler.step(ddim.eps, t, ddim.sample, eta=0).prev_sample; "
                "each one single step from the same ddim.sample",
        "prev_map": prev_map,
        "next": "ddim.next.t{t} = notebook next_step(ddim.eps, t, ddim.sample): moves FROM t-100 "
                "(final_alpha_cumprod when negative) TO t; each one single step from the same ddim.sample; "
                "notebook loop order is t = 1, 101, ..., 901",
        "next_map": next_map,
    }


def to_png(image, path):
    arr = (image[0].permute(1, 2, 0).numpy() * 255).round().astype("uint8")
    Image.fromarray(arr).save(path, format="PNG")


def ref_t2i(m, spec, tensors, facts):
    pipe = StableDiffusionPipeline(
        vae=m["vae"], text_encoder=m["text_encoder"], tokenizer=m["tokenizer"], unet=m["unet"],
        scheduler=copy.deepcopy(m["scheduler"]), safety_checker=None, feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.set_progress_bar_config(disable=True)
    H, W = spec["height"], spec["width"]
    h, w = H // facts["vae_scale_factor"], W // facts["vae_scale_factor"]
    noise = torch.randn((1, 4, h, w), generator=gen(T2I_SEED), dtype=torch.float32)
    with torch.no_grad():
        pos, neg = pipe.encode_prompt(T2I_PROMPT, "cpu", 1, True, T2I_NEGATIVE)
        kwargs = dict(prompt=T2I_PROMPT, negative_prompt=T2I_NEGATIVE, num_inference_steps=T2I_STEPS,
                      guidance_scale=T2I_GUIDANCE, height=H, width=W, eta=0.0)
        latents = pipe(latents=noise.clone(), output_type="latent", **kwargs).images
        image = (m["vae"].decode(latents / m["vae"].config.scaling_factor).sample / 2 + 0.5).clamp(0, 1)
        pipe_image = pipe(latents=noise.clone(), output_type="pt", **kwargs).images
        # Cross-check: prompt_embeds are last_hidden_state of the encoder (final LayerNorm applied).
        lhs = m["text_encoder"](tokenize_77(m["tokenizer"], T2I_PROMPT)).last_hidden_state
    assert torch.equal(lhs, pos), "pipeline prompt_embeds != last_hidden_state"
    pipe_vs_manual = float((pipe_image - image).abs().max())
    assert pipe_vs_manual < 1e-5, pipe_vs_manual
    tensors["t2i.noise"] = f32(noise)
    tensors["t2i.prompt_embeds"] = f32(pos)
    tensors["t2i.negative_embeds"] = f32(neg)
    tensors["t2i.latents"] = f32(latents)
    tensors["t2i.image"] = f32(image)
    to_png(image, OUT / "outputs" / f"{facts['name']}-t2i.png")
    facts["t2i"] = {
        "prompt": T2I_PROMPT,
        "negative_prompt": T2I_NEGATIVE,
        "steps": T2I_STEPS,
        "guidance_scale": T2I_GUIDANCE,
        "eta": 0.0,
        "height": H,
        "width": W,
        "latent_hw": [h, w],
        "noise": f"torch.randn((1,4,{h},{w}), generator=torch.Generator('cpu').manual_seed({T2I_SEED}))",
        "init_noise_sigma": float(pipe.scheduler.init_noise_sigma),
        "cfg_batch_order": ["negative", "positive"],
        "timesteps": pipe.scheduler.timesteps.tolist(),
        "latents": "pipeline output_type='latent' (NOT divided by scaling_factor)",
        "image": "(vae.decode(latents / scaling_factor) / 2 + 0.5).clamp(0, 1)",
        "png": "round(image * 255) as uint8, RGB",
        "pipeline_pt_vs_manual_decode_max_abs": pipe_vs_manual,
    }


def checkpoint_facts(name, spec, m):
    return {
        "name": name,
        "versions": {"torch": torch.__version__, "diffusers": diffusers.__version__,
                     "transformers": transformers.__version__, "open_clip": open_clip.__version__},
        "vae_scale_factor": 2 ** (len(m["vae"].config.block_out_channels) - 1),
        "stored_dtypes": {"unet": "float32", "text_encoder": str(spec["text_dtype"]).replace("torch.", ""),
                          "vae": str(spec["vae_dtype"]).replace("torch.", "")},
        "unet_attention_heads": unet_head_layout(m["unet"]),
        "text_encoder_head_dim": m["text_encoder"].config.hidden_size // m["text_encoder"].config.num_attention_heads,
    }


def unet_head_layout(unet):
    """Per attention module: (heads, head_dim) as diffusers actually built it."""
    layout = {}
    for name, mod in unet.named_modules():
        if name.endswith(".attn1") or name.endswith(".attn2"):
            layout[name] = {"heads": mod.heads, "head_dim": mod.inner_dim // mod.heads,
                            "inner_dim": mod.inner_dim, "scale": mod.scale}
    return layout


def section_outputs(name, spec):
    print(f"== (c) reference outputs {name}")
    m = load_checkpoint(name)
    facts = checkpoint_facts(name, spec, m)
    tensors = {}
    for step in (ref_text, ref_unet, ref_unet_grad, ref_vae, ref_ddim, ref_t2i):
        torch.manual_seed(0)
        step(m, spec, tensors, facts)
    facts["tensors"] = {k: {"shape": list(v.shape), "dtype": str(v.dtype).replace("torch.", "")}
                        for k, v in sorted(tensors.items())}
    save_file(tensors, str(OUT / "outputs" / f"{name}.safetensors"))
    write_json(OUT / "outputs" / f"{name}.json", facts)


# ---------------------------------------------------------------------------------------------
# (c6) Tokenizer battery
# ---------------------------------------------------------------------------------------------

def long_prompt(n_words):
    words = ["cat", "dog", "red", "blue", "tree", "house", "sky", "sun", "moon", "car"]
    return " ".join(words[i % len(words)] for i in range(n_words))


TOKENIZER_PROMPTS = [
    "",
    "a photo of a cat",
    "A Photo Of A CAT",
    "MiXeD CaSe WoRdS",
    "hello, world!!!",
    "wait... what?!?",
    "((masterpiece)), [best quality], {detailed}",
    "don't",
    "it's a dog's life",
    "'s",
    "we're, they've, I'm, you'll, he'd",
    "Don\u2019t stop",
    "caf\u00e9 cr\u00e8me",
    "cafe\u0301",
    "na\u00efve r\u00e9sum\u00e9 \u00fcber",
    "Stra\u00dfe gro\u00df",
    "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440",
    "\u732b\u306e\u5199\u771f",
    "\u4e00\u53ea\u732b",
    "a cat \U0001F431 with a hat \U0001F3A9",
    "\u2764\ufe0f love",
    "\u0928\u092e\u0938\u094d\u0924\u0947 world",
    "\u0130stanbul \u039f\u0394\u039f\u03a3",
    "no\u00a0break\u3000ideographic\u200bzero-width",
    "\u201cquoted\u201d text",
    "1234567",
    "3.14 is pi",
    "2x zoom, 4k, 8K uhd",
    "1,000,000 dollars",
    "multiple   spaces",
    "tabs\tand\nnewlines\r\nhere",
    "   leading and trailing   ",
    "\t\n ",
    "fish &amp; chips",
    "&lt;b&gt;bold&lt;/b&gt;",
    "&amp;amp;",
    "a&b",
    "well-known state-of-the-art",
    "https://example.com/path?q=1&x=y",
    "user@example.com",
    "snake_case and camelCase",
    "#hashtag @mention $100 50%",
    "\u00bd cup, \u00b2, \u2160",
    "\uff46\uff55\uff4c\uff4c width",
    "\ufb01ne ligature",
    "<|endoftext|>",
    "<|startoftext|> hi",
    "<|ENDOFTEXT|>",
    "a [I] lady",
    "[I]",
    "[I] [A]",
    "a photo of [A] and [I] together",
    "a[I]b",
    "[I]'s hat",
    "a [i] lady",
    "[I][A]",
    long_prompt(75),
    long_prompt(76),
    long_prompt(74) + " [I]",
    long_prompt(200),
]


def section_tokenizer_cases():
    print("== (c6) tokenizer battery")
    tok = load_tokenizer_with_added(OUT / "tiny" / "tokenizer")
    openai = SimpleTokenizer()  # OpenAI reference: ftfy.fix_text + html.unescape x2 + strip + lower
    cases = []
    for prompt in TOKENIZER_PROMPTS:
        full = tok(prompt).input_ids
        case = {"prompt": prompt}
        if len(full) > CONTEXT:
            case.update(too_long=True, num_tokens=len(full))
        else:
            padded = tokenize_77(tok, prompt)[0].tolist()
            assert padded[:len(full)] == full and all(i == EOS_ID for i in padded[len(full):])
            case["ids"] = padded
        case["tokens"] = tok.convert_ids_to_tokens(full[1:-1])
        has_added = any(a.lower() in prompt.lower() for a in ADDED_TOKENS) or "<|" in prompt
        if not has_added:
            oa = [BOS_ID] + openai.encode(prompt) + [EOS_ID]
            case["openai_num_tokens"] = len(oa)
            case["openai_same"] = oa == full
            if oa != full:
                case["openai_ids"] = oa[:CONTEXT]
        cases.append(case)
    lengths = {c["prompt"]: c.get("num_tokens", len([i for i in c.get("ids", [])])) for c in cases}
    assert sum(1 for c in cases) >= 40
    assert not any(c.get("too_long") for c in cases if c["prompt"] == long_prompt(75))
    assert any(c.get("too_long") for c in cases if c["prompt"] == long_prompt(76))
    doc = {
        "tokenizer": f"transformers {transformers.__version__} CLIPTokenizer (tokenizers backend; the only "
                     "CLIPTokenizer in transformers 5) loaded from tiny/tokenizer, then add_tokens(['[I]','[A]'])",
        "ids": "77 ids: BOS, content, EOS, padded with EOS (49407); absent when too_long",
        "num_tokens": "BOS + content + EOS when longer than 77 (too_long)",
        "tokens": "content tokens (without BOS/EOS) as vocab strings",
        "openai_ids": "OpenAI/open_clip SimpleTokenizer (ftfy + html.unescape twice) ids, first 77, only where "
                      "they differ from ids; absent for prompts with added/special tokens",
        "cases": cases,
    }
    del lengths
    write_json(OUT / "tokenizer-cases.json", doc)


# ---------------------------------------------------------------------------------------------

def main():
    setup_determinism()
    OUT.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(OUT / "outputs", ignore_errors=True)
    (OUT / "outputs").mkdir()
    vocab, merges = section_vocab()
    for name, spec in CHECKPOINTS.items():
        section_checkpoint(name, spec, vocab, merges)
    for name, spec in CHECKPOINTS.items():
        section_outputs(name, spec)
    section_tokenizer_cases()
    print("done:", OUT)


if __name__ == "__main__":
    sys.exit(main())
