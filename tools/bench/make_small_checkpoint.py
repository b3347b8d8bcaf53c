#!/usr/bin/env python3
"""Write the benchmark's "small" checkpoint: SD v1 block structure with fewer channels.

    python make_small_checkpoint.py [OUT_DIR]      (default: <repo>/target/bench/small)

A random (seeded, default-initialised) Stable Diffusion v1.x checkpoint in the diffusers folder
layout, shaped like SD v1 except for its widths:

  UNet  CrossAttnDownBlock2D x3 + DownBlock2D / UpBlock2D + CrossAttnUpBlock2D x3, mid block
        UNetMidBlock2DCrossAttn, layers_per_block 2, attention_head_dim 8 (= 8 heads, as SD v1),
        norm_num_groups 32, block_out_channels (64, 128, 256, 256)  [SD v1: (320, 640, 1280, 1280)]
        cross_attention_dim 256                                       [SD v1: 768]
  text  CLIP, hidden 256, 4 layers, 4 heads, MLP 1024, quick-GELU, 77 positions, the real vocabulary
  VAE   4 levels (32, 64, 128, 128), layers_per_block 2, 32 groups -> scale factor 8:
        256x256 images, 32x32 latents                                [SD v1: (128, 256, 512, 512)]
  scheduler  DDIM, SD v1 values; tokenizer files copied from the committed tiny checkpoint

cross_attention_dim is 256 rather than 768: to_k/to_v only ever see 77 tokens, so the width
hardly changes the UNet's cost, while CLIP's 49408-row token table grows with it (768 would
make the text encoder the largest file of the checkpoint). The weights are random, so the
images are noise; the benchmark measures time only. ~35 M UNet parameters (SD v1: 860 M).
Deterministic; runs in a few seconds; never needed to build or test.
"""

import json
import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch
import diffusers
from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "gpu-worker" / "src" / "test" / "resources" / "reference" / "tiny"
SEED = 3000
CROSS_ATTENTION_DIM = 256

UNET = dict(
    sample_size=32,
    in_channels=4,
    out_channels=4,
    block_out_channels=(64, 128, 256, 256),
    down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
    up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
    mid_block_type="UNetMidBlock2DCrossAttn",
    layers_per_block=2,
    attention_head_dim=8,
    cross_attention_dim=CROSS_ATTENTION_DIM,
    norm_num_groups=32,
)
VAE = dict(
    in_channels=3,
    out_channels=3,
    block_out_channels=(32, 64, 128, 128),
    down_block_types=("DownEncoderBlock2D",) * 4,
    up_block_types=("UpDecoderBlock2D",) * 4,
    latent_channels=4,
    layers_per_block=2,
    norm_num_groups=32,
    sample_size=256,
    scaling_factor=0.18215,
)
TEXT = dict(hidden_size=CROSS_ATTENTION_DIM, intermediate_size=4 * CROSS_ATTENTION_DIM, num_hidden_layers=4,
            num_attention_heads=4)


def main(out):
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    torch.manual_seed(SEED)
    UNet2DConditionModel(**UNET).save_pretrained(out / "unet", safe_serialization=True)
    AutoencoderKL(**VAE).save_pretrained(out / "vae", safe_serialization=True)
    text = CLIPTextModel(CLIPTextConfig(vocab_size=49408, max_position_embeddings=77, hidden_act="quick_gelu",
                                        layer_norm_eps=1e-5, projection_dim=CROSS_ATTENTION_DIM, bos_token_id=49406,
                                        eos_token_id=49407, pad_token_id=49407, **TEXT))
    text.save_pretrained(out / "text_encoder", safe_serialization=True)
    shutil.copytree(TINY / "tokenizer", out / "tokenizer")
    shutil.copytree(TINY / "scheduler", out / "scheduler")
    index = json.loads((TINY / "model_index.json").read_text())
    index["_diffusers_version"] = diffusers.__version__
    (out / "model_index.json").write_text(json.dumps(index, indent=2) + "\n")
    params = sum(p.numel() for p in UNet2DConditionModel.from_pretrained(out / "unet").parameters())
    print(f"wrote {out}: UNet {params / 1e6:.1f} M parameters, 256x256 images (32x32 latents)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "target" / "bench" / "small")
