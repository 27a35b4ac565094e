"""ComfyUI's API graph (the PNG ``prompt`` chunk) followed back to A1111-style parameters.

A ComfyUI graph has no fixed schema, so this reader starts at the image output,
walks upstream to the sampler that made the image, and resolves each parameter
through the node types it knows (loaders, text encoders, primitives, switches,
string joins). Whatever it cannot resolve is reported by name, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pixref.infotext import split_sampler_name

_SAMPLERS = {"KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced"}
_OUTPUT_HINTS = ("SaveImage", "PreviewImage", "Image Save", "SaveAnimated")
_TEXT_INPUTS = ("text", "value", "string", "text_g", "String")
#: Nodes whose output is computed at run time (an LLM, a captioner): never followed.
_GENERATORS = ("Generate", "LLM", "Ollama", "Caption", "Interrogat", "Florence", "Gemini")
_PASS_THROUGH = ("conditioning", "conditioning_1", "source", "samples", "input", "model")
_MAX_DEPTH = 64


@dataclass
class _Graph:
    nodes: dict[str, dict[str, Any]]
    unresolved: list[str] = field(default_factory=list)

    def node(self, ref: Any) -> tuple[str, dict[str, Any]] | None:
        if isinstance(ref, list) and ref and str(ref[0]) in self.nodes:
            node_id = str(ref[0])
            node = self.nodes[node_id]
            return (node_id, node) if isinstance(node, dict) else None
        return None

    def inputs(self, node: dict[str, Any]) -> dict[str, Any]:
        inputs = node.get("inputs")
        return inputs if isinstance(inputs, dict) else {}

    def value(self, ref: Any, kinds: tuple[type, ...], depth: int = 0) -> Any:
        """A literal of one of ``kinds``, following links through known nodes; None if unknown."""
        if isinstance(ref, bool) and bool not in kinds:
            return None
        if isinstance(ref, kinds):
            return ref
        found = self.node(ref)
        if found is None or depth > _MAX_DEPTH:
            return None
        _, node = found
        kind = str(node.get("class_type", ""))
        inputs = self.inputs(node)
        if any(word in kind for word in _GENERATORS):
            return None
        if kind == "ComfySwitchNode" or {"switch", "on_true", "on_false"} <= inputs.keys():
            switch = self.value(inputs.get("switch"), (bool,), depth + 1)
            if switch is None:
                return None
            return self.value(inputs.get("on_true" if switch else "on_false"), kinds, depth + 1)
        if kind == "StringConcatenate" and str in kinds:
            a = self.value(inputs.get("string_a"), (str,), depth + 1)
            b = self.value(inputs.get("string_b"), (str,), depth + 1)
            sep = self.value(inputs.get("delimiter", ""), (str,), depth + 1)
            return None if a is None or b is None or sep is None else f"{a}{sep}{b}"
        for name in (*_TEXT_INPUTS, "seed", "noise_seed", "int", "float", "number", "boolean"):
            if name in inputs:
                return self.value(inputs[name], kinds, depth + 1)
        for name in _PASS_THROUGH:
            if name in inputs:
                return self.value(inputs[name], kinds, depth + 1)
        return None

    def upstream(self, ref: Any, want: set[str] | None = None, depth: int = 0):
        """Yield ``(id, node)`` upstream of ``ref``, nearest first, each once."""
        seen: set[str] = set()
        frontier = [ref]
        while frontier and depth <= _MAX_DEPTH:
            next_frontier = []
            for item in frontier:
                found = self.node(item)
                if found is None or found[0] in seen:
                    continue
                seen.add(found[0])
                yield found
                next_frontier += [v for v in self.inputs(found[1]).values() if isinstance(v, list)]
            frontier = next_frontier
            depth += 1


def _output_refs(graph: _Graph) -> list[list[str]]:
    outputs = [
        [node_id, 0]
        for node_id, node in graph.nodes.items()
        if isinstance(node, dict)
        and any(h in str(node.get("class_type", "")) for h in _OUTPUT_HINTS)
    ]
    return outputs or [[node_id, 0] for node_id in graph.nodes]


def _find_sampler(graph: _Graph) -> tuple[str, dict[str, Any]] | None:
    for ref in _output_refs(graph):
        for node_id, node in graph.upstream(ref):
            if node.get("class_type") in _SAMPLERS:
                return _base_pass(graph, node_id, node)
    return None


def _base_pass(graph: _Graph, node_id: str, node: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Follow ``latent_image`` back to the first sampler (the base pass of a hires workflow)."""
    for _ in range(_MAX_DEPTH):
        earlier = next(
            (
                found
                for found in graph.upstream(graph.inputs(node).get("latent_image"))
                if found[1].get("class_type") in _SAMPLERS
            ),
            None,
        )
        if earlier is None:
            break
        node_id, node = earlier
    return node_id, node


def _text(graph: _Graph, conditioning: Any, label: str) -> str | None:
    for _node_id, node in graph.upstream(conditioning):
        kind = str(node.get("class_type", ""))
        if kind == "ConditioningZeroOut":
            return ""
        if "TextEncode" in kind or kind.startswith("CLIPText"):
            inputs = graph.inputs(node)
            key = next((k for k in ("text", "text_g", "prompt") if k in inputs), None)
            text = graph.value(inputs.get(key), (str,)) if key else None
            if text is None:
                graph.unresolved.append(f"{label} ({_why_text_unresolved(graph, inputs.get(key))})")
            return text
    graph.unresolved.append(f"{label} (no text encoder found)")
    return None


def _why_text_unresolved(graph: _Graph, ref: Any) -> str:
    for node_id, node in graph.upstream(ref):
        kind = str(node.get("class_type", ""))
        if any(word in kind for word in _GENERATORS):
            return f"made at run time by {kind} node {node_id}, not stored in the file"
    return "its source node is missing or of an unknown type"


def _model(graph: _Graph, ref: Any) -> tuple[str | None, list[str]]:
    loras = []
    for _, node in graph.upstream(ref):
        inputs = graph.inputs(node)
        if "lora_name" in inputs:
            strength = inputs.get("strength_model", 1.0)
            loras.append(f"{inputs['lora_name']}: {strength}")
        for key in ("ckpt_name", "unet_name", "model_name"):
            if isinstance(inputs.get(key), str):
                return inputs[key], loras
    graph.unresolved.append("model")
    return None, loras


def _size(graph: _Graph, latent: Any) -> tuple[int | None, int | None, bool]:
    """``(width, height, is_img2img)`` from the sampler's latent input."""
    for _, node in graph.upstream(latent):
        kind = str(node.get("class_type", ""))
        inputs = graph.inputs(node)
        if "width" in inputs and "height" in inputs:
            return (
                graph.value(inputs["width"], (int,)),
                graph.value(inputs["height"], (int,)),
                False,
            )
        if "VAEEncode" in kind:
            return None, None, True
    return None, None, False


def _sampler_inputs(graph: _Graph, node: dict[str, Any]) -> dict[str, Any]:
    """Flatten SamplerCustom(Advanced) sub-nodes into KSampler-like inputs."""
    inputs = dict(graph.inputs(node))
    for key in ("noise", "guider", "sampler", "sigmas"):
        found = graph.node(inputs.get(key))
        if found is not None:
            for sub_key, sub_value in graph.inputs(found[1]).items():
                inputs.setdefault(sub_key, sub_value)
    return inputs


def read_comfyui_prompt(prompt: Any) -> tuple[dict[str, Any], list[str]]:
    """Parameters from a ComfyUI API graph: ``(fields, unresolved)``.

    ``fields`` holds `GenerationParams` field values that were resolved;
    ``unresolved`` names each parameter that was not, with the reason.
    """
    if not isinstance(prompt, dict):
        return {}, ["graph (the `prompt` chunk is not a node map)"]
    graph = _Graph(nodes={str(k): v for k, v in prompt.items()})
    found = _find_sampler(graph)
    if found is None:
        return {}, ["sampler (no KSampler or SamplerCustom node in the graph)"]
    _, node = found
    inputs = _sampler_inputs(graph, node)
    fields: dict[str, Any] = {}

    def put(name: str, value: Any, label: str) -> None:
        if value is None:
            graph.unresolved.append(label)
        else:
            fields[name] = value

    put("seed", graph.value(inputs.get("seed", inputs.get("noise_seed")), (int,)), "seed")
    put("steps", graph.value(inputs.get("steps"), (int,)), "steps")
    put("cfg_scale", graph.value(inputs.get("cfg"), (int, float)), "cfg_scale")
    sampler = graph.value(inputs.get("sampler_name"), (str,))
    scheduler = graph.value(inputs.get("scheduler"), (str,))
    if sampler is not None:
        fields["sampler"], _ = split_sampler_name(sampler.removeprefix("sample_"))
    else:
        graph.unresolved.append("sampler")
    if scheduler is not None:
        fields["schedule_type"] = split_sampler_name(f"euler_{scheduler}")[1] or scheduler
    prompt_text = _text(graph, inputs.get("positive"), "prompt")
    negative = _text(graph, inputs.get("negative"), "negative_prompt")
    fields["prompt"] = prompt_text or ""
    fields["negative_prompt"] = negative or ""
    model, loras = _model(graph, inputs.get("model"))
    if model is not None:
        fields["model"] = model.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    width, height, img2img = _size(graph, inputs.get("latent_image"))
    if width is not None and height is not None:
        fields["width"], fields["height"] = width, height
    else:
        graph.unresolved.append("size")
    denoise = graph.value(inputs.get("denoise"), (int, float))
    if img2img or (denoise is not None and denoise < 1):
        fields["denoising_strength"] = denoise
    extra = [("ComfyUI LoRAs", ", ".join(loras))] if loras else []
    fields["extra"] = tuple(extra)
    return fields, graph.unresolved
