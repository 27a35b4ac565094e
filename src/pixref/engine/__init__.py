"""The generation engine: models, samplers, noise and the denoising loop (needs torch)."""
