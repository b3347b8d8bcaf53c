#!/usr/bin/env python3
"""Builds the UNet "variant" fixture: the SD v1 options the shared tiny checkpoints leave at their
defaults, in one small seeded diffusers UNet2DConditionModel.

Covered here and nowhere else: use_linear_projection=true (Linear proj_in/proj_out),
attention_head_dim as a per-block list (head counts 2/4/4, reversed for the up blocks),
transformer_layers_per_block 2, flip_sin_to_cos=false with freq_shift=1, mid_block_scale_factor
!= 1, and a latent whose sides are not multiples of 4 (10x14), so diffusers forwards an explicit
upsample_size (3->5 and 4->7) to the up blocks.

Writes gpu-worker/src/test/resources/unet/variant/{config.json, diffusion_pytorch_model.safetensors,
reference.safetensors}; the weights are stored as fp16. Run with the reference venv (torch 2.7.1, diffusers 0.42.1):
  tools/reference/.venv/bin/python gpu-worker/src/test/python/make_unet_variant_reference.py
"""
from pathlib import Path

import torch
from diffusers import UNet2DConditionModel
from safetensors.torch import save_file

OUT = Path(__file__).resolve().parents[1] / "resources" / "unet" / "variant"

torch.manual_seed(7)
torch.set_num_threads(2)
unet = UNet2DConditionModel(
    sample_size=8,
    in_channels=4,
    out_channels=4,
    block_out_channels=(8, 16, 16),
    down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    layers_per_block=1,
    transformer_layers_per_block=2,
    attention_head_dim=[2, 4, 4],
    cross_attention_dim=12,
    norm_num_groups=4,
    use_linear_projection=True,
    flip_sin_to_cos=False,
    freq_shift=1,
    mid_block_scale_factor=1.5,
).eval()
with torch.no_grad():
    # Default inits leave biases/norms at 0/1 and the softmax near-uniform; perturb every tensor
    # and sharpen q/k so head-split or scale bugs move the output.
    g = torch.Generator().manual_seed(8)
    for name, p in unet.named_parameters():
        p.add_(0.05 * torch.randn(p.shape, generator=g))
        if name.endswith(("to_q.weight", "to_k.weight")):
            p.mul_(3.0)
OUT.mkdir(parents=True, exist_ok=True)
# Stored as fp16 to keep the fixture small (and to exercise the F16 -> fp32 load path); the
# reference below runs the fp32 model loaded back from that file, as the Java side does.
unet.half().save_pretrained(OUT, safe_serialization=True)

unet = UNet2DConditionModel.from_pretrained(OUT, torch_dtype=torch.float32).eval()
g = torch.Generator().manual_seed(9)
sample = torch.randn((2, 4, 10, 14), generator=g)
ehs = torch.randn((2, 77, 12), generator=g)
timesteps = torch.tensor([37.0, 640.0])  # one timestep per batch element
tensors = {"sample": sample, "encoder_hidden_states": ehs, "timesteps": timesteps}
with torch.no_grad():
    tensors["out"] = unet(sample, timesteps, encoder_hidden_states=ehs).sample
save_file({k: v.contiguous() for k, v in tensors.items()}, OUT / "reference.safetensors")
print({k: tuple(v.shape) for k, v in tensors.items()}, sum(p.numel() for p in unet.parameters()), "parameters")
