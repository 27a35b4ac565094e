"""The generation engine: sampling maths, seeds and noise, and (later) the denoising loop.

Needs torch. Import the sub-modules you use (`pixref.engine.samplers`,
`pixref.engine.noise`); this package imports nothing heavy on its own.
"""
